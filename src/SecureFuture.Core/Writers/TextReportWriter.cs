using System.Globalization;

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
            Render(new Styled(writer, _options.Ansi), run);
            await writer.FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Text with optional ANSI styles (SGR codes) for a terminal; plain text when piped, so that every line reads on
    /// its own without the styles that separated its parts on screen. Lines are never wrapped: a finding is one line
    /// for grep. Control characters from the inputs (a file name or message can hold an escape sequence that would
    /// rewrite the terminal) are shown escaped, never written raw.
    /// </summary>
    private sealed class Styled(TextWriter writer, bool ansi)
    {
        public const string Bold = "1";
        public const string Underline = "4";
        public const string Grey = "90";

        public Styled Text(string text, params string[] styles)
        {
            var safe = Sanitise(text);
            if (ansi && styles.Length > 0)
            {
                writer.Write($"\u001b[{string.Join(';', styles)}m{safe}\u001b[0m");
            }
            else
            {
                writer.Write(safe);
            }

            return this;
        }

        public void Line() => writer.Write('\n');

        private static string Sanitise(string text)
        {
            if (!text.Any(char.IsControl))
            {
                return text;
            }

            var sb = new System.Text.StringBuilder(text.Length + 8);
            foreach (var c in text)
            {
                sb.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c.ToString());
            }

            return sb.ToString();
        }
    }

    private void Render(Styled console, AnalysisRun run)
    {
        var shown = run.Findings.Where(f => _options.ShowSuppressed || !f.IsSuppressed).ToList();
        foreach (var group in shown.GroupBy(f => f.Location.Path ?? f.Location.ResourceId ?? f.Location.ModelElement ?? "(no location)")
                     .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            console.Text(group.Key, Styled.Bold, Styled.Underline).Line();
            foreach (var f in group.OrderBy(f => f.Location.Region?.StartLine ?? 0).ThenBy(f => f.Location.Region?.StartColumn ?? 0))
            {
                var where = f.Location.Region is { } r ? $"{r.StartLine}:{r.StartColumn}" : (f.Location.PropertyPath ?? string.Empty);
                var tags = new List<string>();
                if (f.IsSuppressed)
                {
                    tags.Add("suppressed");
                }

                if (f.BaselineState is not BaselineState.None)
                {
                    tags.Add(f.BaselineState.ToString().ToLowerInvariant());
                }

                console.Text($"  {where,-9} ").Text($"{f.Severity.ToToken(),-8}", Colour(f.Severity)).Text(" ")
                    .Text(f.RuleId, Styled.Bold).Text($" {f.Message}");
                if (tags.Count > 0)
                {
                    console.Text($" ({string.Join(", ", tags)})", Styled.Grey);
                }

                console.Line();
                if (f.Evidence is { } evidence)
                {
                    console.Text($"  {string.Empty,-9} ").Text($"evidence: {evidence}", Styled.Grey).Line();
                }

                if (f.Flow is { Count: > 0 } flow)
                {
                    console.Text($"  {string.Empty,-9} ").Text(DescribeFlow(flow), Styled.Grey).Line();
                }

                foreach (var key in new[] { "commit", "date" })
                {
                    if (f.Properties.TryGetValue(key, out var value))
                    {
                        console.Text($"  {string.Empty,-9} ").Text($"{key}: {value}", Styled.Grey).Line();
                    }
                }
            }

            console.Line();
        }

        foreach (var n in run.Notifications)
        {
            // A message that already starts with its file's name (file:line:col: ...) is not prefixed with it again.
            var where = n.Path is null || n.Message.StartsWith(n.Path, StringComparison.Ordinal) ? string.Empty : $"{n.Path}{(n.Region is null ? string.Empty : ":" + n.Region)}: ";
            console.Text($"{n.Level.ToString().ToLowerInvariant()}: {where}{n.Message}", Styled.Grey).Line();
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
            console.Text(line, Styled.Grey).Line();
        }

        foreach (var (key, value) in run.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            console.Text($"{key}: {value}", Styled.Grey).Line();
        }

        // The summary is a sentence of its own; the run's counters follow on their own line, so that piped output
        // never runs the two together ("No findings bytesScanned: ...").
        var stats = run.Statistics.Where(p => !CodeInventory.IsInventory(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:N0}")).ToList();
        if (stats.Count > 0)
        {
            console.Text($"Statistics: {string.Join(", ", stats)}", Styled.Grey).Line();
        }

        console.Text(summary + ".", Styled.Bold).Line();
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

    private static string[] Colour(Severity severity) => severity switch
    {
        Severity.Critical => ["31", Styled.Bold],
        Severity.High => ["31"],
        Severity.Medium => ["33"],
        Severity.Low => ["34"],
        _ => [Styled.Grey],
    };
}
