using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Core.Writers;
using SecureFuture.ThreatModeling.Diagrams;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Findings;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Tm7;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.Cli.ThreatModel;

/// <summary><c>sfi threatmodel analyze|convert|diff|diagram</c>: threat models as code.</summary>
internal static class ThreatModelCommand
{
    private static readonly string[] AnalyzeFormats = ["text", "json", "sarif", "html", "md"];

    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var command = new Command("threatmodel", "Threat models as code: generate threats from a model (.yaml, .tm7, Threat Dragon .json, Threagile .yaml), gate, convert, diff and draw.")
        {
            Analyze(stdout, stderr, clock),
            Convert(stdout),
            Diff(stdout),
            Diagram(stdout),
        };
        return command;
    }

    private static Option<string?> TemplateOption() => new("--template") { Description = "A Threat Modeling Tool template to generate with: a .tb7, or a .tm7 whose embedded template is used; instead of the model's own (a .tm7's, or a YAML model's 'template:') or sfi's default catalogue." };

    private static Command Analyze(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var model = new Argument<string>("MODEL") { Description = "The model: .yaml/.yml (sfi or Threagile), .tm7, or Threat Dragon .json." };
        var format = CliOptions.Format("Output format: text, json, sarif, html or md.", AnalyzeFormats);
        var output = CliOptions.Output();
        var failOn = CliOptions.FailOn("Exit with 1 when an open threat (not mitigated, not 'not applicable') at or above this severity exists");
        var newOnly = new Option<bool>("--new-only") { Description = "Gate only on threats the model has not recorded yet (pull-request mode)." };
        var update = new Option<bool>("--update") { Description = "Record the regenerated threats in the model file (states and justifications kept; .yaml and .tm7)." };
        var template = TemplateOption();
        var analyze = new Command("analyze", "Generate the model's threats, carry over recorded states, report new and resolved ones.") { model, format, output, failOn, newOnly, update, template };
        var push = Findings.PushOptions.AddTo(analyze, "threat-model", format);
        analyze.SetAction(async (parse, cancellationToken) =>
        {
            var start = clock.GetUtcNow();
            var path = parse.GetValue(model)!;
            var loaded = Load(path, parse.GetValue(template));
            var issues = ModelValidator.Validate(loaded.Model, loaded.Template);
            foreach (var issue in issues)
            {
                await stderr.WriteLineAsync($"sfi: {path}{(issue.Position is { } p ? $":{p.Line}:{p.Column}" : string.Empty)}: {issue.Message}");
            }

            var result = ThreatAnalyzer.Analyze(loaded.Model, loaded.Template);
            var run = ThreatFindings.ToRun(loaded.Model, result, loaded.Template, CliApp.Version, start, clock.GetUtcNow(), compareToRecorded: parse.GetValue(newOnly));
            run = run with { Notifications = [.. run.Notifications, .. issues.Select(i => ThreatFindings.ToNotification(i, loaded.Model))] };
            if (!Path.IsPathRooted(path))
            {
                run = run with { Root = Environment.CurrentDirectory }; // relative locations resolve against where sfi ran
            }

            // The SARIF report is the analysis --push sends (its automationDetails category).
            run = push.WithHubCategory(parse, run, [run.Category]);
            var selected = parse.GetValue(format)!;
            Func<Stream, CancellationToken, Task> write = selected switch
            {
                "json" => (stream, ct) => WriteJsonAsync(stream, loaded.Model, result, ct),
                "html" => (stream, ct) => CliOutput.WriteTextAsync(stream, Html(loaded.Model, result), ct),
                "md" => (stream, ct) => CliOutput.WriteTextAsync(stream, Markdown(loaded.Model, result), ct),
                _ => (stream, ct) => ReportWriters.Create(selected).WriteAsync(run, stream, ct),
            };
            await CliOutput.EmitAsync(parse.GetValue(output), stdout, write, cancellationToken);

            if (parse.GetValue(update))
            {
                await RecordAsync(path, loaded, result, cancellationToken);
                await stderr.WriteLineAsync($"sfi: recorded {result.Current.Count} threats in {path} ({result.New.Count} new, {result.Resolved.Count} resolved)");
            }

            if (await push.PushAsync(parse, run, stderr, cancellationToken) is var pushed and not ExitCodes.Success)
            {
                return pushed;
            }

            return run.TripsGate(parse.GetValue(failOn)) ? ExitCodes.GateTripped : ExitCodes.Success;
        });
        return analyze;
    }

    private static Command Convert(TextWriter stdout)
    {
        var input = new Argument<string>("IN") { Description = "The model to convert (.yaml, .tm7, Threat Dragon .json, Threagile .yaml)." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write; the format follows the extension: .yaml/.yml (sfi), .tm7 (Threat Modeling Tool) or .json (OWASP Threat Dragon v2).", Required = true };
        var template = TemplateOption();
        var convert = new Command("convert", "Convert a model between sfi YAML, Threat Modeling Tool .tm7 and Threat Dragon .json (threats regenerated and recorded).") { input, output, template };
        convert.SetAction(async (parse, cancellationToken) =>
        {
            var from = parse.GetValue(input)!;
            var to = parse.GetValue(output)!;
            var loaded = Load(from, parse.GetValue(template));
            switch (Path.GetExtension(to).ToLowerInvariant())
            {
                case ".yaml" or ".yml":
                    var yaml = YamlModelWriter.Write(loaded, to);
                    await AtomicFile.WriteAsync(to, (stream, ct) => CliOutput.WriteTextAsync(stream, yaml, ct), cancellationToken);
                    break;
                case ".tm7" when loaded.Tm7 is not null:
                    var (document, _) = Tm7Threats.Regenerate(loaded.Tm7, new ThreatGenerator(loaded.Template));
                    await document.SaveAsync(to, cancellationToken);
                    break;
                case ".tm7":
                    // A new drawing (laid out by sfi) with the template embedded and the current threats recorded.
                    var created = Tm7Writer.Create(loaded.Model, loaded.Template, ThreatAnalyzer.Analyze(loaded.Model, loaded.Template).Current);
                    await created.SaveAsync(to, cancellationToken);
                    break;
                case ".json":
                    var dragon = ThreatModeling.Interop.ThreatDragonWriter.Write(loaded.Model, ThreatAnalyzer.Analyze(loaded.Model, loaded.Template).Current);
                    await AtomicFile.WriteAsync(to, (stream, ct) => CliOutput.WriteTextAsync(stream, dragon, ct), cancellationToken);
                    break;
                default:
                    throw new InputException($"{to}: unknown output format '{Path.GetExtension(to)}'; use .yaml, .tm7 or .json (OWASP Threat Dragon v2)");
            }

            await stdout.WriteLineAsync($"sfi: wrote {to} ({loaded.Model.Elements.Count} elements, {loaded.Model.Flows.Count} flows, {loaded.Model.Boundaries.Count} boundaries)");
            return ExitCodes.Success;
        });
        return convert;
    }

    private static Command Diff(TextWriter stdout)
    {
        var before = new Argument<string>("OLD") { Description = "The model before the change." };
        var after = new Argument<string>("NEW") { Description = "The model after the change." };
        var format = CliOptions.Format("text or json.", ["text", "json"]);
        var failOn = CliOptions.FailOn("Exit with 1 when a new threat at or above this severity appears");
        var template = TemplateOption();
        var diff = new Command("diff", "New and resolved threats between two versions of a model, for pull-request review.") { before, after, format, failOn, template };
        diff.SetAction(async (parse, cancellationToken) =>
        {
            var oldModel = Load(parse.GetValue(before)!, parse.GetValue(template));
            var newModel = Load(parse.GetValue(after)!, parse.GetValue(template));
            var generator = new ThreatGenerator(newModel.Template);
            var result = ThreatDiff.Between(oldModel.Model, newModel.Model, generator);
            if (parse.GetValue(format) == "json")
            {
                var json = new JsonObject
                {
                    ["new"] = new JsonArray([.. result.New.Select(t => (JsonNode)ThreatJson(t))]),
                    ["resolved"] = new JsonArray([.. result.Resolved.Select(t => (JsonNode)ThreatJson(t))]),
                };
                await stdout.WriteLineAsync(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await stdout.WriteLineAsync($"{result.New.Count} new, {result.Resolved.Count} resolved");
                foreach (var t in result.New)
                {
                    await stdout.WriteLineAsync($"+ {t.Severity.ToToken(),-8} {t.RuleId}  {t.Key.Interaction}  {t.Title}");
                }

                foreach (var t in result.Resolved)
                {
                    await stdout.WriteLineAsync($"- {t.Severity.ToToken(),-8} {t.RuleId}  {t.Key.Interaction}  {t.Title}");
                }
            }

            return parse.GetValue(failOn) is { } threshold && result.New.Any(t => t.Severity >= threshold) ? ExitCodes.GateTripped : ExitCodes.Success;
        });
        return diff;
    }

    private static Command Diagram(TextWriter stdout)
    {
        var model = new Argument<string>("MODEL") { Description = "The model to draw." };
        var output = new Option<string>("--output", "-o") { Description = "The SVG file to write (- for standard output).", Required = true };
        var diagram = new Option<string?>("--diagram") { Description = "For a .tm7 with several diagrams: the diagram's id." };
        var template = TemplateOption();
        var draw = new Command("diagram", "Draw the data-flow diagram with its trust boundaries as SVG.") { model, output, diagram, template };
        draw.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = Load(parse.GetValue(model)!, parse.GetValue(template));
            var svg = SvgDiagramWriter.Write(loaded.Model, parse.GetValue(diagram));
            var to = parse.GetValue(output)!;
            await CliOutput.EmitAsync(to, stdout, (stream, ct) => CliOutput.WriteTextAsync(stream, svg, ct), cancellationToken);
            if (!CliOutput.IsStandardOutput(to))
            {
                await stdout.WriteLineAsync($"sfi: wrote {to}");
            }
            return ExitCodes.Success;
        });
        return draw;
    }

    private static LoadedModel Load(string path, string? templatePath) => ThreatAnalyzer.Load(path, templatePath);

    private static async Task RecordAsync(string path, LoadedModel loaded, ThreatReconciliation result, CancellationToken cancellationToken)
    {
        if (loaded.Tm7 is not null)
        {
            var (document, _) = Tm7Threats.Regenerate(loaded.Tm7, new ThreatGenerator(loaded.Template));
            await document.SaveAsync(path, cancellationToken);
            return;
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".yaml" or ".yml") || loaded.Model.Elements.Count == 0 && loaded.Model.Flows.Count == 0)
        {
            throw new InputException($"{path}: --update records threats in .yaml and .tm7 models only; convert this one first");
        }

        var yaml = YamlThreatRecorder.Replace(await File.ReadAllTextAsync(path, cancellationToken), result);
        await AtomicFile.WriteAsync(path, (stream, ct) => CliOutput.WriteTextAsync(stream, yaml, ct), cancellationToken);
    }



    private static JsonObject ThreatJson(Threat t) => new()
    {
        ["ruleId"] = t.RuleId,
        ["category"] = t.Category,
        ["severity"] = t.Severity.ToToken(),
        ["state"] = Threat.StateToken(t.State),
        ["interaction"] = t.Key.Interaction,
        ["title"] = t.Title,
        ["justification"] = t.Justification,
    };

    private static async Task WriteJsonAsync(Stream stream, ThreatModeling.Model.ThreatModel model, ThreatReconciliation result, CancellationToken cancellationToken)
    {
        var json = new JsonObject
        {
            ["model"] = model.Name,
            ["source"] = model.SourcePath,
            ["threats"] = new JsonArray([.. result.Current.Select(t => (JsonNode)ThreatJson(t))]),
            ["new"] = new JsonArray([.. result.New.Select(t => (JsonNode)t.Key.ToString())]),
            ["resolved"] = new JsonArray([.. result.Resolved.Select(t => (JsonNode)ThreatJson(t))]),
        };
        await CliOutput.WriteTextAsync(stream, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", cancellationToken);
    }

    private static string Markdown(ThreatModeling.Model.ThreatModel model, ThreatReconciliation result)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Threat model: {Cell(model.Name)}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{result.Current.Count} threats ({result.New.Count} new, {result.Resolved.Count} resolved); {Open(result)} open.\n\n");
        md.Append("![data-flow diagram](data:image/svg+xml;base64,").Append(System.Convert.ToBase64String(Encoding.UTF8.GetBytes(SvgDiagramWriter.Write(model)))).Append(")\n\n");
        md.Append("| Severity | Category | Rule | Threat | Interaction | State |\n|---|---|---|---|---|---|\n");
        foreach (var t in Ordered(result.Current))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {t.Severity.ToToken()} | {Cell(t.Category)} | {Cell(t.RuleId)} | {Cell(t.Title)} | `{Cell(t.Key.Interaction)}` | {Threat.StateToken(t.State)} |\n");
        }

        if (result.Resolved.Count > 0)
        {
            md.Append("\n## Resolved\n\n");
            foreach (var t in result.Resolved)
            {
                md.Append(CultureInfo.InvariantCulture, $"- {Cell(t.RuleId)}: {Cell(t.Title)} (`{Cell(t.Key.Interaction)}`)\n");
            }
        }

        return md.ToString();

        static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
    }

    private static string Html(ThreatModeling.Model.ThreatModel model, ThreatReconciliation result)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Threat model: ").Append(E(model.Name)).Append("</title>\n")
            .Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}")
            .Append(".critical,.high{color:#a00;font-weight:600}.medium{color:#a60}.diagram{border:1px solid #ddd;margin:1rem 0;overflow:auto}</style></head><body>\n")
            .Append("<h1>Threat model: ").Append(E(model.Name)).Append("</h1>\n")
            .Append(CultureInfo.InvariantCulture, $"<p>{result.Current.Count} threats ({result.New.Count} new, {result.Resolved.Count} resolved); {Open(result)} open.</p>\n")
            .Append("<div class=\"diagram\">").Append(SvgDiagramWriter.Write(model)).Append("</div>\n")
            .Append("<table><thead><tr><th>Severity</th><th>Category</th><th>Rule</th><th>Threat</th><th>Interaction</th><th>State</th><th>Justification</th></tr></thead><tbody>\n");
        foreach (var t in Ordered(result.Current))
        {
            var severity = t.Severity.ToToken();
            html.Append("<tr><td class=\"").Append(severity).Append("\">").Append(severity).Append("</td><td>").Append(E(t.Category)).Append("</td><td>").Append(E(t.RuleId))
                .Append("</td><td><strong>").Append(E(t.Title)).Append("</strong><br>").Append(E(t.Description)).Append("</td><td><code>").Append(E(t.Key.Interaction))
                .Append("</code></td><td>").Append(Threat.StateToken(t.State)).Append("</td><td>").Append(E(t.Justification ?? string.Empty)).Append("</td></tr>\n");
        }

        html.Append("</tbody></table>\n");
        if (result.Resolved.Count > 0)
        {
            html.Append("<h2>Resolved</h2><ul>\n");
            foreach (var t in result.Resolved)
            {
                html.Append("<li>").Append(E(t.RuleId)).Append(": ").Append(E(t.Title)).Append(" (<code>").Append(E(t.Key.Interaction)).Append("</code>)</li>\n");
            }

            html.Append("</ul>\n");
        }

        return html.Append("</body></html>\n").ToString();

        static string E(string text) => WebUtility.HtmlEncode(text);
    }

    private static IEnumerable<Threat> Ordered(IEnumerable<Threat> threats) => threats.OrderByDescending(t => t.Severity).ThenBy(t => t.RuleId, StringComparer.Ordinal).ThenBy(t => t.Key.Interaction, StringComparer.Ordinal);

    private static int Open(ThreatReconciliation result) => result.Current.Count(t => t.State is not (ThreatState.Mitigated or ThreatState.NotApplicable));
}
