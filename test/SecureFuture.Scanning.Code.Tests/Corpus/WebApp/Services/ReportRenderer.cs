using System.Diagnostics;

namespace WebApp.Services;

public sealed class ReportRenderer
{
    private static readonly HashSet<string> Templates = new(StringComparer.Ordinal) { "invoice", "statement", "packing-slip" };

    /// <summary>Second hop of the export flow (ReportsController.Export); the title reaches a shell command line.</summary>
    public Task<int> RenderAsync(string title, string template) =>
        RunAsync("wkhtmltopdf", $"--title \"{title}\" templates/{template}.html /tmp/report.pdf");

    private static async Task<int> RunAsync(string tool, string arguments)
    {
        using var process = Process.Start(tool, arguments); // VULN: command-injection
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public async Task<int> RenderSafelyAsync(string title, string template)
    {
        if (!Templates.Contains(template))
        {
            throw new ArgumentException("unknown template", nameof(template));
        }

        // Each argument is one argv entry: no shell, no splitting on spaces or quotes.
        var start = new ProcessStartInfo("wkhtmltopdf") { UseShellExecute = false };
        start.ArgumentList.Add("--title");
        start.ArgumentList.Add(title);
        start.ArgumentList.Add($"templates/{template}.html");
        start.ArgumentList.Add("/tmp/report.pdf");
        using var process = Process.Start(start)!; // SAFE: command-injection
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public static void Archive(string folder) =>
        Process.Start(new ProcessStartInfo("/bin/sh", "-c \"tar czf /tmp/archive.tgz reports/" + folder + "\"") { UseShellExecute = false }); // VULN: command-injection

    public static void ArchiveMonth(int year, int month) =>
        Process.Start(new ProcessStartInfo("/bin/sh", $"-c \"tar czf /tmp/archive.tgz reports/{year:D4}-{month:D2}\"") { UseShellExecute = false }); // SAFE: command-injection
}
