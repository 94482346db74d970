using System.Globalization;
using Spectre.Console;

namespace SecureFuture.Core.Writers;

/// <summary>Human-readable output: findings grouped by file, masked evidence, a summary by severity.</summary>
public sealed class TextReportWriter(ReportOptions options) : IReportWriter
{
    private readonly ReportOptions _options = options;

    public string Format => "text";

    public async Task WriteAsync(AnalysisRun run, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new StreamWriter(output, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = _options.Ansi ? AnsiSupport.Yes : AnsiSupport.No,
                ColorSystem = _options.Ansi ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Out = new AnsiConsoleOutput(writer),
                Interactive = InteractionSupport.No,
            });
            console.Profile.Width = _options.Width ?? 120;
            Render(console, run);
            await writer.FlushAsync(cancellationToken);
        }
    }

    private void Render(IAnsiConsole console, AnalysisRun run)
    {
        var shown = run.Findings.Where(f => _options.ShowSuppressed || !f.IsSuppressed).ToList();
        foreach (var group in shown.GroupBy(f => f.Location.Path ?? f.Location.ResourceId ?? f.Location.ModelElement ?? "(no location)")
                     .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            console.MarkupLine($"[bold underline]{Markup.Escape(group.Key)}[/]");
            foreach (var f in group.OrderBy(f => f.Location.Region?.StartLine ?? 0).ThenBy(f => f.Location.Region?.StartColumn ?? 0))
            {
                var where = f.Location.Region is { } r ? $"{r.StartLine}:{r.StartColumn}" : (f.Location.PropertyPath ?? string.Empty);
                var severity = $"[{Colour(f.Severity)}]{f.Severity.ToToken(),-8}[/]";
                var tags = new List<string>();
                if (f.IsSuppressed)
                {
                    tags.Add("suppressed");
                }

                if (f.BaselineState is not BaselineState.None)
                {
                    tags.Add(f.BaselineState.ToString().ToLowerInvariant());
                }

                var suffix = tags.Count > 0 ? $" [grey]({string.Join(", ", tags)})[/]" : string.Empty;
                console.MarkupLine($"  {Markup.Escape(where),-9} {severity} [bold]{Markup.Escape(f.RuleId)}[/] {Markup.Escape(f.Message)}{suffix}");
                if (f.Evidence is { } evidence)
                {
                    console.MarkupLine($"  {string.Empty,-9} [grey]evidence: {Markup.Escape(evidence.ToString())}[/]");
                }

                if (f.Flow is { Count: > 0 } flow)
                {
                    console.MarkupLine($"  {string.Empty,-9} [grey]{Markup.Escape(DescribeFlow(flow))}[/]");
                }

                foreach (var key in new[] { "commit", "date" })
                {
                    if (f.Properties.TryGetValue(key, out var value))
                    {
                        console.MarkupLine($"  {string.Empty,-9} [grey]{key}: {Markup.Escape(value)}[/]");
                    }
                }
            }

            console.WriteLine();
        }

        foreach (var n in run.Notifications)
        {
            var where = n.Path is null ? string.Empty : $"{n.Path}{(n.Region is null ? string.Empty : ":" + n.Region)}: ";
            console.MarkupLine($"[grey]{n.Level.ToString().ToLowerInvariant()}: {Markup.Escape(where + n.Message)}[/]");
        }

        var counts = Enum.GetValues<Severity>().Reverse()
            .Select(s => (s, n: run.Findings.Count(f => f.Severity == s && !f.IsSuppressed)))
            .Where(p => p.n > 0)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.n} {p.s.ToToken()}"));
        var active = run.Findings.Count(f => !f.IsSuppressed);
        var suppressed = run.Findings.Count - active;
        var summary = active == 0 ? "No findings" : $"{active} finding{(active == 1 ? string.Empty : "s")} ({string.Join(", ", counts)})";
        if (suppressed > 0)
        {
            summary += string.Create(CultureInfo.InvariantCulture, $", {suppressed} suppressed");
        }

        foreach (var line in DescribeInventory(run.Statistics))
        {
            console.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
        }

        foreach (var (key, value) in run.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            console.MarkupLine($"[grey]{Markup.Escape($"{key}: {value}")}[/]");
        }

        var stats = string.Join(", ", run.Statistics.Where(p => !CodeInventory.IsInventory(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Value}")));
        console.MarkupLine($"[bold]{Markup.Escape(summary)}[/]{(stats.Length > 0 ? $" [grey]{Markup.Escape(stats)}[/]" : string.Empty)}");
    }

    /// <summary>
    /// A data-flow path on one line, source first:
    /// <c>source A.cs:14:33 request query 'id' -> B.cs:22:16 concatenated -> C.cs:9:38 SqlCommand (sink)</c>. The
    /// words "source" and "(sink)" are left out when the step's own message already says so.
    /// </summary>
    private static string DescribeFlow(IReadOnlyList<FlowStep> flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        var steps = flow.Select((step, i) =>
        {
            var text = $"{step.Location} {step.Message}";
            if (i == 0 && !step.Message.Contains("(source)", StringComparison.OrdinalIgnoreCase))
            {
                text = "source " + text;
            }

            if (i == flow.Count - 1 && i > 0 && !step.Message.Contains("(sink)", StringComparison.OrdinalIgnoreCase))
            {
                text += " (sink)";
            }

            return text;
        });
        return string.Join(" -> ", steps);
    }

    /// <summary>
    /// The code inventory: lines per language with the memory-safe share
    /// (<c>Lines of code: c 340, csharp 12,345; memory-safe share: 97.3 %</c>), and the unsafe-code inventory.
    /// </summary>
    private static IEnumerable<string> DescribeInventory(IReadOnlyDictionary<string, long> statistics)
    {
        var languages = statistics
            .Where(p => p.Key.StartsWith(CodeInventory.LinesOfCodePrefix, StringComparison.Ordinal))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key[CodeInventory.LinesOfCodePrefix.Length..]} {p.Value:N0}"))
            .ToList();
        if (languages.Count > 0)
        {
            var share = CodeInventory.MemorySafeShare(statistics) is { } s ? $"; memory-safe share: {CodeInventory.FormatShare(s)}" : string.Empty;
            yield return $"Lines of code: {string.Join(", ", languages)}{share}";
        }

        var unsafeCode = statistics
            .Where(p => p.Key.StartsWith(CodeInventory.UnsafeCodePrefix, StringComparison.Ordinal))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key[CodeInventory.UnsafeCodePrefix.Length..]} {p.Value:N0}"))
            .ToList();
        if (unsafeCode.Count > 0)
        {
            yield return $"Unsafe code (inventory): {string.Join(", ", unsafeCode)}";
        }
    }

    private static string Colour(Severity severity) => severity switch
    {
        Severity.Critical => "red bold",
        Severity.High => "red",
        Severity.Medium => "yellow",
        Severity.Low => "blue",
        _ => "grey",
    };
}
