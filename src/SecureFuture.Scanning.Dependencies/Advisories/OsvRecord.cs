namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>OSV schema "affected[].ranges[].events[]": which kind of bound an event sets.</summary>
public enum OsvEventKind : byte
{
    Introduced = 0,
    Fixed = 1,
    LastAffected = 2,
    Limit = 3,
}

/// <summary>One range event, its version kept verbatim (parsed only when a package is matched).</summary>
public sealed record OsvEvent(OsvEventKind Kind, string Version);

/// <summary>OSV "ranges[]": <c>SEMVER</c>, <c>ECOSYSTEM</c> or <c>GIT</c> (the last cannot be evaluated without the repository).</summary>
public sealed record OsvRange(string Type, IReadOnlyList<OsvEvent> Events);

/// <summary>OSV "affected[]", for one package of one of the ecosystems dependency scanning knows.</summary>
/// <param name="Name">As the record spells it (matching normalises it with <see cref="PackageNames"/>).</param>
public sealed record OsvAffected(string Ecosystem, string Name, IReadOnlyList<OsvRange> Ranges, IReadOnlyList<string> Versions);

/// <summary>OSV "severity[]": a type (<c>CVSS_V3</c>, <c>CVSS_V4</c>, ...) and its score, usually a vector.</summary>
public sealed record OsvSeverity(string Type, string Score);

/// <summary>
/// The parts of an OSV record that matching and reports use. <see cref="DatabaseSeverity"/> is the database's own rating
/// (GitHub: <c>database_specific.severity</c>), the fallback when no CVSS vector is given.
/// </summary>
public sealed record OsvRecord(
    string Id,
    IReadOnlyList<string> Aliases,
    string Summary,
    DateTimeOffset? Modified,
    bool Withdrawn,
    IReadOnlyList<OsvSeverity> Severity,
    string? DatabaseSeverity,
    IReadOnlyList<OsvAffected> Affected);
