using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Baseline;
using SecureFuture.Baseline.Input;
using SecureFuture.Core;
using SecureFuture.Core.Writers;

namespace SecureFuture.Cli.Baseline;

/// <summary><c>sfi baseline assess|controls|remediate|diff</c>: the tenant baseline over exports and IaC.</summary>
internal static class BaselineCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock) => new("baseline", "The tenant baseline: 99 controls in nine domains over Graph, ARM, ScubaGear and Terraform exports and IaC.")
    {
        Assess(stdout, stderr, clock),
        Controls(stdout),
        Remediate(stdout, stderr, clock),
        Diff(stdout, stderr, clock),
    };

    private static Argument<string[]> Inputs() => new("INPUT") { Description = "Export files or directories (Graph, ARM/Resource Graph, ScubaGear ProviderSettingsExport.json, Terraform plan JSON, ARM templates).", Arity = ArgumentArity.OneOrMore };

    private static Option<string?> ExceptionsOption() => new("--exceptions") { Description = "Exceptions (YAML): control id, resource pattern, owner, reason, expiry date." };

    private static Option<string?> ConfigOption() => new("--config") { Description = "Baseline configuration (YAML): thresholds such as lifetimes and retention days; the catalogue's defaults otherwise." };

    private static Option<string?> ControlsOption() => new("--controls") { Description = "Only these controls (comma-separated ids)." };

    private static Option<string?> ParametersOption() => new("--parameters") { Description = "A deployment parameters file for the ARM templates among the inputs (default: each template's NAME.parameters.json beside it)." };

    private static Command Assess(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var inputs = Inputs();
        var format = CliOptions.Format("text, json (one result per control and resource), sarif or html.", ["text", "json", "sarif", "html"]);
        var output = CliOptions.Output();
        var failOn = CliOptions.FailOn("Exit with 1 when a failing control at or above this severity is found");
        var exceptions = ExceptionsOption();
        var config = ConfigOption();
        var only = ControlsOption();
        var parameters = ParametersOption();
        var assess = new Command("assess", "Assess exports and IaC against the baseline.") { inputs, format, output, failOn, exceptions, config, only, parameters };
        var push = Findings.PushOptions.AddTo(assess, defaultCategory: null, format);
        assess.SetAction(async (parse, cancellationToken) =>
        {
            var start = clock.GetUtcNow();
            var selected = parse.GetValue(format)!;
            Assessment? assessment = null;
            IReadOnlyList<AnalysisRun>? categoryRuns = null;
            // The SARIF report and the push are the same analyses: one run per input kind, tenant and iac.
            IReadOnlyList<AnalysisRun> CategoryRunsOnce() => categoryRuns ??= CategoryRuns(assessment!, start);
            Task<Assessment> Run(ResultSink sink, CancellationToken ct) =>
                AssessAsync(parse.GetValue(inputs)!, parse.GetValue(config), parse.GetValue(exceptions), parse.GetValue(only), sink, clock, stderr, ct, parse.GetValue(parameters));
            if (selected == "json")
            {
                // Streamed: every result is written as it is produced and none is kept, so the memory of a large
                // export does not grow with its results; the file appears only once the assessment has finished.
                await CliOutput.EmitAsync(parse.GetValue(output), stdout, async (stream, ct) =>
                {
                    await using var writer = new AssessmentJsonWriter(stream);
                    assessment = await Run(writer.Sink(push.IsRequested(parse) ? ResultSink.FailuresOnly.Keep : null), ct);
                    writer.Complete(assessment);
                    await writer.FlushAsync(ct);
                }, cancellationToken);
            }
            else
            {
                // The reports list failures; everything else is counted (Assessment.Tally).
                assessment = await Run(ResultSink.FailuresOnly, cancellationToken);
                Func<Stream, CancellationToken, Task> write = selected switch
                {
                    "html" => (stream, ct) => CliOutput.WriteTextAsync(stream, BaselineReports.Html(assessment), ct),
                    // One run per input kind, each with the automationDetails.id its push has (--category its prefix), as
                    // sfi scan writes one per analyzer: GitHub code scanning requires distinct categories of the runs of
                    // one tool in one file, and an upload of the file later lands each kind in its own analysis.
                    "sarif" => (stream, ct) => SarifWriter.WriteLogAsync(push.HubRuns(parse, CategoryRunsOnce()), stream, ct),
                    _ => (stream, ct) => CliOutput.WriteTextAsync(stream, BaselineReports.TextSummary(assessment), ct),
                };
                await CliOutput.EmitAsync(parse.GetValue(output), stdout, write, cancellationToken);
            }

            if (await push.PushAsync(parse, CategoryRunsOnce, stderr, cancellationToken) is var pushed and not ExitCodes.Success)
            {
                return pushed;
            }

            // A file the gate could not read may hold the failure it exists to catch: a gate never passes over one.
            return parse.GetValue(failOn) is { } threshold && (assessment!.HasFailureAtOrAbove(threshold) || RefusedInputs(assessment) > 0)
                ? ExitCodes.GateTripped
                : ExitCodes.Success;
        });
        return assess;
    }

    /// <summary>
    /// The assessment as its analyses, for the SARIF report and the hub: <c>iac</c> for the failures in ARM templates and
    /// Terraform plans, <c>tenant</c> for those in exports of the deployed configuration, each only when inputs of its
    /// kind were assessed (an empty run says its earlier findings are fixed).
    /// </summary>
    private static IReadOnlyList<AnalysisRun> CategoryRuns(Assessment assessment, DateTimeOffset start)
    {
        var iacFiles = assessment.Files.Where(f => f.Format is InputFormat.ArmTemplate or InputFormat.TerraformPlan).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var categories = new List<string>();
        if (assessment.Files.Any(f => !iacFiles.Contains(f.Path)))
        {
            categories.Add("tenant");
        }

        if (iacFiles.Count > 0)
        {
            categories.Add("iac");
        }

        var run = BaselineFindings.ToAnalysisRun(assessment, startTime: start) with { Root = Environment.CurrentDirectory };
        return Findings.CategoryRuns.Split(run, categories, f => f.Location.Path is { } path && iacFiles.Contains(path) ? "iac" : "tenant");
    }

    private static Command Controls(TextWriter stdout)
    {
        var format = CliOptions.Format("text or json.", ["text", "json"]);
        var controls = new Command("controls", "List the catalogue: id, domain, title, severity, remediation, references.") { format };
        controls.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(format) == "json")
            {
                var list = new JsonArray([.. ControlCatalogue.Default.Controls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["domain"] = c.Domain,
                    ["name"] = c.Name,
                    ["title"] = c.Title,
                    ["severity"] = c.Severity.ToToken(),
                    ["formats"] = new JsonArray([.. c.Formats.Select(f => (JsonNode)f)]),
                    ["remediation"] = c.Fix.Programmatic ? "programmatic" : "manual",
                    ["remediationNote"] = c.Fix.Note ?? c.Fix.ManualSteps,
                    ["references"] = new JsonObject
                    {
                        ["mcsb"] = new JsonArray([.. c.References.Mcsb.Select(r => (JsonNode)r)]),
                        ["cis"] = new JsonArray([.. c.References.Cis.Select(r => (JsonNode)r)]),
                        ["scuba"] = new JsonArray([.. c.References.Scuba.Select(r => (JsonNode)r)]),
                        ["other"] = new JsonArray([.. c.References.Other.Select(r => (JsonNode)r)]),
                    },
                })]);
                await stdout.WriteLineAsync(new JsonObject { ["controls"] = list }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await stdout.WriteAsync(BaselineReports.ControlList());
            }

            await stdout.FlushAsync(cancellationToken);
            return ExitCodes.Success;
        });
        return controls;
    }

    private static Command Remediate(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var inputs = Inputs();
        var output = new Option<string>("--output", "-o") { Description = "The remediation plan (JSON): every fixable failure with its resource, API, verb and body, or Terraform change.", Required = true };
        var exceptions = ExceptionsOption();
        var config = ConfigOption();
        var only = ControlsOption();
        var remediate = new Command("remediate", "Write a remediation plan for every failing control.") { inputs, output, exceptions, config, only };
        remediate.SetAction(async (parse, cancellationToken) =>
        {
            var assessment = await AssessAsync(parse.GetValue(inputs)!, parse.GetValue(config), parse.GetValue(exceptions), parse.GetValue(only), ResultSink.FailuresOnly, clock, stderr, cancellationToken);
            var plan = RemediationPlan.From(assessment);
            var to = parse.GetValue(output)!;
            await CliOutput.EmitAsync(to, stdout, (stream, ct) => plan.WriteJsonAsync(stream, ct), cancellationToken);
            // With the plan on standard output, the summary goes to standard error so the plan stays valid JSON.
            await (CliOutput.IsStandardOutput(to) ? stderr : stdout).WriteAsync(BaselineReports.RemediationText(plan));
            return ExitCodes.Success;
        });
        return remediate;
    }

    private static Command Diff(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var before = new Argument<string>("OLD") { Description = "A saved assessment (sfi baseline assess --format json), or an export file or directory." };
        var after = new Argument<string>("NEW") { Description = "The same, later." };
        var format = CliOptions.Format("text or json.", ["text", "json"]);
        var failOnRegression = new Option<bool>("--fail-on-regression") { Description = "Exit with 1 when any control regressed." };
        var diff = new Command("diff", "Controls and resources that regressed or improved between two assessments.") { before, after, format, failOnRegression };
        diff.SetAction(async (parse, cancellationToken) =>
        {
            var old = await LoadAsync(parse.GetValue(before)!, clock, stderr, cancellationToken);
            var current = await LoadAsync(parse.GetValue(after)!, clock, stderr, cancellationToken);
            var result = AssessmentDiff.Compare(old, current);
            var refused = Refused("old", old).Concat(Refused("new", current)).ToList();
            if (parse.GetValue(format) == "json")
            {
                JsonNode Change(ResultChange c) => new JsonObject
                {
                    ["controlId"] = c.ControlId,
                    ["resource"] = c.ResourceId,
                    ["before"] = c.Before is { } b ? AssessmentJson.StatusToken(b) : null,
                    ["after"] = c.After is { } a ? AssessmentJson.StatusToken(a) : null,
                    ["evidence"] = c.Evidence,
                };
                await stdout.WriteLineAsync(new JsonObject
                {
                    ["regressions"] = new JsonArray([.. result.Regressions.Select(Change)]),
                    ["improvements"] = new JsonArray([.. result.Improvements.Select(Change)]),
                    ["refusedInputs"] = new JsonArray([.. refused.Select(r => new JsonObject { ["side"] = r.Side, ["path"] = r.Input.Path, ["refused"] = r.Input.Message })]),
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await stdout.WriteAsync(BaselineReports.DiffText(result));
                if (refused.Count > 0)
                {
                    await stdout.WriteLineAsync($"Refused inputs ({refused.Count}): the comparison is incomplete");
                    foreach (var (side, input) in refused)
                    {
                        await stdout.WriteLineAsync($"  {side}: {Described(input)}");
                    }
                }
            }

            return parse.GetValue(failOnRegression) && (result.Regressions.Any() || refused.Count > 0) ? ExitCodes.GateTripped : ExitCodes.Success;
        });
        return diff;
    }

    /// <summary>Files found in a directory that could not be read, each reported as a notification.</summary>
    private static int RefusedInputs(Assessment assessment) => assessment.Notifications.Count(n => n.Id == SnapshotReader.InputRefused);

    /// <summary>The refused inputs of one side of a diff: found now, or recorded in a saved assessment.</summary>
    private static IEnumerable<(string Side, Notification Input)> Refused(string side, Assessment assessment)
        => assessment.Notifications.Where(n => n.Id == SnapshotReader.InputRefused).Select(n => (side, n));

    /// <summary>A notification as one line: its path first, unless its message (an InputException's) starts with it.</summary>
    private static string Described(Notification notification)
        => (notification.Path is { } p && !notification.Message.StartsWith(p + ":", StringComparison.Ordinal) ? p + ": " : string.Empty) + notification.Message;

    /// <summary>A saved assessment is read as such; anything else is assessed.</summary>
    private static async Task<Assessment> LoadAsync(string path, TimeProvider clock, TextWriter stderr, CancellationToken cancellationToken)
    {
        // Only a regular file is opened here: a FIFO or a device goes on to the reader, which refuses it.
        if (FileKinds.NotARegularFile(path) is null && IsSavedAssessment(path))
        {
            await using var stream = File.OpenRead(path);
            return AssessmentJson.Read(stream, path);
        }

        return await AssessAsync([path], null, null, null, ResultSink.All, clock, stderr, cancellationToken);
    }

    private static bool IsSavedAssessment(string path)
    {
        // A saved assessment starts with the keys AssessmentJson writes; reading a few KiB is enough to tell.
        using var stream = File.OpenRead(path);
        var buffer = new byte[4096];
        var read = stream.Read(buffer, 0, buffer.Length);
        var head = Encoding.UTF8.GetString(buffer, 0, read);
        return head.Contains("\"assessedAt\"", StringComparison.Ordinal) && head.Contains("\"catalogueVersion\"", StringComparison.Ordinal);
    }

    private static async Task<Assessment> AssessAsync(
        IEnumerable<string> inputs, string? configPath, string? exceptionsPath, string? only, ResultSink sink, TimeProvider clock, TextWriter stderr, CancellationToken cancellationToken, string? templateParameters = null)
    {
        if (templateParameters is not null)
        {
            FileKinds.RequireRegularFile(templateParameters, "--parameters:");
        }

        var configuration = configPath is null ? null : BaselineConfiguration.Load(configPath);
        var exceptions = exceptionsPath is null ? null : BaselineExceptions.Load(exceptionsPath);
        HashSet<string>? controls = null;
        if (only is not null)
        {
            controls = new HashSet<string>(only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
            foreach (var id in controls.Where(id => !ControlCatalogue.Default.Contains(id)))
            {
                throw new InputException($"--controls: unknown control '{id}' (see 'sfi baseline controls')");
            }
        }

        var assessor = new BaselineAssessor(configuration, exceptions, clock) { TemplateParameters = templateParameters };
        var assessment = await assessor.AssessAsync(inputs, sink, controls, cancellationToken);
        foreach (var notification in assessment.Notifications)
        {
            // A refused file's message already starts with its path, line and column (InputException).
            await stderr.WriteLineAsync($"sfi: {Described(notification)}");
        }

        // Nothing read is not a pass: an empty directory, or one whose every file was refused, assessed nothing.
        // So is a run that read files but not one resource ([] or {"value":[]}): every control would be unknown. An
        // empty Graph collection still says what it is a collection of (no guests, no policies), and that is read.
        if (!assessment.Files.Any(f => f.ResourceCount + f.SkippedCount > 0 || f.DeclaredTypes.Count > 0))
        {
            var refused = RefusedInputs(assessment);
            var why = assessment.Files.Count > 0
                ? $"no resource found in {assessment.Files.Count} file(s){(refused > 0 ? $" and {refused} refused (see above)" : string.Empty)}"
                : refused > 0 ? $"all {refused} file(s) were refused (see above)" : "no .json export found";
            throw new InputException($"{string.Join(", ", inputs)}: nothing to assess: {why}; expected {SnapshotReader.RecognisedFormats}");
        }

        // Expired exceptions arrive as notifications too (the library reports them), so they are printed once above.
        return assessment;
    }


}
