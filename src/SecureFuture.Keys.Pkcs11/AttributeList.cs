using Net.Pkcs11Interop.HighLevelAPI;

namespace SecureFuture.Keys.Pkcs11;

/// <summary>
/// PKCS#11 attributes held until disposed: a template handed to one call, or the values a call returned.
/// Pkcs11Interop gives the module only pointers to attribute values, and each attribute frees its value in its
/// finalizer. A template its caller no longer references can therefore be collected while the module still reads it
/// (SoftHSM2 reads the templates of <c>C_GenerateKeyPair</c> again after generating the pair), and the module reads
/// freed memory: SoftHSM2 then answered <c>CKR_ATTRIBUTE_VALUE_INVALID</c> now and then, a search found nothing or
/// another object, and a freed boolean such as <c>CKA_EXTRACTABLE</c> could be read as true. Held with <c>using</c>,
/// the list is reachable until the call has returned, and its values are freed then rather than by the finalizer.
/// </summary>
internal sealed class AttributeList(List<IObjectAttribute> attributes) : IDisposable
{
    public List<IObjectAttribute> Items { get; } = attributes;

    public IObjectAttribute this[int index] => Items[index];

    /// <summary>The objects matching <paramref name="template"/>, which is freed once the search has returned.</summary>
    public static List<IObjectHandle> Find(ISession session, List<IObjectAttribute> template)
    {
        using var owned = new AttributeList(template);
        return session.FindAllObjects(owned.Items);
    }

    public void Dispose()
    {
        foreach (var attribute in Items)
        {
            attribute.Dispose();
        }
    }
}
