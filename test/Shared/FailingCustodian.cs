using SecureFuture.Keys;

namespace SecureFuture.Testing;

/// <summary>
/// The real custodian, except that generating a key whose label contains <paramref name="marker"/> throws (a defect
/// confined to one ring's scheduled work) while <see cref="Failing"/> is set.
/// </summary>
internal sealed class FailingCustodian(IKeyCustodian inner, string marker) : IKeyCustodian
{
    public bool Failing { get; set; }

    public string Description => inner.Description;

    public HsmKey Generate(SigningAlgorithm algorithm, string label)
        => Failing && label.Contains(marker, StringComparison.Ordinal) ? throw new InvalidOperationException("a defect in this ring's work") : inner.Generate(algorithm, label);

    public byte[] SignDigest(string hsmId, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest) => inner.SignDigest(hsmId, algorithm, digest);

    public PublicKeyMaterial? FindPublicKey(string hsmId, SigningAlgorithm algorithm) => inner.FindPublicKey(hsmId, algorithm);

    public IReadOnlyList<HsmKeyInfo> List(string labelPrefix) => inner.List(labelPrefix);

    public bool Destroy(string hsmId) => inner.Destroy(hsmId);

    public void Ping() => inner.Ping();

    // The inner custodian belongs to the test fixture.
    public void Dispose()
    {
    }
}
