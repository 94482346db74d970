using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Tests;

/// <summary>
/// The scanner's side of project analyzers (code analysis): what they are given, and how their detections become
/// findings — regions and data-flow paths in the right files, suppressions, fingerprints, failures. A small analyzer
/// stands in for the C# one: it reads markers (SOURCE(, STEP(, SINK(key)) across the files it is given.
/// </summary>
public sealed class ProjectAnalyzerTests : IDisposable
{
    private static readonly DateTimeOffset Today = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    private readonly string _root = Directory.CreateTempSubdirectory("sfi-project-").FullName;
    private readonly MarkerAnalyzer _analyzer = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string path, string text)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private AnalysisRun Scan(string? path = null, bool history = false, params IProjectAnalyzer[] more) =>
        new RepositoryScanner([new WordAnalyzer()], [_analyzer, .. more], new FakeTimeProvider(Today))
            .Scan(new ScanRequest { Path = path ?? _root, History = history });

    private void WriteThreeFileFlow(string sinkLinePrefix = "")
    {
        Write("Controllers/UserController.cs", "class UserController\n{\n    string Get(string id) => Service.Find(SOURCE(id));\n}\n");
        Write("Services/UserService.cs", "class UserService\n{\n    string Find(string id) => Repo.Query(STEP(\"select \" + id));\n}\n");
        Write("Data/Repo.cs", sinkLinePrefix + "class Repo\n{\n    void Query(string sql) => new SqlCommand(SINK(new SqlCommand(sql)));\n}\n");
    }

    [Fact]
    public void A_project_analyzer_is_called_once_with_every_file_it_wants_in_path_order_and_content_analyzers_still_see_every_file()
    {
        Write("b/Two.cs", "class Two { }\n");
        Write("a/One.cs", "class One { WORD }\n");
        Write("a/App.csproj", "<Project />\n");
        Write("README.md", "WORD\n");

        var run = Scan();

        var input = Assert.Single(_analyzer.Inputs);
        Assert.Equal(["a/One.cs", "b/Two.cs"], input.Files.Select(f => f.Path));
        Assert.Equal("class One { WORD }\n", input.Files[0].Text);
        Assert.Equal(_root, input.Root);
        Assert.Equal(["README.md", "a/One.cs"], run.Findings.Where(f => f.RuleId == "TEST-WORD").Select(f => f.Location.Path));
        // A content analyzer's path, in its own file, is located too.
        var word = run.Findings.Single(f => f.RuleId == "TEST-WORD" && f.Location.Path == "a/One.cs");
        Assert.Equal(word.Location, Assert.Single(word.Flow!).Location);
        Assert.DoesNotContain(run.Notifications, n => n.Id == "analyzer-failed");
        Assert.Contains(run.Rules, r => r.Id == MarkerAnalyzer.RuleId);
    }

    [Fact]
    public void A_flow_across_three_files_has_each_step_located_in_its_own_file()
    {
        WriteThreeFileFlow();

        var finding = Assert.Single(Scan().Findings, f => f.RuleId == MarkerAnalyzer.RuleId);

        Assert.Equal("Data/Repo.cs", finding.Location.Path);
        Assert.Equal(new Region(3, 46, 3, 50), finding.Location.Region);
        Assert.NotNull(finding.Flow);
        Assert.Equal(
            [
                ("Controllers/UserController.cs", new Region(3, 43, 3, 53), "request query 'id'"),
                ("Services/UserService.cs", new Region(3, 42, 3, 62), "concatenated"),
                ("Data/Repo.cs", new Region(3, 46, 3, 50), "SqlCommand"),
            ],
            finding.Flow.Select(s => (s.Location.Path!, s.Location.Region!, s.Message)));
    }

    [Fact]
    public void A_suppression_on_the_sink_line_suppresses_and_an_expired_one_does_not()
    {
        WriteThreeFileFlow();
        var repo = File.ReadAllText(Path.Combine(_root, "Data/Repo.cs"));
        Write("Data/Repo.cs", repo.Replace("(sql)));", "(sql))); // sfi:ignore TEST-FLOW-001 until 2027-01-31 queries a fixed test table", StringComparison.Ordinal));
        var suppressed = Assert.Single(Scan().Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        Assert.True(suppressed.IsSuppressed);
        Assert.Equal(new DateOnly(2027, 1, 31), suppressed.Suppression!.Expires);

        Write("Data/Repo.cs", repo.Replace("(sql)));", "(sql))); // sfi:ignore TEST-FLOW-001 until 2026-01-31 queries a fixed test table", StringComparison.Ordinal));
        var run = Scan();
        Assert.False(Assert.Single(run.Findings, f => f.RuleId == MarkerAnalyzer.RuleId).IsSuppressed);
        Assert.Contains(run.Notifications, n => n.Id == "suppression-expired" && n.Path == "Data/Repo.cs");
        Assert.True(run.TripsGate(Severity.High));
    }

    [Fact]
    public void The_content_fingerprint_follows_the_evidence_key_survives_moved_lines_and_the_key_is_never_a_property()
    {
        WriteThreeFileFlow();
        var before = Assert.Single(Scan().Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        WriteThreeFileFlow(sinkLinePrefix: "using System;\nusing System.Data;\n\n");
        var moved = Assert.Single(Scan().Findings, f => f.RuleId == MarkerAnalyzer.RuleId);

        Assert.Equal(before.Location.Region!.StartLine + 3, moved.Location.Region!.StartLine);
        Assert.Equal(before.Fingerprints.Content, moved.Fingerprints.Content);
        Assert.Equal(before.Fingerprints.PrimaryLocationLineHash, moved.Fingerprints.PrimaryLocationLineHash);
        Assert.DoesNotContain(Detection.EvidenceKey, moved.Properties.Keys);
        Assert.Equal("yes", moved.Properties["kept"]);

        // The key, not the reported text (always "SINK"), is the identity: another key is another result.
        Write("Data/Repo.cs", "class Repo\n{\n    void Query(string sql) => new SqlCommand(SINK(new SqlCommand(cmd)));\n}\n");
        var otherKey = Assert.Single(Scan().Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        Assert.NotEqual(before.Fingerprints.Content, otherKey.Fingerprints.Content);
    }

    [Fact]
    public void A_project_analyzer_that_throws_is_a_notification_and_every_other_finding_is_kept()
    {
        WriteThreeFileFlow();
        Write("notes.txt", "WORD\n");

        var run = Scan(more: new ThrowingAnalyzer());

        var failure = Assert.Single(run.Notifications, n => n.Id == "analyzer-failed");
        Assert.Equal(NotificationLevel.Error, failure.Level);
        Assert.Contains("ThrowingAnalyzer failed: InvalidOperationException: broken on purpose", failure.Message, StringComparison.Ordinal);
        Assert.Contains(run.Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        Assert.Contains(run.Findings, f => f.RuleId == "TEST-WORD" && f.Location.Path == "notes.txt");
        // What the failing analyzer reported before it threw stands.
        Assert.Contains(run.Findings, f => f.RuleId == ThrowingAnalyzer.RuleId);
    }

    [Fact]
    public void A_detection_or_step_outside_its_file_is_dropped_with_a_notification_not_a_crash()
    {
        Write("One.cs", "class One { SINK(x) }\n");
        var run = Scan(more: new OutOfRangeAnalyzer());
        Assert.Contains(run.Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        Assert.DoesNotContain(run.Findings, f => f.RuleId == OutOfRangeAnalyzer.RuleId && f.Location.Path == "Missing.cs");
        var kept = Assert.Single(run.Findings, f => f.RuleId == OutOfRangeAnalyzer.RuleId);
        Assert.Equal("One.cs", Assert.Single(kept.Flow!).Location.Path);
        Assert.Equal(3, run.Notifications.Count(n => n.Id == "analyzer-failed" && n.RuleId == OutOfRangeAnalyzer.RuleId));
    }

    [Fact]
    public void Notices_without_a_place_come_out_in_one_order_whatever_order_they_were_raised_in()
    {
        // One per project, raised as each project's analysis finishes: the report must not depend on which did first.
        Write("a/One.cs", "class One { }\n");
        var run = Scan(null, false, new NoticingAnalyzer());
        Assert.Equal(["a: first", "b: second", "c: third"], run.Notifications.Where(n => n.Id == NoticingAnalyzer.Id).Select(n => n.Message));
    }

    [Fact]
    public void Counts_from_the_analyzer_add_up_in_the_run_statistics()
    {
        Write("a/One.cs", "class One { }\n");
        Write("b/Two.cs", "class Two { }\n");
        var run = Scan();
        Assert.Equal(2 * MarkerAnalyzer.UnsafePerFile, run.Statistics["unsafe.blocks"]);
    }

    [Fact]
    [Trait("Category", "Integration")] // git builds the history
    public void With_history_project_analyzers_do_not_run_and_a_note_says_so()
    {
        GitHistoryTests.Git(_root, "init", "-q", "-b", "main");
        WriteThreeFileFlow();
        GitHistoryTests.Git(_root, "add", ".");
        GitHistoryTests.Git(_root, "commit", "-q", "-m", "add");

        var run = Scan(history: true);

        Assert.Empty(_analyzer.Inputs);
        Assert.DoesNotContain(run.Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        var note = Assert.Single(run.Notifications, n => n.Id == "working-tree-only");
        Assert.Equal(NotificationLevel.Note, note.Level);
        Assert.Contains("Code analysis runs on the working tree only", note.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_cs_file_is_analyzed_alone()
    {
        WriteThreeFileFlow();
        var run = Scan(Path.Combine(_root, "Data", "Repo.cs"));
        Assert.Equal(["Repo.cs"], Assert.Single(_analyzer.Inputs).Files.Select(f => f.Path));
        var finding = Assert.Single(run.Findings, f => f.RuleId == MarkerAnalyzer.RuleId);
        Assert.Equal("Repo.cs", finding.Location.Path);
    }

    [Fact]
    public void Lines_of_code_are_counted_per_language_with_memory_safe_and_unsafe_totals()
    {
        Write("src/App.cs", "class App\n{\n\n   \n    int X;\n}\n");       // 4 non-blank lines
        Write("src/Tool.PY", "import os\r\n\r\nprint(os.name)\r\n");          // 2, CRLF, extension in capitals
        Write("native/lib.c", "int f(void)\n{\n  return 1;\n}");             // 4, no final newline
        Write("native/lib.h", "int f(void);\n");                             // 1, a header counts as C
        Write("native/boot.S", "  mov r0, #0\n\n");                          // 1
        Write("native/x.cpp", "int main() {}\n");                            // 1
        Write("docs/readme.md", "# Not code\n\ntext\n");                     // not counted
        Write("empty.rs", "\n\n");                                           // no line of code

        var statistics = Scan().Statistics;

        Assert.Equal(4, statistics["linesOfCode.csharp"]);
        Assert.Equal(2, statistics["linesOfCode.python"]);
        Assert.Equal(5, statistics["linesOfCode.c"]);
        Assert.Equal(1, statistics["linesOfCode.assembly"]);
        Assert.Equal(1, statistics["linesOfCode.cpp"]);
        Assert.False(statistics.ContainsKey("linesOfCode.rust"));
        Assert.DoesNotContain(statistics.Keys, k => k.Contains("markdown", StringComparison.Ordinal));
        Assert.Equal(6, statistics[CodeInventory.MemorySafeLines]);
        Assert.Equal(7, statistics[CodeInventory.MemoryUnsafeLines]);
        Assert.Equal(46.1, CodeInventory.MemorySafeShare(statistics));
    }

    /// <summary>Reports the word SINK of SINK(key) with a flow from the first SOURCE( and STEP( in any file; counts unsafe blocks per file.</summary>
    private sealed class MarkerAnalyzer : IProjectAnalyzer
    {
        public const string RuleId = "TEST-FLOW-001";
        public const int UnsafePerFile = 3;

        public ConcurrentBag<ProjectInput> Inputs { get; } = [];

        public IReadOnlyList<RuleDescriptor> Rules { get; } =
        [
            new RuleDescriptor { Id = RuleId, Name = "MarkedFlow", DefaultSeverity = Severity.High, ShortDescription = "f", FullDescription = "f", HelpMarkdown = "f" },
        ];

        public bool Wants(string relativePath) => relativePath.EndsWith(".cs", StringComparison.Ordinal);

        public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
        {
            Inputs.Add(input);
            DetectionStep? Find(string marker, string message) => input.Files
                .Where(f => f.Text.Contains(marker, StringComparison.Ordinal))
                .Select(f => new DetectionStep(f.Path, f.Text.IndexOf(marker, StringComparison.Ordinal), Span(f.Text, marker), message))
                .FirstOrDefault();
            Parallel.ForEach(input.Files, file =>
            {
                sink.Count("unsafe.blocks", UnsafePerFile);
                var at = file.Text.IndexOf("SINK(", StringComparison.Ordinal);
                if (at < 0)
                {
                    return;
                }

                // The result is the word SINK; what it wraps is the evidence key (as code analysis keys a result by its code).
                var key = file.Text.Substring(at + 5, Span(file.Text, "SINK(") - 6);
                sink.Report(file.Path, new Detection(RuleId, Severity.High, "Query built from request data.", at, 4, null)
                {
                    Properties = new Dictionary<string, string> { [Detection.EvidenceKey] = key, ["kept"] = "yes" },
                    Flow = [.. new[] { Find("SOURCE(", "request query 'id'"), Find("STEP(", "concatenated") }.OfType<DetectionStep>(),
                        new DetectionStep(file.Path, at, 4, "SqlCommand")],
                });
            });
        }

        /// <summary>From the marker to its closing parenthesis, nested ones included.</summary>
        private static int Span(string text, string marker)
        {
            var start = text.IndexOf(marker, StringComparison.Ordinal);
            var depth = 0;
            for (var i = start; i < text.Length; i++)
            {
                depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
                if (depth == 0 && text[i] == ')')
                {
                    return i + 1 - start;
                }
            }

            return text.Length - start;
        }
    }

    /// <summary>Raises three notices without a place, in the reverse of their text's order.</summary>
    private sealed class NoticingAnalyzer : IProjectAnalyzer
    {
        public const string Id = "test-notice";

        public IReadOnlyList<RuleDescriptor> Rules { get; } = [];

        public bool Wants(string relativePath) => true;

        public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
        {
            foreach (var message in new[] { "c: third", "b: second", "a: first" })
            {
                sink.Notify(new Notification(Id, NotificationLevel.Note, message));
            }
        }
    }

    private sealed class ThrowingAnalyzer : IProjectAnalyzer
    {
        public const string RuleId = "TEST-THROW-001";

        public IReadOnlyList<RuleDescriptor> Rules { get; } = [];

        public bool Wants(string relativePath) => true;

        public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
        {
            sink.Report(input.Files[0].Path, new Detection(RuleId, Severity.Low, "Reported before the failure.", 0, 1, null));
            throw new InvalidOperationException("broken on purpose");
        }
    }

    /// <summary>Reports in a file it was not given, past the end of a file, and with one step past the end.</summary>
    private sealed class OutOfRangeAnalyzer : IProjectAnalyzer
    {
        public const string RuleId = "TEST-RANGE-001";

        public IReadOnlyList<RuleDescriptor> Rules { get; } = [];

        public bool Wants(string relativePath) => true;

        public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
        {
            var file = input.Files.Single(f => f.Path == "One.cs");
            sink.Report("Missing.cs", new Detection(RuleId, Severity.Low, "Nowhere.", 0, 1, null));
            sink.Report(file.Path, new Detection(RuleId, Severity.Low, "Past the end.", file.Text.Length, 1, null));
            sink.Report(file.Path, new Detection(RuleId, Severity.Low, "One good step of two.", 0, 5, null)
            {
                Flow = [new DetectionStep(file.Path, 0, 5, "here"), new DetectionStep(file.Path, file.Text.Length + 10, 2, "beyond")],
            });
        }
    }

    /// <summary>A content analyzer beside the project analyzers: reports the word WORD, with a one-step path.</summary>
    private sealed class WordAnalyzer : IContentAnalyzer
    {
        public IReadOnlyList<RuleDescriptor> Rules { get; } =
        [
            new RuleDescriptor { Id = "TEST-WORD", Name = "Word", DefaultSeverity = Severity.Low, ShortDescription = "w", FullDescription = "w", HelpMarkdown = "w" },
        ];

        public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
        {
            var at = target.Text.IndexOf("WORD", StringComparison.Ordinal);
            if (at >= 0)
            {
                sink.Report(new Detection("TEST-WORD", Severity.Low, "Word.", at, 4, null) { Flow = [new DetectionStep(target.Path, at, 4, "the word")] });
            }
        }
    }
}
