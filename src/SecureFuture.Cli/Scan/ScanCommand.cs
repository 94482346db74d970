using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Core.Writers;
using SecureFuture.Scanning;
using SecureFuture.Scanning.Code;
using SecureFuture.Scanning.Dependencies.Advisories;
using SecureFuture.Scanning.Dependencies.Scan;
using SecureFuture.Scanning.Iac;
using SecureFuture.Scanning.Secrets;
using SecureFuture.Scanning.Secrets.Validators;
using Spectre.Console;

namespace SecureFuture.Cli.Scan;

/// <summary>
/// <c>sfi scan PATH</c>: secrets, IaC misconfigurations and vulnerable C# code in a working tree, or secrets in the
/// lines a git history added (<c>--history</c>; code analysis needs the tree).
/// </summary>
internal static partial class ScanCommand
{
    /// <summary>The analyzers <c>--analyzers</c> chooses from, in the order they are listed.</summary>
    internal static readonly IReadOnlyList<string> AnalyzerNames = ["secrets", "iac", "code", "deps"];

    /// <summary>The most worker threads <c>--threads</c> takes: far beyond any core count, short of a typo's thousands.</summary>
    private const int MaxThreads = 1024;

    private static readonly System.Text.Json.JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>The path that stands for standard input.</summary>
    internal const string StandardInputPath = "-";

    /// <param name="stdin">Opens standard input, for <c>sfi scan -</c> (tests pass their own bytes).</param>
    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock, Func<Stream>? stdin = null)
    {
        stdin ??= Console.OpenStandardInput;
        var path = new Argument<string>("path") { Description = "Directory or file to scan, or - for standard input.", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var format = CliOptions.Format("Output format: text, json, sarif, gitlab-sast or gitlab-secrets (GitLab's report formats).", ReportWriters.FileFormats);
        var output = CliOptions.Output();
        var failOn = CliOptions.FailOn("Exit with 1 when a finding at or above this severity is reported");
        var baseline = new Option<string?>("--baseline") { Description = "A previous SARIF report: results get a baselineState and only new ones trip --fail-on." };
        var noIgnore = new Option<bool>("--no-ignore") { Description = "Scan files that .gitignore, .sfiignore and .git/info/exclude exclude." };
        var maxFileSize = new Option<string>("--max-file-size") { Description = "Skip files larger than this (e.g. 10MB, 512KB, 1048576).", DefaultValueFactory = _ => "10MB" };
        var history = new Option<bool>("--history") { Description = "Scan every line added in the git history (all branches and tags) instead of the working tree." };
        var staged = new Option<bool>("--staged") { Description = "Scan the lines the index adds (what the next commit would add) instead of the working tree: for a pre-commit hook." };
        var sinceCommit = new Option<string?>("--since-commit") { Description = "Scan the lines added by the commits after REV (exclusive) up to HEAD instead of the working tree: for CI on a branch or pull request.", HelpName = "rev" };
        var logOptions = new Option<string?>("--log-opts") { Description = "Scan the lines added by the commits these git log options choose (revisions, --since, --author, --branches, -- PATHS...; replaces --all; options that change git's output or run programs are refused). Write --log-opts=\"...\".", HelpName = "options" };
        var stdinName = new Option<string?>("--stdin-name") { Description = $"With - as the path: the file name findings in standard input carry, and path-specific rules see (default: {ScanRequest.DefaultStandardInputName}).", HelpName = "name" };
        var sasMaxLifetime = new Option<string>("--sas-max-lifetime") { Description = "SAS tokens valid longer than this are critical (ISO 8601 duration).", DefaultValueFactory = _ => "P30D" };
        var listRules = new Option<bool>("--list-rules") { Description = "List the rules of the selected analyzers (id, severity, name, CWE, title) and exit." };
        var analyzers = CliOptions.SubsetOf("--analyzers", "What to run", AnalyzerNames);
        var rules = new Option<string?>("--rules") { Description = $"A directory of your own rules (*.yaml, also read from 'rules:' in {UserRules.ConfigFileName} at the scanned root), run with the built-in ones: id SFI-SEC-... is a secret rule (the schema of rules/secrets/, or an override of a built-in rule's severity, entropy, allowList, requires), SFI-CODE-... a code rule (the schema of rules/code/). A rule with a problem is left out, reported, and the scan exits 2 after writing its output." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the advisory database of --analyzers deps is (what 'sfi advisories update' wrote; default: ~/.sfi).", HelpName = "dir" };
        var threads = new Option<int?>("--threads") { Description = $"Worker threads, 1 to {MaxThreads} (default: number of cores)." };
        threads.Validators.Add(result =>
        {
            // Read from the token: a value that is not a number already has its parse error, and GetValue would throw.
            if (result.Tokens.Count > 0
                && int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n)
                && n is < 1 or > MaxThreads)
            {
                result.AddError($"--threads: {n} is not between 1 and {MaxThreads}");
            }
        });

        var decodeDepth = DepthOption("--decode-depth", "Layers of base64, hex and percent-encoding decoded and scanned for secrets, 0 to 8 (0: off).", new SecretScanSettings().DecodeDepth, 8);
        var archiveDepth = DepthOption("--archive-depth", "How deep zip, jar, nupkg, tar and gzip archives are opened, archives inside archives included, 0 to 16 (0: off).", new ArchiveLimits().MaxDepth, 16);

        var command = new Command(
            "scan",
            "Find secrets, IaC misconfigurations, vulnerable code (C# data-flow and pattern rules, no build needed) and dependencies with known vulnerabilities (OSV advisories, see 'sfi advisories') in a repository, "
            + "or secrets in its git history, and report them as text, JSON or SARIF with an inventory of lines of code per language.")
        {
            path, format, output, failOn, baseline, noIgnore, maxFileSize, history, staged, sinceCommit, logOptions, stdinName, sasMaxLifetime, listRules, threads, analyzers, rules,
        };
        command.Options.Add(decodeDepth);
        command.Options.Add(dataDir);
        command.Options.Add(archiveDepth);
        command.Validators.Add(result =>
        {
            // By presence, not value: an option whose value failed to parse already has its error, and GetValue would throw.
            var commits = new Option[] { history, sinceCommit, logOptions }.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
            var isStaged = result.GetResult(staged) is { Implicit: false } && result.GetValue(staged);
            if (isStaged && commits.Count > 0)
            {
                result.AddError($"{commits[0]} and --staged cannot be combined: one scans commits, the other what the next commit would add");
            }

            var fromStdin = result.GetResult(path) is { } pathResult && pathResult.Tokens.Any(t => t.Value == StandardInputPath);
            if (fromStdin && (commits.Count > 0 || isStaged))
            {
                result.AddError($"{(commits.Count > 0 ? commits[0] : "--staged")} reads a git repository, and - (standard input) is not one");
            }

            // An empty name has its own error (CliOptions.RefuseEmptyValues).
            if (result.GetResult(stdinName) is { } name && !name.Tokens.Any(t => t.Value.Length == 0))
            {
                if (!fromStdin)
                {
                    result.AddError("--stdin-name names standard input: give - as the path to scan it");
                }
                else if (name.Tokens.Any(t => t.Value.Any(char.IsControl)))
                {
                    result.AddError("--stdin-name: a file name has no control characters");
                }
            }
        });

        var push = Findings.PushOptions.AddTo(command, defaultCategory: null, format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The scanner was measured (bench/) with blocking collections only; sfi as a whole uses background ones.
            System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
            var settings = new SecretScanSettings { Clock = clock, SasMaxLifetime = ParseDuration("--sas-max-lifetime", parse.GetValue(sasMaxLifetime)!) };
            settings = settings with { DecodeDepth = parse.GetValue(decodeDepth) };
            // A template's NAME.parameters.json beside it is read from the working tree (not for --history's commits).
            var scanPath = parse.GetValue(path)!;
            var fromStdin = scanPath == StandardInputPath;
            var fromGit = parse.GetValue(history) || parse.GetValue(staged) || parse.GetValue(sinceCommit) is not null || parse.GetValue(logOptions) is not null;
            var scanRoot = fromGit ? null : fromStdin ? Directory.GetCurrentDirectory() : Directory.Exists(scanPath) ? scanPath : Path.GetDirectoryName(Path.GetFullPath(scanPath));
            var userRules = UserRules.Find(parse.GetValue(rules), fromGit && Directory.Exists(scanPath) ? scanPath : scanRoot);
            var chosen = parse.GetValue(analyzers)!;
            var selectedFormat = parse.GetValue(format)!;
            // Dependencies, like code analysis, run on the working tree only: commits and --list-rules need no database.
            var advisories = parse.GetValue(listRules) || fromGit || !chosen.Contains("deps")
                ? null
                : AdvisorySource.Open(parse.GetValue(dataDir) ?? AdvisoryDatabase.DefaultDataDirectory, explicitly: parse.GetResult(analyzers) is { Implicit: false }, clock);
            StartupTrace.Mark("scan options");
            var selected = SelectedAnalyzers.Create(chosen, settings, clock, scanRoot, userRules, advisories?.Database);
            if (parse.GetValue(listRules))
            {
                await ListRulesAsync(selected.Rules, selectedFormat, stdout, selected.SecretCatalog);
                return await ReportRuleProblemsAsync(userRules, stderr) ? ExitCodes.UsageError : ExitCodes.Success;
            }

            // Code and dependency analysis need the working tree: on commits or staged changes with only those chosen,
            // nothing would be looked at, and "no findings" would pass a gate over code no analyzer read.
            if (fromGit && selected.RanCategories(workingTree: false).Count == 0)
            {
                await stderr.WriteLineAsync($"error: --analyzers {string.Join(',', chosen)} runs on the working tree only, not on {(parse.GetValue(staged) ? "staged changes" : "git history")}: nothing would be scanned (add secrets or iac, or scan the working tree)");
                return ExitCodes.UsageError;
            }

            var maxSize = ParseSize(parse.GetValue(maxFileSize)!);
            var request = new ScanRequest
            {
                Path = scanPath,
                UseIgnoreFiles = !parse.GetValue(noIgnore),
                MaxFileSize = maxSize,
                History = parse.GetValue(history),
                Staged = parse.GetValue(staged),
                SinceCommit = parse.GetValue(sinceCommit),
                LogOptions = parse.GetValue(logOptions) is { } log ? GitLogOptions.Parse(log) : null,
                Parallelism = parse.GetValue(threads) ?? Environment.ProcessorCount,
                StandardInputName = parse.GetValue(stdinName) ?? ScanRequest.DefaultStandardInputName,
            };
            request = request with { Archives = new ArchiveLimits { MaxDepth = parse.GetValue(archiveDepth) } };
            var baselinePath = parse.GetValue(baseline);
            // Read the baseline first: a bad baseline is a usage error, and should fail before a long scan.
            var previous = baselinePath is null ? null : SarifBaseline.Read(baselinePath);
            if (fromStdin)
            {
                request = request with { StandardInput = await ReadBoundedAsync(stdin, maxSize, request.StandardInputName, cancellationToken) };
            }

            var scanner = new RepositoryScanner(selected.Content, selected.Project, clock);
            var run = await RunWithProgressAsync(scanner, request, stderr, cancellationToken);
            StartupTrace.Mark("scan");
            if (previous is not null)
            {
                run = SarifBaseline.Apply(run, previous);
            }

            if (userRules is { Problems.Count: > 0 })
            {
                run = run with { Notifications = [.. userRules.Problems, .. run.Notifications] };
            }

            if (advisories is not null)
            {
                run = advisories.Annotate(run);
            }

            // A run of one analyzer is one analysis category, which the reports say (SARIF as automationDetails), as its push does.
            run = push.WithHubCategory(parse, run, selected.RanCategories(workingTree: !fromGit));
            // One analysis per analyzer category; code and dependencies do not run on git history (RepositoryScanner).
            var categoryRuns = selected.CategoryRuns(run, workingTree: !fromGit);

            var outputPath = parse.GetValue(output);
            var writer = ReportWriters.Create(selectedFormat, new ReportOptions
            {
                Ansi = CliOutput.IsStandardOutput(outputPath) && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null,
            });
            // SARIF: one run per analyzer, each with the category its push has (automationDetails.id), as GitHub code
            // scanning requires of runs of one tool in one file and as the hub takes them, so that uploading the file later
            // lands each analyzer's results in its own analysis; the other formats are one report of the whole scan.
            await CliOutput.EmitAsync(outputPath, stdout, (stream, ct) => writer is SarifWriter && categoryRuns.Count > 0
                ? SarifWriter.WriteLogAsync(push.HubRuns(parse, categoryRuns), stream, ct)
                : writer.WriteAsync(run, stream, ct), cancellationToken);
            StartupTrace.Mark("report");
            if (await push.PushAsync(parse, () => categoryRuns, stderr, cancellationToken) is var pushed and not ExitCodes.Success)
            {
                return pushed;
            }

            // Fail closed: a rule of the user's that could not run leaves the scan incomplete, whatever it found; so
            // does an analyzer that failed (a defect, reported as a notification so the rest of the scan still runs).
            return await ReportRuleProblemsAsync(userRules, stderr) ? ExitCodes.UsageError
                : await ExitCodeAsync(run, parse.GetValue(failOn), stderr);
        });

        return command;
    }

    /// <summary>
    /// The exit code of a finished scan: 1 when the gate trips (those findings stand whatever else happened), else 70
    /// when an analyzer failed (the scan is incomplete, so "nothing found" cannot be claimed), else 0.
    /// </summary>
    internal static async Task<int> ExitCodeAsync(AnalysisRun run, Severity? failOn, TextWriter stderr)
        => run.TripsGate(failOn) ? ExitCodes.GateTripped
            : await ReportAnalyzerFailuresAsync(run, stderr) ? ExitCodes.InternalError
            : ExitCodes.Success;

    /// <summary>
    /// Says on standard error that an analyzer failed (the report lists every failure as an <c>analyzer-failed</c>
    /// notification), so the scan is incomplete: what it did not look at can hide what a gate exists to stop.
    /// </summary>
    /// <returns>Whether any analyzer failed.</returns>
    private static async Task<bool> ReportAnalyzerFailuresAsync(AnalysisRun run, TextWriter stderr)
    {
        var failures = run.Notifications.Where(n => n.Id == RepositoryScanner.AnalyzerFailedId).ToList();
        if (failures.Count == 0)
        {
            return false;
        }

        var first = failures[0];
        await stderr.WriteLineAsync(
            $"sfi scan: the scan is incomplete: {failures.Count} analyzer failure(s), listed in the report as {RepositoryScanner.AnalyzerFailedId}; "
            + $"the first: {(first.Path is null ? string.Empty : first.Path + ": ")}{first.Message}");
        return true;
    }

    /// <summary>A whole-number option from 0 (off) to <paramref name="max"/>; anything else is a usage error.</summary>
    private static Option<int> DepthOption(string name, string description, int defaultValue, int max)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0
                && int.TryParse(result.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                && (n < 0 || n > max))
            {
                result.AddError($"{name}: {n} is not between 0 and {max}");
            }
        });
        return option;
    }

    /// <summary>Writes each user rule problem to standard error; true when one of them left a rule out.</summary>
    private static async Task<bool> ReportRuleProblemsAsync(UserRules? userRules, TextWriter stderr)
    {
        foreach (var problem in userRules?.Problems ?? [])
        {
            await stderr.WriteLineAsync("sfi: " + UserRules.Describe(problem));
        }

        return userRules?.HasErrors == true;
    }

    private static async Task<AnalysisRun> RunWithProgressAsync(RepositoryScanner scanner, ScanRequest request, TextWriter stderr, CancellationToken cancellationToken)
    {
        var interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected
            && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var progress = new ScanProgress();
        var scan = Task.Run(() => scanner.Scan(request, progress, cancellationToken), cancellationToken);
        if (!interactive)
        {
            return await scan;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        await console.Status().StartAsync("Scanning…", async context =>
        {
            while (!scan.IsCompleted)
            {
                context.Status(string.Create(CultureInfo.InvariantCulture, $"Scanning… {progress.Files:N0} {(request.Path == StandardInputPath ? "bytes of standard input" : request.History || request.Staged || request.SinceCommit is not null || request.LogOptions is not null ? "commit files" : "files")}, {FileWalker.FormatSize(progress.Bytes)}"));
                await Task.WhenAny(scan, Task.Delay(150, cancellationToken));
            }
        });
        return await scan;
    }

    /// <summary>
    /// The rules of the selected analyzers: as text, one line each with its CWE; as JSON, the fields every rule has
    /// (analyzer, id, name, severity, confidence, title, cwe, tags, guidance) and, for secret detectors, their pattern.
    /// </summary>
    /// <param name="secretCatalog">The secret rules that were loaded (the built-in ones when null), for their patterns.</param>
    internal static async Task ListRulesAsync(IReadOnlyList<(string Analyzer, RuleDescriptor Rule)> rules, string format, TextWriter stdout, SecretRuleCatalog? secretCatalog = null)
    {
        var secretRules = rules.Any(r => r.Analyzer == "secrets") ? (secretCatalog ?? SecretRuleCatalog.Default).Rules.ToDictionary(r => r.Id, StringComparer.Ordinal) : [];
        if (format == "json")
        {
            // JSON nodes rather than reflection over dictionaries: the same output in a trimmed (Native AOT) build.
            var json = new JsonArray();
            foreach (var p in rules)
            {
                var entry = new JsonObject
                {
                    ["analyzer"] = p.Analyzer,
                    ["id"] = p.Rule.Id,
                    ["name"] = p.Rule.Name,
                    ["severity"] = p.Rule.DefaultSeverity.ToToken(),
                    ["confidence"] = p.Rule.Confidence.ToToken(),
                    ["title"] = p.Rule.ShortDescription,
                    ["cwe"] = Strings(Cwes(p.Rule)),
                    ["tags"] = Strings(p.Rule.Tags),
                    ["guidance"] = p.Rule.HelpUri ?? string.Empty,
                };
                if (p.Analyzer == "secrets" && secretRules.TryGetValue(p.Rule.Id, out var secret))
                {
                    entry["keywords"] = Strings(secret.Keywords);
                    entry["pattern"] = secret.Pattern;
                    entry["ignoreCase"] = secret.Regex.Options.HasFlag(RegexOptions.IgnoreCase);
                    entry["extraLines"] = secret.ExtraLines;
                    entry["paths"] = Strings(secret.Paths);
                    if (secret.Requires is { } requires)
                    {
                        entry["requires"] = new JsonObject { ["rule"] = requires.RuleId, ["within"] = requires.Within };
                    }
                }

                json.Add((JsonNode)entry); // the non-generic Add: no reflection over JsonObject
            }

            await stdout.WriteLineAsync(json.ToJsonString(IndentedJson));
            return;
        }

        foreach (var (_, rule) in rules)
        {
            var cwe = string.Join(",", Cwes(rule));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{rule.Id}  {rule.DefaultSeverity.ToToken(),-8}  {rule.Name,-40}  {(cwe.Length == 0 ? "-" : cwe),-9}  {rule.ShortDescription}"));
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{rules.Count} rules"));
    }

    /// <summary>The rule's CWE ids (<c>CWE-89</c>), from its framework mappings.</summary>
    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static List<string> Cwes(RuleDescriptor rule) =>
        [.. rule.Frameworks.Where(f => f.StartsWith("CWE-", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)];

    /// <summary>The analyzers <c>--analyzers</c> chose (null when not chosen), and what the scanner and <c>--list-rules</c> get of them.</summary>
    internal sealed record SelectedAnalyzers(SecretAnalyzer? Secrets, IacBaselineAnalyzer? Iac, CodeAnalyzer? Code, DependencyAnalyzer? Deps = null)
    {
        /// <summary>The secret rules the secrets analyzer runs (built-in, with the user's), when it was selected.</summary>
        public SecretRuleCatalog? SecretCatalog { get; private init; }

        /// <param name="scanRoot">The working tree the IaC pass reads parameters files from; null for --history.</param>
        /// <param name="userRules">The user's own rules (<c>--rules</c>, <c>.sfi.yaml</c>), loaded with the built-in ones; their problems join it.</param>
        /// <param name="advisories">The advisory database dependency findings are matched against; null for the inventory alone.</param>
        public static SelectedAnalyzers Create(IReadOnlyList<string> names, SecretScanSettings settings, TimeProvider clock, string? scanRoot = null, UserRules? userRules = null, AdvisoryDatabase? advisories = null)
        {
            var secrets = names.Contains("secrets") ? userRules?.SecretCatalog() ?? SecretRuleCatalog.Default : null;
            StartupTrace.Mark("secret catalogue");
            var secretAnalyzer = secrets is null ? null : new SecretAnalyzer(secrets, settings);
            StartupTrace.Mark("secret analyzer");
            // IaC (ARM templates, Terraform plan JSON) is evaluated with the tenant baseline's controls.
            var iac = names.Contains("iac") ? new IacBaselineAnalyzer(clock: clock, scanRoot: scanRoot) : null;
            StartupTrace.Mark("iac analyzer");
            var code = names.Contains("code") ? (userRules is null ? new CodeAnalyzer() : new CodeAnalyzer(userRules.CodeCatalog())) : null;
            StartupTrace.Mark("code analyzer");
            var deps = names.Contains("deps") ? new DependencyAnalyzer(advisories) : null;
            StartupTrace.Mark("dependency analyzer");
            return new(secretAnalyzer, iac, code, deps) { SecretCatalog = secrets };
        }

        public IReadOnlyList<IContentAnalyzer> Content => [.. new IContentAnalyzer?[] { Secrets, Iac }.OfType<IContentAnalyzer>()];

        public IReadOnlyList<IProjectAnalyzer> Project => [.. new IProjectAnalyzer?[] { Code, Deps }.OfType<IProjectAnalyzer>()];

        /// <summary>
        /// <paramref name="run"/> as one run per selected analyzer, each of the hub category of its analyzer
        /// (<see cref="HubCategory"/>); the code and dependency analyzers only when <paramref name="workingTree"/> (they did
        /// not run on git history, and an empty run would claim their findings fixed).
        /// </summary>
        public IReadOnlyList<AnalysisRun> CategoryRuns(AnalysisRun run, bool workingTree)
        {
            var categoryOf = Rules.GroupBy(p => p.Rule.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => HubCategory(g.First().Analyzer), StringComparer.Ordinal);
            return Findings.CategoryRuns.Split(run, RanCategories(workingTree), finding => categoryOf.GetValueOrDefault(finding.RuleId), categoryOf.GetValueOrDefault);
        }

        /// <summary>The hub categories of the selected analyzers that run (code and dependencies on a working tree only).</summary>
        public IReadOnlyList<string> RanCategories(bool workingTree) =>
        [
            .. new[] { ("secrets", Secrets is not null), ("iac", Iac is not null), ("code", Code is not null && workingTree), ("deps", Deps is not null && workingTree) }
                .Where(a => a.Item2)
                .Select(a => HubCategory(a.Item1)),
        ];

        /// <summary>The findings hub's category for an <c>--analyzers</c> name: the names projects expect (<c>--expect</c>).</summary>
        public static string HubCategory(string analyzer) => analyzer == "deps" ? "dependencies" : analyzer;

        /// <summary>Each selected analyzer's rules, under its <c>--analyzers</c> name, in the order of <see cref="AnalyzerNames"/>.</summary>
        public IReadOnlyList<(string Analyzer, RuleDescriptor Rule)> Rules =>
        [
            .. (Secrets?.Rules ?? []).Select(r => ("secrets", r)),
            .. (Iac?.Rules ?? []).Select(r => ("iac", r)),
            .. (Code?.Rules ?? []).Select(r => ("code", r)),
            .. (Deps?.Rules ?? []).Select(r => ("deps", r)),
        ];
    }

    /// <summary>
    /// Standard input, read to its end but never more than <paramref name="limit"/> + 1 bytes: an endless or huge
    /// stream is refused (exit 2) once it passes the limit, not buffered whole.
    /// </summary>
    private static async Task<byte[]> ReadBoundedAsync(Func<Stream> open, long limit, string name, CancellationToken cancellationToken)
    {
        var cap = Math.Min(limit, Array.MaxLength - 1L);
        await using var stream = open();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > cap)
            {
                throw new InputException(name, null, null, $"standard input is larger than the --max-file-size limit ({FileWalker.FormatSize(limit)}); raise the limit or scan the file by its path");
            }
        }

        return buffer.ToArray();
    }

    internal static long ParseSize(string text)
    {
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new InputException($"--max-file-size: '{text}' is not a size (examples: 10MB, 512KB, 1048576)");
        }

        var number = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups["u"].Value.ToUpperInvariant();
        var multiplier = unit switch
        {
            "" or "B" => 1L,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => 0,
        };
        var bytes = number * multiplier;
        if (multiplier == 0 || bytes < 1 || bytes > long.MaxValue / 2)
        {
            throw new InputException($"--max-file-size: '{text}' is not a usable size");
        }

        return (long)bytes;
    }

    internal static TimeSpan ParseDuration(string option, string text)
    {
        try
        {
            var duration = System.Xml.XmlConvert.ToTimeSpan(text.Trim());
            if (duration > TimeSpan.Zero)
            {
                return duration;
            }
        }
        catch (FormatException)
        {
        }

        throw new InputException($"{option}: '{text}' is not a positive ISO 8601 duration (examples: P30D, PT12H)");
    }

    [GeneratedRegex(@"^(?<n>[0-9]+(?:\.[0-9]+)?)\s*(?<u>[A-Za-z]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
