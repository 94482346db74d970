namespace SecureFuture.WebConsole.Pages;

/// <summary>One bar: its label, its value (in the chart's unit), and the text shown beside it.</summary>
public sealed record Bar(string Label, double Value, string Text);

/// <summary>
/// A horizontal bar chart rendered on the server as SVG (no script, no library): the partial <c>_BarChart</c> draws it,
/// with a title and a text description for screen readers. Values are scaled to the largest bar.
/// </summary>
public sealed record BarChart(string Id, string Title, IReadOnlyList<Bar> Bars)
{
    public const int LabelWidth = 130;
    public const int BarArea = 360;
    public const int RowHeight = 22;

    public int Height => Math.Max(1, Bars.Count) * RowHeight + 8;

    public double Max => Bars.Count == 0 ? 1 : Math.Max(Bars.Max(b => b.Value), 1e-9);

    public double Width(Bar bar)
    {
        ArgumentNullException.ThrowIfNull(bar);
        return Math.Round(bar.Value <= 0 ? 0 : Math.Max(1, bar.Value / Max * BarArea), 1);
    }

    public string Description => Bars.Count == 0 ? "no data yet" : string.Join("; ", Bars.Select(b => $"{b.Label}: {b.Text}"));
}
