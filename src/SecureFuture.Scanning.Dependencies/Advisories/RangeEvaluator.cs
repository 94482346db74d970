using System.Runtime.CompilerServices;
using SecureFuture.Scanning.Dependencies.Versions;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>
/// Whether a version is affected by one OSV "affected" entry (OSV schema, "Evaluation"): in its explicit
/// <c>versions</c> list, or inside one of its <c>SEMVER</c>/<c>ECOSYSTEM</c> ranges. A range is evaluated over its
/// events sorted by version (records need not sort them): <c>introduced</c> at or below the version opens it
/// (<c>"0"</c> is below every version), <c>fixed</c> at or below closes it, <c>last_affected</c> below closes it, and a
/// <c>limit</c> bounds it from above. A range whose event does not parse in its scheme is not evaluated and is
/// reported; <c>GIT</c> ranges name commits and cannot be evaluated against a package version.
/// <para>
/// Each entry is compiled once (its versions parsed and sorted, its events parsed and sorted) and kept for as long
/// as the record is: a PyPA record lists hundreds of versions, and thousands of packages meet the same records.
/// </para>
/// </summary>
internal static class RangeEvaluator
{
    private static readonly ConditionalWeakTable<OsvAffected, CompiledEntry> Compiled = [];

    /// <summary>The outcome for one entry: affected or not, and the problems that kept a range from being evaluated.</summary>
    public readonly record struct Outcome(bool Affected, IReadOnlyList<string> Problems);

    /// <param name="parsed"><paramref name="version"/> parsed in the entry's ecosystem, or null when it does not parse.</param>
    public static Outcome Evaluate(OsvAffected entry, string version, PackageVersion? parsed, string advisoryId)
    {
        var compiled = Compile(entry);
        if (compiled.ListsVersion(version, parsed))
        {
            return new Outcome(true, []);
        }

        List<string>? problems = null;
        foreach (var range in compiled.Ranges)
        {
            if (range.Problem is not null)
            {
                (problems ??= []).Add($"{advisoryId}: {range.Problem}");
                continue;
            }

            var v = range.Scheme == compiled.Scheme ? parsed : range.Scheme.ParseOrNull(version);
            if (v is null)
            {
                // The package's own version is reported once by the matcher when it does not parse in its ecosystem.
                if (parsed is not null)
                {
                    (problems ??= []).Add($"{advisoryId}: '{version}' is not a {range.Scheme.Name} version, so its {range.Type} range was not evaluated");
                }

                continue;
            }

            if (range.Contains(v))
            {
                return new Outcome(true, problems ?? []);
            }
        }

        return new Outcome(false, problems ?? []);
    }

    /// <summary>
    /// The versions the entry's <c>fixed</c> events name that parse in its ecosystem, as written and parsed, in
    /// version order.
    /// </summary>
    public static IReadOnlyList<PackageVersion> FixedVersions(OsvAffected entry) => Compile(entry).Fixes;

    /// <summary>The entry's package name as <see cref="PackageNames.Normalize"/> compares it.</summary>
    public static string NormalizedName(OsvAffected entry) => Compile(entry).Name;

    private static CompiledEntry Compile(OsvAffected entry) => Compiled.GetValue(entry, e => new CompiledEntry(e));

    /// <summary>SEMVER ranges use SemVer 2.0.0; the semver-based ecosystems keep their own flavour (Go's <c>v</c> prefix).</summary>
    private static VersionScheme SchemeOf(string rangeType, VersionScheme ecosystemScheme) =>
        rangeType == "SEMVER" && ecosystemScheme != VersionSchemes.Go && ecosystemScheme != VersionSchemes.Cargo ? VersionSchemes.SemVer : ecosystemScheme;

    private sealed class CompiledEntry
    {
        private readonly HashSet<string> _listed;
        private readonly PackageVersion[] _listedSorted;

        public CompiledEntry(OsvAffected entry)
        {
            Scheme = VersionSchemes.ForEcosystem(entry.Ecosystem)!;
            _listed = new HashSet<string>(entry.Versions, StringComparer.Ordinal);
            _listedSorted = [.. entry.Versions.Select(Scheme.ParseOrNull).OfType<PackageVersion>().Order(PackageVersion.Order)];
            Ranges = [.. entry.Ranges.Where(r => r.Type is "SEMVER" or "ECOSYSTEM").Select(r => new CompiledRange(r, SchemeOf(r.Type, Scheme)))];
            Fixes = [.. Ranges.SelectMany(r => r.Fixed).Select(Scheme.ParseOrNull).OfType<PackageVersion>().Order(PackageVersion.Order)];
            Name = PackageNames.Normalize(entry.Ecosystem, entry.Name);
        }

        public string Name { get; }

        public PackageVersion[] Fixes { get; }

        public VersionScheme Scheme { get; }

        public CompiledRange[] Ranges { get; }

        /// <summary>The list is matched exactly (OSV); equal precedence counts too (PEP 440: 1.0 is 1.0.0).</summary>
        public bool ListsVersion(string version, PackageVersion? parsed) =>
            _listed.Contains(version) || (parsed is not null && Array.BinarySearch(_listedSorted, parsed, PackageVersion.Order) >= 0);
    }

    private sealed class CompiledRange
    {
        // Sorted by version; "introduced: 0" (null) first; at one version, introduced before the events that close.
        private readonly (OsvEventKind Kind, PackageVersion? At)[] _events = [];
        private readonly PackageVersion? _limit;

        public CompiledRange(OsvRange range, VersionScheme scheme)
        {
            Type = range.Type;
            Scheme = scheme;
            var parsed = new List<(OsvEventKind Kind, PackageVersion? At)>(range.Events.Count);
            var fixes = new List<string>();
            foreach (var e in range.Events)
            {
                if (e.Kind == OsvEventKind.Introduced && e.Version == "0")
                {
                    parsed.Add((e.Kind, null)); // below every version
                }
                else if (e.Kind == OsvEventKind.Limit && e.Version == "*")
                {
                    continue; // no limit
                }
                else if (scheme.TryParse(e.Version, out var at, out var notVersion))
                {
                    if (e.Kind == OsvEventKind.Limit)
                    {
                        _limit = _limit is null || at.CompareTo(_limit) > 0 ? at : _limit;
                    }
                    else
                    {
                        parsed.Add((e.Kind, at));
                    }

                    if (e.Kind == OsvEventKind.Fixed)
                    {
                        fixes.Add(e.Version);
                    }
                }
                else
                {
                    Problem = $"{EventName(e.Kind)} {notVersion}, so a {range.Type} range was not evaluated";
                }
            }

            Fixed = fixes;
            if (Problem is null)
            {
                parsed.Sort((a, b) => a.At is null ? (b.At is null ? 0 : -1)
                    : b.At is null ? 1
                    : a.At.CompareTo(b.At) is var c && c != 0 ? c
                    : a.Kind.CompareTo(b.Kind));
                _events = [.. parsed];
            }
        }

        public string Type { get; }

        public VersionScheme Scheme { get; }

        /// <summary>Why this range cannot be evaluated (an event that does not parse in its scheme), or null.</summary>
        public string? Problem { get; }

        public IReadOnlyList<string> Fixed { get; }

        public bool Contains(PackageVersion v)
        {
            var affected = false;
            foreach (var (kind, at) in _events)
            {
                if (at is not null && v.CompareTo(at) < 0)
                {
                    break; // sorted: no later event applies
                }

                affected = kind switch
                {
                    OsvEventKind.Introduced => true,
                    OsvEventKind.Fixed => false,
                    OsvEventKind.LastAffected => affected && v.CompareTo(at) == 0, // last_affected itself is still affected
                    _ => affected,
                };
            }

            return affected && (_limit is null || v.CompareTo(_limit) < 0);
        }

        private static string EventName(OsvEventKind kind) => kind switch
        {
            OsvEventKind.Introduced => "introduced:",
            OsvEventKind.Fixed => "fixed:",
            OsvEventKind.LastAffected => "last_affected:",
            _ => "limit:",
        };
    }
}
