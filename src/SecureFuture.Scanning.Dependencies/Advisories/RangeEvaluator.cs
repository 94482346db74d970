using SecureFuture.Scanning.Dependencies.Versions;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>
/// Whether a version is affected by one OSV "affected" entry (OSV schema, "Evaluation"): in its explicit
/// <c>versions</c> list, or inside one of its <c>SEMVER</c>/<c>ECOSYSTEM</c> ranges. A range is evaluated over its
/// events sorted by version (records need not sort them): <c>introduced</c> at or below the version opens it
/// (<c>"0"</c> is below every version), <c>fixed</c> at or below closes it, <c>last_affected</c> below closes it, and a
/// <c>limit</c> bounds it from above. A range whose event does not parse in its scheme is not evaluated and is
/// reported; <c>GIT</c> ranges name commits and cannot be evaluated against a package version.
/// </summary>
internal static class RangeEvaluator
{
    /// <summary>The outcome for one entry: affected or not, and the problems that kept a range from being evaluated.</summary>
    public readonly record struct Outcome(bool Affected, IReadOnlyList<string> Problems);

    public static Outcome Evaluate(OsvAffected entry, string version, string advisoryId)
    {
        var problems = new List<string>();
        var ecosystemScheme = VersionSchemes.ForEcosystem(entry.Ecosystem)!;
        var parsed = ecosystemScheme.ParseOrNull(version);
        if (InVersionsList(entry, version, parsed, ecosystemScheme))
        {
            return new Outcome(true, problems);
        }

        foreach (var range in entry.Ranges)
        {
            if (range.Type is not ("SEMVER" or "ECOSYSTEM"))
            {
                continue;
            }

            var scheme = SchemeOf(range, entry.Ecosystem);
            if (!scheme.TryParse(version, out var v, out var notVersion))
            {
                // The package's own version is reported once by the matcher when it does not parse in its ecosystem.
                if (parsed is not null)
                {
                    problems.Add($"{advisoryId}: {notVersion}, so its {range.Type} range was not evaluated");
                }

                continue;
            }

            if (IsInRange(v, range, scheme, out var problem))
            {
                return new Outcome(true, problems);
            }

            if (problem is not null)
            {
                problems.Add($"{advisoryId}: {problem}");
            }
        }

        return new Outcome(false, problems);
    }

    /// <summary>
    /// SEMVER ranges use SemVer 2.0.0; the semver-based ecosystems keep their own flavour (Go's <c>v</c> prefix).
    /// </summary>
    public static VersionScheme SchemeOf(OsvRange range, string ecosystem)
    {
        var scheme = VersionSchemes.ForEcosystem(ecosystem)!;
        return range.Type == "SEMVER" && scheme != VersionSchemes.Go && scheme != VersionSchemes.Cargo ? VersionSchemes.SemVer : scheme;
    }

    /// <summary>The versions the range's <c>fixed</c> events name, as written (those that parse in its scheme).</summary>
    public static IEnumerable<string> FixedVersions(OsvAffected entry) =>
        entry.Ranges.Where(r => r.Type is "SEMVER" or "ECOSYSTEM")
            .SelectMany(r => r.Events.Where(e => e.Kind == OsvEventKind.Fixed && SchemeOf(r, entry.Ecosystem).ParseOrNull(e.Version) is not null).Select(e => e.Version));

    private static bool InVersionsList(OsvAffected entry, string version, PackageVersion? parsed, VersionScheme scheme)
    {
        foreach (var listed in entry.Versions)
        {
            // The list is matched exactly (OSV); equal precedence counts too (PEP 440: 1.0 is 1.0.0).
            if (string.Equals(listed, version, StringComparison.Ordinal) || (parsed is not null && scheme.ParseOrNull(listed) is { } l && l.CompareTo(parsed) == 0))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInRange(PackageVersion v, OsvRange range, VersionScheme scheme, out string? problem)
    {
        problem = null;
        var events = new List<(OsvEvent Event, PackageVersion? Version)>(range.Events.Count);
        foreach (var e in range.Events)
        {
            if (e.Kind == OsvEventKind.Introduced && e.Version == "0")
            {
                events.Add((e, null)); // below every version
            }
            else if (e.Kind == OsvEventKind.Limit && e.Version == "*")
            {
                continue; // no limit
            }
            else if (scheme.TryParse(e.Version, out var parsed, out var notVersion))
            {
                events.Add((e, parsed));
            }
            else
            {
                problem = $"{RangeName(e.Kind)} {notVersion}, so a {range.Type} range was not evaluated";
                return false;
            }
        }

        // Sorted by version; "introduced: 0" first; at one version, introduced before the events that close.
        events.Sort((a, b) => a.Version is null ? (b.Version is null ? 0 : -1)
            : b.Version is null ? 1
            : a.Version.CompareTo(b.Version) is var c && c != 0 ? c
            : a.Event.Kind.CompareTo(b.Event.Kind));

        var affected = false;
        PackageVersion? limit = null;
        foreach (var (e, at) in events)
        {
            switch (e.Kind)
            {
                case OsvEventKind.Introduced when at is null || v.CompareTo(at) >= 0:
                    affected = true;
                    break;
                case OsvEventKind.Fixed when v.CompareTo(at) >= 0:
                    affected = false;
                    break;
                case OsvEventKind.LastAffected when v.CompareTo(at) > 0:
                    affected = false;
                    break;
                case OsvEventKind.Limit:
                    limit = limit is null || at!.CompareTo(limit) > 0 ? at : limit;
                    break;
            }
        }

        return affected && (limit is null || v.CompareTo(limit) < 0);
    }

    private static string RangeName(OsvEventKind kind) => kind switch
    {
        OsvEventKind.Introduced => "introduced:",
        OsvEventKind.Fixed => "fixed:",
        OsvEventKind.LastAffected => "last_affected:",
        _ => "limit:",
    };
}
