using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Core.Writers;
using SecureFuture.Scanning;
using SecureFuture.Scanning.Iac;
using SecureFuture.Scanning.Secrets;
using SecureFuture.Scanning.Secrets.Validators;
using Spectre.Console;

namespace SecureFuture.Cli.Scan;

/// <summary><c>sfi scan PATH</c>: secrets in a working tree or in the git history.</summary>
internal static partial class ScanCommand
{
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
        var sasMaxLifetime = new Option<string>("--sas-max-lifetime") { Description = "SAS tokens valid longer than this are critical (ISO 8601 duration).", DefaultValueFactory = _ => "P30D" };
        var listRules = new Option<bool>("--list-rules") { Description = "List the detectors (id, name, severity, title) and exit." };
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

        var command = new Command("scan", "Find secrets in a repository or its git history and report them as text, JSON or SARIF.")
        {
            path, format, output, failOn, baseline, noIgnore, maxFileSize, history, sasMaxLifetime, listRules, threads,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            // The scanner was measured (bench/) with blocking collections only; sfi as a whole uses background ones.
            System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
            var settings = new SecretScanSettings { Clock = clock, SasMaxLifetime = ParseDuration("--sas-max-lifetime", parse.GetValue(sasMaxLifetime)!) };
            var analyzer = new SecretAnalyzer(SecretRuleCatalog.Default, settings);
            var selectedFormat = parse.GetValue(format)!;
            if (parse.GetValue(listRules))
            {
                await ListRulesAsync(analyzer, selectedFormat, stdout);
                return ExitCodes.Success;
            }

            var request = new ScanRequest
            {
                Path = parse.GetValue(path)!,
                UseIgnoreFiles = !parse.GetValue(noIgnore),
                MaxFileSize = ParseSize(parse.GetValue(maxFileSize)!),
                History = parse.GetValue(history),
                Parallelism = parse.GetValue(threads) ?? Environment.ProcessorCount,
            };
            var baselinePath = parse.GetValue(baseline);
            // Read the baseline first: a bad baseline is a usage error, and should fail before a long scan.
            var previous = baselinePath is null ? null : SarifBaseline.Read(baselinePath);

            // IaC (ARM templates, Terraform plan JSON) is evaluated with the tenant baseline's controls.
            // A template's NAME.parameters.json beside it is read from the working tree (not for --history's commits).
            var scanRoot = request.History ? null : Directory.Exists(request.Path) ? request.Path : Path.GetDirectoryName(Path.GetFullPath(request.Path));
            var scanner = new RepositoryScanner([analyzer, new IacBaselineAnalyzer(clock: clock, scanRoot: scanRoot)], clock);
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
                context.Status(string.Create(CultureInfo.InvariantCulture, $"Scanning… {progress.Files:N0} {(request.History ? "commit files" : "files")}, {FileWalker.FormatSize(progress.Bytes)}"));
                await Task.WhenAny(scan, Task.Delay(150, cancellationToken));
            }
        });
        return await scan;
    }

    private static async Task ListRulesAsync(SecretAnalyzer analyzer, string format, TextWriter stdout)
    {
        if (format == "json")
        {
            var rules = SecretRuleCatalog.Default.Rules.Select(r => new Dictionary<string, object>
            {
                ["id"] = r.Id,
                ["name"] = r.Descriptor.Name,
                ["severity"] = r.Descriptor.DefaultSeverity.ToToken(),
                ["confidence"] = r.Descriptor.Confidence.ToToken(),
                ["title"] = r.Descriptor.ShortDescription,
                ["keywords"] = r.Keywords,
                ["pattern"] = r.Pattern,
                ["ignoreCase"] = r.Regex.Options.HasFlag(RegexOptions.IgnoreCase),
                ["extraLines"] = r.ExtraLines,
                ["paths"] = r.Paths,
                ["guidance"] = r.Descriptor.HelpUri ?? string.Empty,
            });
            await stdout.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(rules, IndentedJson));
            return;
        }

        foreach (var rule in analyzer.Rules)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{rule.Id}  {rule.DefaultSeverity.ToToken(),-8}  {rule.Name,-40}  {rule.ShortDescription}"));
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{analyzer.Rules.Count} detectors"));
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
