using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Core.Writers;
using SecureFuture.Scanning;
using SecureFuture.Scanning.Code;
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
    internal static readonly IReadOnlyList<string> AnalyzerNames = ["secrets", "iac", "code"];

    /// <summary>The most worker threads <c>--threads</c> takes: far beyond any core count, short of a typo's thousands.</summary>
    private const int MaxThreads = 1024;

    private static readonly System.Text.Json.JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var path = new Argument<string>("path") { Description = "Directory or file to scan.", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var format = CliOptions.Format("Output format: text, json or sarif.", ReportWriters.Formats);
        var output = CliOptions.Output();
        var failOn = CliOptions.FailOn("Exit with 1 when a finding at or above this severity is reported");
        var baseline = new Option<string?>("--baseline") { Description = "A previous SARIF report: results get a baselineState and only new ones trip --fail-on." };
        var noIgnore = new Option<bool>("--no-ignore") { Description = "Scan files that .gitignore, .sfiignore and .git/info/exclude exclude." };
        var maxFileSize = new Option<string>("--max-file-size") { Description = "Skip files larger than this (e.g. 10MB, 512KB, 1048576).", DefaultValueFactory = _ => "10MB" };
        var history = new Option<bool>("--history") { Description = "Scan every line added in the git history (all branches and tags) instead of the working tree." };
        var staged = new Option<bool>("--staged") { Description = "Scan the lines the index adds (what the next commit would add) instead of the working tree: for a pre-commit hook." };
        var sasMaxLifetime = new Option<string>("--sas-max-lifetime") { Description = "SAS tokens valid longer than this are critical (ISO 8601 duration).", DefaultValueFactory = _ => "P30D" };
        var listRules = new Option<bool>("--list-rules") { Description = "List the rules of the selected analyzers (id, severity, name, CWE, title) and exit." };
        var analyzers = CliOptions.SubsetOf("--analyzers", "What to run", AnalyzerNames);
        var rules = new Option<string?>("--rules") { Description = "A directory of your own code rules (*.yaml, the schema of rules/code/: sinks, sources and sanitisers for your frameworks), run with the built-in ones." };
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

        var command = new Command(
            "scan",
            "Find secrets, IaC misconfigurations and vulnerable code (C# data-flow and pattern rules, no build needed) in a repository, "
            + "or secrets in its git history, and report them as text, JSON or SARIF with an inventory of lines of code per language.")
        {
            path, format, output, failOn, baseline, noIgnore, maxFileSize, history, staged, sasMaxLifetime, listRules, threads, analyzers, rules,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(history) && result.GetValue(staged))
            {
                result.AddError("--history and --staged cannot be combined: one scans every commit, the other what the next commit would add");
            }
        });

        var push = Findings.PushOptions.AddTo(command, "scan");
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The scanner was measured (bench/) with blocking collections only; sfi as a whole uses background ones.
            System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
            var settings = new SecretScanSettings { Clock = clock, SasMaxLifetime = ParseDuration("--sas-max-lifetime", parse.GetValue(sasMaxLifetime)!) };
            // A template's NAME.parameters.json beside it is read from the working tree (not for --history's commits).
            var scanPath = parse.GetValue(path)!;
            var scanRoot = parse.GetValue(history) || parse.GetValue(staged) ? null : Directory.Exists(scanPath) ? scanPath : Path.GetDirectoryName(Path.GetFullPath(scanPath));
            var selected = SelectedAnalyzers.Create(parse.GetValue(analyzers)!, settings, clock, scanRoot, parse.GetValue(rules));
            var selectedFormat = parse.GetValue(format)!;
            if (parse.GetValue(listRules))
            {
                await ListRulesAsync(selected.Rules, selectedFormat, stdout);
                return ExitCodes.Success;
            }

            var request = new ScanRequest
            {
                Path = parse.GetValue(path)!,
                UseIgnoreFiles = !parse.GetValue(noIgnore),
                MaxFileSize = ParseSize(parse.GetValue(maxFileSize)!),
                History = parse.GetValue(history),
                Staged = parse.GetValue(staged),
                Parallelism = parse.GetValue(threads) ?? Environment.ProcessorCount,
            };
            var baselinePath = parse.GetValue(baseline);
            // Read the baseline first: a bad baseline is a usage error, and should fail before a long scan.
            var previous = baselinePath is null ? null : SarifBaseline.Read(baselinePath);

            var scanner = new RepositoryScanner(selected.Content, selected.Project, clock);
            var run = await RunWithProgressAsync(scanner, request, stderr, cancellationToken);
            if (previous is not null)
            {
                run = SarifBaseline.Apply(run, previous);
            }

            var outputPath = parse.GetValue(output);
            var writer = ReportWriters.Create(selectedFormat, new ReportOptions
            {
                Ansi = CliOutput.IsStandardOutput(outputPath) && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null,
                // Wrapping only helps a person at a terminal; files and pipes get one finding per line for grep.
                Width = CliOutput.IsStandardOutput(outputPath) && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected ? Math.Max(80, Console.WindowWidth) : 1000,
            });
            await CliOutput.EmitAsync(outputPath, stdout, (stream, ct) => writer.WriteAsync(run, stream, ct), cancellationToken);
            if (await push.PushAsync(parse, run, stderr, cancellationToken) is var pushed and not ExitCodes.Success)
            {
                return pushed;
            }

            return run.TripsGate(parse.GetValue(failOn)) ? ExitCodes.GateTripped : ExitCodes.Success;
        });

        return command;
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
                context.Status(string.Create(CultureInfo.InvariantCulture, $"Scanning… {progress.Files:N0} {(request.History || request.Staged ? "commit files" : "files")}, {FileWalker.FormatSize(progress.Bytes)}"));
                await Task.WhenAny(scan, Task.Delay(150, cancellationToken));
            }
        });
        return await scan;
    }

    /// <summary>
    /// The rules of the selected analyzers: as text, one line each with its CWE; as JSON, the fields every rule has
    /// (analyzer, id, name, severity, confidence, title, cwe, tags, guidance) and, for secret detectors, their pattern.
    /// </summary>
    internal static async Task ListRulesAsync(IReadOnlyList<(string Analyzer, RuleDescriptor Rule)> rules, string format, TextWriter stdout)
    {
        var secretRules = rules.Any(r => r.Analyzer == "secrets") ? SecretRuleCatalog.Default.Rules.ToDictionary(r => r.Id, StringComparer.Ordinal) : [];
        if (format == "json")
        {
            var json = rules.Select(p =>
            {
                var entry = new Dictionary<string, object>
                {
                    ["analyzer"] = p.Analyzer,
                    ["id"] = p.Rule.Id,
                    ["name"] = p.Rule.Name,
                    ["severity"] = p.Rule.DefaultSeverity.ToToken(),
                    ["confidence"] = p.Rule.Confidence.ToToken(),
                    ["title"] = p.Rule.ShortDescription,
                    ["cwe"] = Cwes(p.Rule),
                    ["tags"] = p.Rule.Tags,
                    ["guidance"] = p.Rule.HelpUri ?? string.Empty,
                };
                if (p.Analyzer == "secrets" && secretRules.TryGetValue(p.Rule.Id, out var secret))
                {
                    entry["keywords"] = secret.Keywords;
                    entry["pattern"] = secret.Pattern;
                    entry["ignoreCase"] = secret.Regex.Options.HasFlag(RegexOptions.IgnoreCase);
                    entry["extraLines"] = secret.ExtraLines;
                    entry["paths"] = secret.Paths;
                }

                return entry;
            });
            await stdout.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(json, IndentedJson));
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
    private static List<string> Cwes(RuleDescriptor rule) =>
        [.. rule.Frameworks.Where(f => f.StartsWith("CWE-", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)];

    /// <summary>The analyzers <c>--analyzers</c> chose (null when not chosen), and what the scanner and <c>--list-rules</c> get of them.</summary>
    internal sealed record SelectedAnalyzers(SecretAnalyzer? Secrets, IacBaselineAnalyzer? Iac, CodeAnalyzer? Code)
    {
        /// <param name="scanRoot">The working tree the IaC pass reads parameters files from; null for --history.</param>
        /// <param name="userRules">A directory of the user's own code rules (<c>--rules</c>), loaded with the built-in ones.</param>
        public static SelectedAnalyzers Create(IReadOnlyList<string> names, SecretScanSettings settings, TimeProvider clock, string? scanRoot = null, string? userRules = null) => new(
            names.Contains("secrets") ? new SecretAnalyzer(SecretRuleCatalog.Default, settings) : null,
            // IaC (ARM templates, Terraform plan JSON) is evaluated with the tenant baseline's controls.
            names.Contains("iac") ? new IacBaselineAnalyzer(clock: clock, scanRoot: scanRoot) : null,
            names.Contains("code") ? (userRules is null ? new CodeAnalyzer() : new CodeAnalyzer(CodeRuleCatalog.WithUserRules(userRules))) : null);

        public IReadOnlyList<IContentAnalyzer> Content => [.. new IContentAnalyzer?[] { Secrets, Iac }.OfType<IContentAnalyzer>()];

        public IReadOnlyList<IProjectAnalyzer> Project => Code is null ? [] : [Code];

        /// <summary>Each selected analyzer's rules, under its <c>--analyzers</c> name, in the order of <see cref="AnalyzerNames"/>.</summary>
        public IReadOnlyList<(string Analyzer, RuleDescriptor Rule)> Rules =>
        [
            .. (Secrets?.Rules ?? []).Select(r => ("secrets", r)),
            .. (Iac?.Rules ?? []).Select(r => ("iac", r)),
            .. (Code?.Rules ?? []).Select(r => ("code", r)),
        ];
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
