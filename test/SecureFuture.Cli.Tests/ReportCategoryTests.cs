using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>--category</c> of <c>sfi scan</c>, <c>sfi baseline assess</c> and <c>sfi threatmodel analyze</c>: it names the
/// analyses of the SARIF report (<c>automationDetails.id</c>) as well as of <c>--push</c>, so that a report uploaded later
/// to GitHub code scanning or with <c>sfi findings push</c> lands where the push would have; a value that would not be
/// that category, or one no report of the chosen format can carry, is refused (exit 2).
/// </summary>
public sealed class ReportCategoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-category-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sto01Template => Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.Baseline.Tests", "TestData", "STO-01", "fail.template.json");

    private static List<string?> AutomationIds(string sarif)
    {
        using var document = JsonDocument.Parse(sarif);
        return [.. document.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("automationDetails").GetProperty("id").GetString())];
    }

    [Fact]
    public async Task Category_without_push_names_the_runs_of_a_sarif_report_of_every_command_as_its_push_would()
    {
        // sfi scan and sfi baseline: the prefix of each run's category; sfi threatmodel: its category.
        var repo = Directory.CreateDirectory(Path.Combine(_dir, "repo")).FullName;
        CliRunner.WriteSecrets(repo);
        File.Copy(Sto01Template, Path.Combine(repo, "storage.json"));
        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", repo, "--analyzers", "secrets,iac", "--format", "sarif", "--category", "platform");
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Equal(["platform/secrets/", "platform/iac/"], AutomationIds(stdout));

        (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", Sto01Template, "--format", "sarif", "--category", "prod/eu");
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Equal(["prod/eu/iac/"], AutomationIds(stdout));

        var model = Path.Combine(_dir, "shop.yaml");
        await File.WriteAllTextAsync(model, ThreatModelCommandTests.Model);
        (exit, stdout, stderr) = await CliRunner.RunAsync("threatmodel", "analyze", model, "--format", "sarif", "--category", "design");
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Equal(["design/"], AutomationIds(stdout));
    }

    [Theory]
    [InlineData("scan", "json")]
    [InlineData("baseline", "json")]
    [InlineData("threatmodel", "json")]
    [InlineData("baseline", null)]
    [InlineData("threatmodel", "md")]
    public async Task Category_with_a_report_that_has_no_category_and_no_push_is_refused_not_ignored(string command, string? format)
    {
        // A category that silently did nothing would leave a user believing their results were filed under it.
        string[] formatArguments = format is null ? [] : ["--format", format];
        var (exit, _, stderr) = await CliRunner.RunAsync([.. Command(command), .. formatArguments, "--category", "prod"]);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains($"--category names the analyses of a SARIF report or of --push: give --format sarif or --push (the {format ?? "text"} report has no category)", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scan", "prod/", "'prod/' has an empty part")]
    [InlineData("baseline", "prod/", "'prod/' has an empty part")]
    [InlineData("threatmodel", "prod/", "'prod/' has an empty part")]
    [InlineData("baseline", "/prod", "'/prod' has an empty part")]
    [InlineData("baseline", "prod//eu", "'prod//eu' has an empty part")]
    [InlineData("baseline", " ", "' ' has an empty part")]
    [InlineData("baseline", "prod\u001b[31m", "--category: a category has no control characters")]
    [InlineData("baseline", "", "--category: an empty value is not allowed")]
    public async Task A_category_that_would_not_be_the_category_it_names_is_refused_with_or_without_push(string command, string category, string expected)
    {
        // "prod/" would be written "prod//", which GitHub files as category "prod/"; prefixed, "prod//iac/". Refused
        // before anything runs, whether the category names a report or a push.
        var (exit, stdout, stderr) = await CliRunner.RunAsync([.. Command(command), "--format", "sarif", "--category", category]);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
        (exit, _, stderr) = await CliRunner.RunAsync([.. Command(command), "--category", category, "--push", "--project", "shop", "--ref", "main", "--server", "http://127.0.0.1:9"]);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    private string[] Command(string command) => command switch
    {
        "scan" => ["scan", Sto01Template, "--analyzers", "iac"],
        "baseline" => ["baseline", "assess", Sto01Template],
        _ => ["threatmodel", "analyze", Path.Combine(_dir, "absent.yaml")],
    };
}
