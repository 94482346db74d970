using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using SecureFuture.Keys.Pkcs11;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

/// <summary>
/// Plain Pkcs11Interop on a private copy of the SoftHSM2 module (a copy has its own module state), logged in to the
/// fixture's token: what anyone holding the PIN could do, outside sfi's custodian.
/// </summary>
internal sealed class RawToken : IDisposable
{
    private readonly IPkcs11Library _library;
    private readonly ISession _session;

    private RawToken(IPkcs11Library library, ISession session)
    {
        _library = library;
        _session = session;
    }

    public static RawToken Open(HsmFixture hsm)
    {
        var copy = PrivateSoftHsm.CopyModule(Path.Combine(hsm.HsmDirectory, "raw-module"));
        var factories = new Pkcs11InteropFactories();
        var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, copy, AppType.MultiThreaded);
        var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == SoftHsmToken.DefaultLabel);
        var session = slot.OpenSession(SessionType.ReadWrite);
        session.Login(CKU.CKU_USER, File.ReadAllText(hsm.Options.PinFile).Trim());
        return new RawToken(library, session);
    }

    public List<IObjectAttribute> Read(string hsmId, List<CKA> attributes) => _session.GetAttributeValue(Find(hsmId), attributes);

    /// <summary>Tries to turn the key extractable; PKCS#11 forbids it once CKA_EXTRACTABLE is false.</summary>
    public bool CanSetExtractable(string hsmId)
    {
        try
        {
            using var change = new AttributeList([_library.Factories.ObjectAttributeFactory.Create(CKA.CKA_EXTRACTABLE, true)]);
            _session.SetAttributeValue(Find(hsmId), change.Items);
            return true;
        }
        catch (Pkcs11Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _library.Dispose();
    }

    private IObjectHandle Find(string hsmId)
    {
        var f = _library.Factories;
        return AttributeList.Find(_session,
        [
            f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            f.ObjectAttributeFactory.Create(CKA.CKA_ID, Convert.FromHexString(hsmId)),
        ]).Single();
    }
}
