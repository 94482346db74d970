using SecureFuture.Keys;

namespace SecureFuture.Testing;

/// <summary>
/// The real custodian passed through; a test custodian overrides only the call it changes (a failure, a crash).
/// The inner custodian belongs to the test fixture, so disposing this one leaves it open.
/// </summary>
internal abstract class DelegatingCustodian(IKeyCustodian inner) : IKeyCustodian
{
    public virtual string Description => inner.Description;

    public virtual HsmKey Generate(SigningAlgorithm algorithm, string label) => inner.Generate(algorithm, label);

    public virtual byte[] SignDigest(string hsmId, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest) => inner.SignDigest(hsmId, algorithm, digest);

    public virtual PublicKeyMaterial? FindPublicKey(string hsmId, SigningAlgorithm algorithm) => inner.FindPublicKey(hsmId, algorithm);

    public virtual IReadOnlyList<HsmKeyInfo> List(string labelPrefix) => inner.List(labelPrefix);

    public virtual bool Destroy(string hsmId) => inner.Destroy(hsmId);

    public virtual void Ping() => inner.Ping();

    public void Dispose()
    {
    }
}
