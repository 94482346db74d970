using System.Globalization;
using System.Runtime.CompilerServices;
using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Versions;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>One vulnerability of a package: OSV records that share an id or alias, merged.</summary>
/// <param name="Id">The preferred id among the merged records (GHSA, then other database ids, then CVE).</param>
/// <param name="Aliases">Every other id and alias of the merged records (CVE, GHSA, PYSEC, ...), sorted.</param>
/// <param name="FixedVersions">The versions that fix it, as the records write them, in version order.</param>
/// <param name="KnownExploited">Whether one of its CVE ids is in the loaded CISA KEV catalogue.</param>
public sealed record AdvisoryMatch(string Id, IReadOnlyList<string> Aliases, string Summary, AdvisorySeverity Severity, IReadOnlyList<string> FixedVersions, bool KnownExploited)
{
    internal AdvisoryMatch(string id, IReadOnlyList<string> aliases, string summary, AdvisorySeverity severity, IReadOnlyList<string> fixedVersions, IReadOnlyList<PackageVersion> parsedFixes, bool knownExploited)
        : this(id, aliases, summary, severity, fixedVersions, knownExploited) => ParsedFixes = parsedFixes;

    /// <summary><see cref="FixedVersions"/> parsed in the package's ecosystem.</summary>
    internal IReadOnlyList<PackageVersion> ParsedFixes { get; } = [];
}

/// <summary>
/// A package with known vulnerabilities or with advisories that could not be evaluated for it. Everything a
/// <c>Finding</c> needs: the package (manifest, line, path of direct dependencies), the advisories, the severity and
/// the upgrade.
/// </summary>
/// <param name="SmallestFix">
/// The lowest version above the current one that none of the package's advisories affects, among the versions the
/// advisories name as fixes; null when there is none (no fix published, or every fix is still affected by another).
/// </param>
/// <param name="Problems">Why something could not be evaluated: the version does not parse in its ecosystem, or an advisory's range holds a malformed version.</param>
public sealed record PackageAdvisories(ResolvedPackage Package, IReadOnlyList<AdvisoryMatch> Advisories, string? SmallestFix, IReadOnlyList<string> Problems)
{
    /// <summary>How many advisories <see cref="Message"/> describes with their summaries; the rest are named by id.</summary>
    public const int DescribedInFull = 3;

    /// <summary>The most severe of its advisories, or null when it has none (problems only).</summary>
    public AdvisorySeverity? Severity => Advisories.Count == 0 ? null : Advisories.Select(a => a.Severity).Aggregate(AdvisorySeverity.Max);

    /// <summary>
    /// The finding's message: the package, its advisories (most severe first, known-exploited ones first and marked),
    /// the first <see cref="DescribedInFull"/> with aliases, rating and summary and any others by id, then the upgrade;
    /// for a package with problems only, the problems. Example: <c>y18n 4.0.0: GHSA-c4w7-xm78-47vh (CVE-2020-7774;
    /// high 7.3, CVSS 3.1) Prototype Pollution in y18n. Upgrade to 4.0.1, which fixes all of them.</c> A package with
    /// dozens of advisories (an old Django) keeps a message a reader can take in; every id is in the finding's properties.
    /// </summary>
    public string Message
    {
        get
        {
            if (Advisories.Count == 0)
            {
                return $"{Package.Name} {Package.Version}: advisories could not be evaluated: {string.Join("; ", Problems)}";
            }

            var ordered = Advisories
                .OrderByDescending(a => a.KnownExploited).ThenByDescending(a => a.Severity.Level).ThenByDescending(a => a.Severity.Score ?? -1).ThenBy(a => a.Id, StringComparer.Ordinal)
                .ToList();
            var described = ordered.Take(DescribedInFull).Select(a => string.Create(CultureInfo.InvariantCulture,
                $"{a.Id} ({string.Join(", ", a.Aliases.Take(3))}{(a.Aliases.Count > 0 ? "; " : "")}{(a.KnownExploited ? "KNOWN EXPLOITED; " : "")}{a.Severity.Level.ToToken()}{(a.Severity.Score is { } score ? $" {score:0.0}" : "")}, {a.Severity.Source}) {a.Summary}").TrimEnd());
            var others = ordered.Count > DescribedInFull
                ? string.Create(CultureInfo.InvariantCulture, $"; and {ordered.Count - DescribedInFull} more: {string.Join(", ", ordered.Skip(DescribedInFull).Select(a => a.Id))}")
                : "";
            var upgrade = SmallestFix is { } fix ? $"Upgrade to {fix}, which fixes all of them." : "No published version fixes all of them.";
            return $"{Package.Name} {Package.Version}: {string.Join("; ", described)}{others}. {upgrade}";
        }
    }
}

/// <summary>Matches resolved packages against the advisory index with each ecosystem's version rules.</summary>
public sealed class AdvisoryMatcher(AdvisoryIndex index, KevCatalog? kev = null)
{
    // A record's severity is computed once (a CVSS v4.0 score is not free, and thousands of packages meet one record).
    private static readonly ConditionalWeakTable<OsvRecord, AdvisorySeverity> Severities = [];

    /// <summary>
    /// For each package: the advisories that affect its version, one per vulnerability (aliases merged), and the
    /// smallest upgrade that fixes them all. Packages with nothing to report are left out; a version that does not
    /// parse in its ecosystem is reported and matched only against explicit <c>versions</c> lists, exactly.
    /// </summary>
    public IReadOnlyList<PackageAdvisories> Match(IEnumerable<ResolvedPackage> packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        var results = new List<PackageAdvisories>();
        var fixChecks = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var package in packages)
        {
            if (MatchOne(package, fixChecks) is { } result)
            {
                results.Add(result);
            }
        }

        return results;
    }

    private PackageAdvisories? MatchOne(ResolvedPackage package, Dictionary<string, bool> fixChecks)
    {
        var scheme = VersionSchemes.ForEcosystem(package.Ecosystem);
        var records = index.For(package.Ecosystem, package.Name);
        if (scheme is null || records.Count == 0)
        {
            return null;
        }

        var problems = new List<string>();
        if (!scheme.TryParse(package.Version, out var current, out var problem))
        {
            problems.Add($"{package.Name}: {problem}: matched only against advisories that list it exactly");
        }

        var affecting = new List<OsvRecord>();
        foreach (var record in records)
        {
            var hit = false;
            foreach (var entry in Entries(record, package))
            {
                var outcome = RangeEvaluator.Evaluate(entry, package.Version, current, record.Id);
                problems.AddRange(outcome.Problems);
                hit |= outcome.Affected;
            }

            if (hit)
            {
                affecting.Add(record);
            }
        }

        if (affecting.Count == 0 && problems.Count == 0)
        {
            return null;
        }

        var matches = Merge(affecting, package).ToList();
        var smallestFix = current is null || matches.Count == 0 ? null : SmallestFix(package, current, scheme, records, matches, fixChecks);
        return new PackageAdvisories(package, matches, smallestFix, [.. problems.Distinct(StringComparer.Ordinal)]);
    }

    private static IEnumerable<OsvAffected> Entries(OsvRecord record, ResolvedPackage package)
    {
        var name = PackageNames.Normalize(package.Ecosystem, package.Name);
        return record.Affected.Where(a => a.Ecosystem == package.Ecosystem && (RangeEvaluator.NormalizedName(a) == name || PackageNames.Covers(a.Ecosystem, name, a.Name)));
    }

    // Records that share an id or alias are one vulnerability (a PYSEC record and the GHSA record of the same CVE).
    private IEnumerable<AdvisoryMatch> Merge(List<OsvRecord> records, ResolvedPackage package)
    {
        var parent = Enumerable.Range(0, records.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            foreach (var id in records[i].Aliases.Prepend(records[i].Id))
            {
                if (owner.TryGetValue(id, out var j))
                {
                    parent[Find(i)] = Find(j);
                }
                else
                {
                    owner[id] = i;
                }
            }
        }

        foreach (var group in Enumerable.Range(0, records.Count).GroupBy(Find).Select(g => g.Select(i => records[i]).OrderBy(r => IdRank(r.Id)).ThenBy(r => r.Id, StringComparer.Ordinal).ToList()))
        {
            var primary = group[0];
            var ids = group.SelectMany(r => r.Aliases.Prepend(r.Id)).Distinct(StringComparer.Ordinal).ToList();
            var fixes = group.SelectMany(r => Entries(r, package)).SelectMany(RangeEvaluator.FixedVersions).DistinctBy(f => f.Text, StringComparer.Ordinal).Order(PackageVersion.Order).ToList();
            yield return new AdvisoryMatch(
                primary.Id,
                [.. ids.Where(id => id != primary.Id).Order(StringComparer.Ordinal)],
                group.Select(r => r.Summary).FirstOrDefault(s => s.Length > 0) ?? "",
                AdvisorySeverity.Combine(group.Select(r => Severities.GetValue(r, AdvisorySeverity.Of))),
                [.. fixes.Select(f => f.Text)],
                fixes,
                kev is not null && ids.Any(kev.Contains));
        }
    }

    private static int IdRank(string id) =>
        id.StartsWith("GHSA-", StringComparison.Ordinal) ? 0 : id.StartsWith("CVE-", StringComparison.Ordinal) ? 2 : 1;

    /// <summary>
    /// The lowest fixed version above <paramref name="current"/> that no advisory of the package affects (not only the
    /// matched ones: an upgrade into another advisory's range is no fix). Whether a candidate is clean depends only on
    /// the package and the candidate, so one run checks it once however many manifests hold the package.
    /// </summary>
    private static string? SmallestFix(ResolvedPackage package, PackageVersion current, VersionScheme scheme, IReadOnlyList<OsvRecord> all, List<AdvisoryMatch> matches, Dictionary<string, bool> fixChecks)
    {
        var key = PackageNames.Key(package.Ecosystem, package.Name);
        var candidates = matches.SelectMany(m => m.ParsedFixes)
            .Where(v => v.CompareTo(current) > 0)
            .Order(PackageVersion.Order);
        foreach (var candidate in candidates)
        {
            var check = string.Concat(key, "\n", candidate.Text);
            if (!fixChecks.TryGetValue(check, out var clean))
            {
                fixChecks[check] = clean = !all.Any(r => Entries(r, package).Any(e => RangeEvaluator.Evaluate(e, candidate.Text, candidate, r.Id).Affected));
            }

            if (clean)
            {
                return candidate.Text;
            }
        }

        return null;
    }
}
