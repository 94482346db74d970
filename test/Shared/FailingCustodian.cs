using SecureFuture.Keys;

namespace SecureFuture.Testing;

/// <summary>
/// The real custodian, except that generating a key whose label contains <paramref name="marker"/> throws (a defect
/// confined to one ring's scheduled work) while <see cref="Failing"/> is set.
/// </summary>
internal sealed class FailingCustodian(IKeyCustodian inner, string marker) : DelegatingCustodian(inner)
{
    public bool Failing { get; set; }

    public override HsmKey Generate(SigningAlgorithm algorithm, string label)
        => Failing && label.Contains(marker, StringComparison.Ordinal) ? throw new InvalidOperationException("a defect in this ring's work") : base.Generate(algorithm, label);
}
