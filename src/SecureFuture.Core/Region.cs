namespace SecureFuture.Core;

/// <summary>
/// A text region, 1-based. Columns count UTF-16 code units, SARIF's default <c>columnKind</c>
/// (SARIF §3.14.17); <see cref="EndColumn"/> is exclusive (SARIF §3.30.8).
/// </summary>
public sealed record Region(int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public override string ToString() => $"{StartLine}:{StartColumn}";
}
