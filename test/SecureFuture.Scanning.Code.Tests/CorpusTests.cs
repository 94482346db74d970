using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SecureFuture.Scanning.Code.Tests;

/// <summary>
/// The corpus (Corpus/WebApp, an intentionally vulnerable ASP.NET Core app) against its manifest (Corpus/expected.yaml):
/// the real analyzer must report every marked sink at its line and none of the marked look-alikes.
/// </summary>
public sealed partial class CorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "Corpus");

    private static readonly Lazy<Manifest> Expected = new(LoadManifest);

    private static readonly Lazy<CorpusRun> Run = new(AnalyzeCorpus);

    [Fact]
    public void Manifest_lists_exactly_the_marked_lines_of_the_corpus()
    {
        var manifest = Expected.Value;
        var problems = new List<string>();
        foreach (var (entry, kind) in manifest.Findings.Select(e => (e, "VULN")).Concat(manifest.Safe.Select(e => (e, "SAFE"))))
        {
            var path = Path.Combine(CorpusDirectory, entry.File);
            if (!File.Exists(path))
            {
                problems.Add($"{entry.File}: no such file");
                continue;
            }

            var lines = File.ReadAllLines(path);
            if (entry.Line < 1 || entry.Line > lines.Length)
            {
                problems.Add($"{entry.File}:{entry.Line}: no such line");
            }
            else if (!lines[entry.Line - 1].Contains($"{kind}: {entry.Class}", StringComparison.Ordinal))
            {
                problems.Add($"{entry.File}:{entry.Line}: the line has no '{kind}: {entry.Class}' marker: {lines[entry.Line - 1].Trim()}");
            }
        }

        var listed = manifest.Findings.Select(e => ("VULN", e.Class, e.File, e.Line))
            .Concat(manifest.Safe.Select(e => ("SAFE", e.Class, e.File, e.Line)))
            .ToHashSet();
        foreach (var marker in Markers().Where(m => !listed.Contains(m)))
        {
            problems.Add($"{marker.File}:{marker.Line}: '{marker.Kind}: {marker.Class}' is not in expected.yaml");
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Every_class_has_a_vulnerable_case_and_a_safe_look_alike_and_a_rule()
    {
        var manifest = Expected.Value;
        var vulnerable = manifest.Findings.Select(e => e.Class).ToHashSet(StringComparer.Ordinal);
        var safe = manifest.Safe.Select(e => e.Class).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(manifest.RuleNames.Keys.Order(StringComparer.Ordinal), vulnerable.Order(StringComparer.Ordinal));
        Assert.Equal(vulnerable.Order(StringComparer.Ordinal), safe.Order(StringComparer.Ordinal));
        Assert.All(manifest.Findings.Concat(manifest.Safe), e => Assert.False(string.IsNullOrWhiteSpace(e.Note), $"{e.File}:{e.Line} has no note"));
    }

    [CorpusFact]
    public void Every_vulnerable_sink_in_the_corpus_is_reported_at_its_line()
    {
        AssertEveryEntryHasARule();
        var run = Run.Value;
        var missing = Expected.Value.Findings
            .Where(e => !run.At(e.File, e.Line).Any(r => RuleIdsOf(e).Contains(r.RuleId)))
            .Select(e => $"{e.Class} at {e.File}:{e.Line} ({e.Note}); results on that line: {Describe(run.At(e.File, e.Line))}")
            .ToList();

        Assert.True(missing.Count == 0, $"{missing.Count} of {Expected.Value.Findings.Count} expected results missing:{Environment.NewLine}{string.Join(Environment.NewLine, missing)}");
    }

    [CorpusFact]
    public void No_safe_look_alike_in_the_corpus_is_reported()
    {
        AssertEveryEntryHasARule();
        var run = Run.Value;
        var flagged = Expected.Value.Safe
            .Select(e => (Entry: e, Results: run.At(e.File, e.Line).Where(r => RuleIdsOf(e).Contains(r.RuleId)).ToList()))
            .Where(x => x.Results.Count > 0)
            .Select(x => $"{x.Entry.Class} at {x.Entry.File}:{x.Entry.Line} ({x.Entry.Note}): {Describe(x.Results)}")
            .ToList();

        Assert.True(flagged.Count == 0, $"{flagged.Count} safe look-alikes reported:{Environment.NewLine}{string.Join(Environment.NewLine, flagged)}");
    }

    [CorpusFact]
    public void The_product_search_is_reported_with_its_path_from_the_controller_through_the_service()
    {
        AssertEveryEntryHasARule();
        var sink = Expected.Value.Findings.Single(e => e.Class == "sql-injection" && e.File == "WebApp/Data/ProductRepository.cs" && e.Note.Contains("StringBuilder", StringComparison.Ordinal));
        var result = Run.Value.At(sink.File, sink.Line).FirstOrDefault(r => RuleIdsOf(sink).Contains(r.RuleId));

        Assert.NotNull(result);
        Assert.NotNull(result.Flow);
        var files = result.Flow.Select(s => s.Path).ToList();
        Assert.Equal("WebApp/Controllers/ProductsController.cs", files[0]);
        Assert.Contains("WebApp/Services/CatalogueService.cs", files);
        Assert.Equal(sink.File, files[^1]);
    }

    /// <summary>The rule ids that report an entry's class: its own ruleId, else the rule named in the manifest's ruleNames.</summary>
    private static HashSet<string> RuleIdsOf(ExpectedEntry entry) =>
        !string.IsNullOrEmpty(entry.RuleId)
            ? [entry.RuleId]
            : Expected.Value.RuleNames.TryGetValue(entry.Class, out var name)
                ? CodeRuleCatalog.Default.Rules.Where(r => r.Descriptor.Name == name).Select(r => r.Id).ToHashSet(StringComparer.Ordinal)
                : [];

    /// <summary>Fails unless every entry resolves to a rule: a class without one would make its safe cases pass vacuously.</summary>
    private static void AssertEveryEntryHasARule()
    {
        var manifest = Expected.Value;
        var unresolved = manifest.Findings.Concat(manifest.Safe)
            .Where(e => RuleIdsOf(e).Count == 0)
            .Select(e => $"'{e.Class}' (rule name '{manifest.RuleNames.GetValueOrDefault(e.Class, "?")}')")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.True(unresolved.Count == 0,
            $"no rule in rules/code/ for {string.Join(", ", unresolved)}: fix ruleNames in expected.yaml (or set the entry's ruleId). "
            + $"Rules: {string.Join(", ", CodeRuleCatalog.Default.Rules.Select(r => $"{r.Id} {r.Descriptor.Name}"))}");
    }

    private static string Describe(IEnumerable<Detection> results)
    {
        var text = string.Join(", ", results.Select(r => $"{r.RuleId} \"{r.Message}\""));
        return text.Length == 0 ? "none" : text;
    }

    private static IEnumerable<(string Kind, string Class, string File, int Line)> Markers()
    {
        foreach (var path in Directory.EnumerateFiles(CorpusDirectory, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".cs", StringComparison.Ordinal) || p.EndsWith(".cshtml", StringComparison.Ordinal) || p.EndsWith(".razor", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(CorpusDirectory, path).Replace('\\', '/');
            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match m in MarkerPattern().Matches(lines[i]))
                {
                    yield return (m.Groups["kind"].Value, m.Groups["class"].Value, relative, i + 1);
                }
            }
        }
    }

    /// <summary>A C# or Razor comment that opens with the marker: <c>// VULN: xss</c>, <c>@* SAFE: xss *@</c>.</summary>
    [GeneratedRegex(@"(?://|@\*)\s*(?<kind>VULN|SAFE): (?<class>[a-z][a-z-]*)")]
    private static partial Regex MarkerPattern();

    private static Manifest LoadManifest()
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        return deserializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(CorpusDirectory, "expected.yaml")));
    }

    /// <summary>Runs the analyzer as <c>sfi scan</c> would: every file it wants, relative to the root, in path order.</summary>
    private static CorpusRun AnalyzeCorpus()
    {
        var analyzer = new CodeAnalyzer();
        var files = Directory.EnumerateFiles(CorpusDirectory, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(CorpusDirectory, p).Replace('\\', '/'))
            .Where(analyzer.Wants)
            .Order(StringComparer.Ordinal)
            .Select(p => new ScanTarget(p, File.ReadAllText(Path.Combine(CorpusDirectory, p))))
            .ToList();
        var sink = new RecordingSink();
        analyzer.Analyze(new ProjectInput(CorpusDirectory, files), sink, CancellationToken.None);
        return new CorpusRun(files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal), sink.Results);
    }

    private sealed class CorpusRun(Dictionary<string, string> texts, IEnumerable<(string Path, Detection Detection)> results)
    {
        private readonly ILookup<(string, int), Detection> _byLine = results.ToLookup(
            r => (r.Path, texts.TryGetValue(r.Path, out var text) ? LineOf(text, r.Detection.Start) : 0),
            r => r.Detection);

        /// <summary>The results whose primary location starts on the line (1-based).</summary>
        public IEnumerable<Detection> At(string path, int line) => _byLine[(path, line)];

        private static int LineOf(string text, int offset) => text.AsSpan(0, Math.Min(offset, text.Length)).Count('\n') + 1;
    }

    private sealed class RecordingSink : IProjectSink
    {
        private readonly ConcurrentQueue<(string, Detection)> _results = new();

        public IEnumerable<(string Path, Detection Detection)> Results => _results;

        public void Report(string path, Detection detection) => _results.Enqueue((path, detection));

        public void Count(string statistic, long value)
        {
        }

        public void Notify(Notification notification)
        {
        }
    }

    /// <summary>
    /// A corpus test that needs code rules: skipped, saying why, while <c>rules/code/</c> holds none. Once any rule is
    /// there, it runs in full and fails for every class without a rule.
    /// </summary>
    private sealed class CorpusFactAttribute : FactAttribute
    {
        public CorpusFactAttribute()
        {
            if (CodeRuleCatalog.Default.Rules.Count == 0)
            {
                Skip = "rules/code/ holds no rules yet: the taint and pattern rules are not merged";
            }
        }
    }
}

public sealed class Manifest
{
    /// <summary>Class to the <c>name</c> of the rule that reports it.</summary>
    public Dictionary<string, string> RuleNames { get; set; } = [];

    public List<ExpectedEntry> Findings { get; set; } = [];

    public List<ExpectedEntry> Safe { get; set; } = [];
}

public sealed class ExpectedEntry
{
    public string Class { get; set; } = "";

    public string? RuleId { get; set; }

    public string File { get; set; } = "";

    public int Line { get; set; }

    public string Note { get; set; } = "";
}
