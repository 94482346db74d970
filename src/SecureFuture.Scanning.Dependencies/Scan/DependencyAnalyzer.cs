using System.Globalization;
using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Advisories;
using SecureFuture.Scanning.Dependencies.Inventory;

namespace SecureFuture.Scanning.Dependencies.Scan;

/// <summary>
/// <c>sfi scan --analyzers deps</c>: the dependency inventory of the scanned tree matched against the local advisory
/// database. One finding (<see cref="VulnerableRuleId"/>) per vulnerable package, on the manifest or lock line that
/// declares it, with its advisories, severity, fixes and, for a transitive package, the path that brings it. Without a
/// database (<paramref name="database"/> null) it is the inventory alone: the caller decides whether that is allowed.
/// </summary>
public sealed class DependencyAnalyzer(AdvisoryDatabase? database) : IProjectAnalyzer
{
    public const string VulnerableRuleId = "SFI-DEP-001";

    /// <summary>The rule of every dependency finding; a known-exploited advisory is a <c>kev</c> property and at least high severity.</summary>
    public static RuleDescriptor VulnerableRule { get; } = new()
    {
        Id = VulnerableRuleId,
        Name = "VulnerablePackage",
        DefaultSeverity = Severity.High,
        Confidence = Confidence.High,
        ShortDescription = "A dependency has a published vulnerability.",
        FullDescription = "The manifest or lock file resolves a package version that an advisory in the local OSV database affects "
            + "(ranges evaluated with the ecosystem's own version rules). Severity is the highest CVSS base score of its advisories "
            + "(the database's own rating when there is no vector); an advisory whose CVE is in the CISA Known Exploited "
            + "Vulnerabilities catalogue makes the finding at least high and sets the kev property.",
        HelpMarkdown = "Upgrade the package to the version the finding names (the smallest one that fixes all its advisories), "
            + "or, for a transitive package, the direct dependency in its path to a version that brings a fixed one. "
            + "See guidance/SFI-DEP-001.md.",
        HelpUri = $"guidance/{VulnerableRuleId}.md",
        Tags = ["security", "dependencies", "supply-chain"],
        Frameworks = ["CWE-1395", "OWASP-A06:2021"],
    };

    private readonly DependencyInventoryAnalyzer _inventory = new();

    public IReadOnlyList<RuleDescriptor> Rules { get; } = [VulnerableRule];

    public bool Wants(string relativePath) => _inventory.Wants(relativePath);

    public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        _inventory.Analyze(input, sink, cancellationToken);
        if (database is null || _inventory.Last is not { } inventory)
        {
            return;
        }

        var texts = input.Files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
        var vulnerable = 0;
        foreach (var result in database.Matcher().Match(inventory.Packages))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var package = result.Package;
            if (result.Problems.Count > 0)
            {
                sink.Notify(new Notification("deps-advisory-unevaluated", NotificationLevel.Warning,
                    $"{package.Name} {package.Version}: {string.Join("; ", result.Problems)}")
                { Path = package.Manifest, Region = new Region(package.Line, 1, package.Line, 1), RuleId = VulnerableRuleId });
            }

            if (result.Advisories.Count == 0 || !texts.TryGetValue(package.Manifest, out var text))
            {
                continue;
            }

            vulnerable++;
            var (start, length) = LineSpan(text, package.Line);
            sink.Report(package.Manifest, ToDetection(result, start, length));
        }

        sink.Count("dependencyVulnerablePackages", vulnerable);
    }

    /// <summary>The detection for one vulnerable package: what a user, a baseline and a suppression need of it.</summary>
    internal static Detection ToDetection(PackageAdvisories result, int start, int length)
    {
        var package = result.Package;
        var kev = result.Advisories.Any(a => a.KnownExploited);
        var severity = result.Severity!.Level;
        if (kev && severity < Severity.High)
        {
            severity = Severity.High;
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ecosystem"] = package.Ecosystem,
            ["package"] = package.Name,
            ["version"] = package.Version,
            ["direct"] = package.Direct ? "true" : "false",
            ["advisories"] = string.Join(",", result.Advisories.Select(a => a.Id)),
            ["aliases"] = string.Join(",", result.Advisories.SelectMany(a => a.Aliases).Distinct(StringComparer.Ordinal)),
            ["fixedVersions"] = string.Join(",", result.Advisories.SelectMany(a => a.FixedVersions).Distinct(StringComparer.Ordinal)),
            ["kev"] = kev ? "true" : "false",
            // The package, version and advisories identify the result across line moves and reformatting of the lock
            // file; an advisory published later makes it a new result, which a baseline does not hide.
            [Detection.EvidenceKey] = string.Join("\n", [package.Ecosystem, package.Name, package.Version, .. result.Advisories.Select(a => a.Id).Order(StringComparer.Ordinal)]),
        };
        if (result.SmallestFix is { } fix)
        {
            properties["smallestFix"] = fix;
        }

        if (result.Severity.Score is { } score)
        {
            properties["cvssScore"] = score.ToString("0.0", CultureInfo.InvariantCulture);
        }

        if (package.Via.Count > 0)
        {
            properties["via"] = string.Join(" > ", package.Via.Append(package.Name));
        }

        var message = package.Via.Count > 0
            ? $"{result.Message} Brought in by {string.Join(" > ", package.Via)}."
            : result.Message;
        return new Detection(VulnerableRuleId, severity, message, start, length, null)
        {
            Properties = properties,
            // An inline suppression must name every advisory (by its id or an alias): a new one brings the finding back.
            SuppressionIds = [.. result.Advisories.Select(a => (IReadOnlyList<string>)[a.Id, .. a.Aliases])],
        };
    }

    /// <summary>The 1-based line's text span (without its line break and surrounding blanks), or the file's start when the line is past its end.</summary>
    internal static (int Start, int Length) LineSpan(string text, int line)
    {
        var start = 0;
        for (var i = 1; i < line; i++)
        {
            var next = text.IndexOf('\n', start);
            if (next < 0)
            {
                return (0, 0);
            }

            start = next + 1;
        }

        var end = text.IndexOf('\n', start);
        end = end < 0 ? text.Length : end;
        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        return (start, end - start);
    }
}
