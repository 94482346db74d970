using System.Text.Json;

namespace SecureFuture.Testing;

/// <summary>
/// Microsoft's SARIF multitool (npm @microsoft/sarif-multitool, which test.sh installs from tools/sarif and names in
/// SFI_SARIF_MULTITOOL): validates a log with the SARIF rules and GitHub's ingestion rules.
/// </summary>
internal static class SarifMultitool
{
    /// <summary>Runs <c>sarif-multitool validate</c> and returns every result as "level RULE: message", and its output.</summary>
    public static (List<string> Problems, string Log) Validate(string sarifPath)
    {
        var output = sarifPath + ".validation.sarif";
        var (_, log) = ChildProcess.Run(
            Locate(),
            ["validate", sarifPath, "--output", output, "--log", "ForceOverwrite", "--rule-kind", "Sarif;Gh"],
            timeoutSeconds: 120);
        if (!File.Exists(output))
        {
            throw new InvalidOperationException("the multitool wrote no validation log:\n" + log);
        }

        using var validation = JsonDocument.Parse(File.ReadAllText(output));
        // SARIF §3.27.10: a result without "level" is a warning.
        var problems = validation.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(r => $"{(r.TryGetProperty("level", out var level) ? level.GetString() : "warning")} {r.GetProperty("ruleId").GetString()}: {r.GetProperty("message")}")
            .ToList();
        return (problems, log);
    }

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("SFI_SARIF_MULTITOOL");
        if (configured is not null && File.Exists(configured))
        {
            return configured;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            // The native binary, not the npm shim: the shim re-joins arguments through a shell, which splits "Sarif;Gh".
            var candidate = Path.Combine(directory.FullName, "tools", "sarif", "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("The SARIF multitool is not installed: run ./test.sh, which installs it from tools/sarif.");
    }
}
