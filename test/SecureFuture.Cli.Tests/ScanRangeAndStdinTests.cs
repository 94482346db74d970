using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan --since-commit REV</c> and <c>--log-opts</c> (history ranges in CI) and <c>sfi scan -</c> (standard
/// input), through the real CLI and a real git repository.
/// </summary>
public sealed class ScanRangeAndStdinTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-range-").FullName;
    private readonly string _elsewhere = Directory.CreateTempSubdirectory("sfi-range-out-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_elsewhere, recursive: true);
    }

    /// <summary>An AWS secret access key made at run time: 40 random characters of its alphabet.</summary>
    private static string AwsSecretLine() =>
        "aws_secret_access_key = " + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40) + "\n";

    [Trait("Category", "Integration")]
    [Fact]
    public async Task SinceCommit_ScansOnlyTheCommitsAfterRev_NotRevItselfNorTheWorkingTree()
    {
        Git("init", "-q", "-b", "main");
        var secrets = CliRunner.WriteSecrets(_root);
        Git("add", "scripts/aws.sh");
        Git("commit", "-q", "-m", "scripts");
        var base_ = GitOutput("rev-parse", "HEAD");
        Git("add", "src/appsettings.json");
        Git("commit", "-q", "-m", "settings");
        var head = GitOutput("rev-parse", "HEAD");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--since-commit", base_, "--format", "json", "--fail-on", "high");

        Assert.True(exit == ExitCodes.GateTripped, $"exit {exit}\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        // The key committed in REV itself and the PEM key that was never committed are not in the range.
        Assert.Equal("src/appsettings.json", finding.GetProperty("path").GetString());
        Assert.Equal(head, finding.GetProperty("properties").GetProperty("commit").GetString());
        Assert.DoesNotContain(secrets["storageKey"], stdout, StringComparison.Ordinal);

        // Nothing after HEAD: a clean range passes the gate.
        var (clean, _, _) = await CliRunner.RunAsync("scan", _root, "--since-commit", "HEAD", "--fail-on", "low");
        Assert.Equal(ExitCodes.Success, clean);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task SinceCommit_AnUnknownRevisionOrAnOptionInDisguise_IsExit2WithGitsMessage()
    {
        Git("init", "-q", "-b", "main");
        CliRunner.WriteSecrets(_root);
        Git("add", ".");
        Git("commit", "-q", "-m", "all");
        var written = Path.Combine(_elsewhere, "written.txt");

        var (unknown, _, unknownErr) = await CliRunner.RunAsync("scan", _root, "--since-commit", "no-such-branch", "--fail-on", "low");
        // A revision that git would otherwise read as an option is only ever a revision (--end-of-options).
        var (disguised, _, disguisedErr) = await CliRunner.RunAsync("scan", _root, "--since-commit=--output=" + written, "--fail-on", "low");

        Assert.True(unknown == ExitCodes.UsageError, $"exit {unknown}\n{unknownErr}");
        Assert.Contains("--since-commit: git refused: fatal: bad revision 'no-such-branch..HEAD'", unknownErr, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", unknownErr, StringComparison.Ordinal);
        Assert.True(disguised == ExitCodes.UsageError, $"exit {disguised}\n{disguisedErr}");
        Assert.Contains("bad revision", disguisedErr, StringComparison.Ordinal);
        Assert.False(File.Exists(written), "git wrote a file named by --since-commit");

        // Without '=', a value that is one of sfi's own options is read as that option: a usage error, never a crash.
        var (spaced, _, spacedErr) = await CliRunner.RunAsync("scan", _root, "--since-commit", "--output=" + written);
        Assert.True(spaced == ExitCodes.UsageError, $"exit {spaced}\n{spacedErr}");
        Assert.False(File.Exists(written));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task LogOpts_ChoosesTheCommitsAndPaths_AndReplacesAll()
    {
        Git("init", "-q", "-b", "main");
        var secrets = CliRunner.WriteSecrets(_root);
        Git("add", ".");
        Git("commit", "-q", "-m", "all");
        Git("checkout", "-q", "-b", "feature");
        File.WriteAllText(Path.Combine(_root, "feature.cfg"), AwsSecretLine());
        Git("add", "feature.cfg");
        Git("commit", "-q", "-m", "feature");
        Git("checkout", "-q", "main");

        // A path after --: only what the commits on HEAD added under scripts/.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--log-opts=--no-merges -- 'scripts'", "--format", "json");
        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{stderr}");
        using (var json = JsonDocument.Parse(stdout))
        {
            var paths = json.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("path").GetString()).Distinct().ToList();
            Assert.Equal(["scripts/aws.sh"], paths);
        }

        // No revision in --log-opts: HEAD only, as git log; naming the branch (or --all) reaches it.
        var (_, headOnly, _) = await CliRunner.RunAsync("scan", _root, "--log-opts=--since=2000-01-01", "--format", "json");
        var (_, withBranch, _) = await CliRunner.RunAsync("scan", _root, "--log-opts", "main feature", "--format", "json");
        var (_, all, _) = await CliRunner.RunAsync("scan", _root, "--log-opts=--all", "--format", "json");
        Assert.DoesNotContain("feature.cfg", headOnly, StringComparison.Ordinal);
        Assert.Contains("\"feature.cfg\"", withBranch, StringComparison.Ordinal);
        Assert.Contains("\"feature.cfg\"", all, StringComparison.Ordinal);
        Assert.DoesNotContain(secrets["accessKeyId"], all, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Theory]
    [InlineData("--format=%H", "--format")]
    [InlineData("--pretty oneline", "--pretty")]
    [InlineData("--output=OUT", "--output")]
    [InlineData("--ext-diff", "--ext-diff")]
    [InlineData("--textconv", "--textconv")]
    [InlineData("-p", "-p")]
    [InlineData("--patch-with-stat", "--patch-with-stat")]
    [InlineData("--stat", "--stat")]
    [InlineData("--name-only", "--name-only")]
    [InlineData("-U5", "-U5")]
    [InlineData("--word-diff", "--word-diff")]
    [InlineData("--color=always", "--color")]
    [InlineData("-c", "-c")]
    [InlineData("--all \"--output=OUT\"", "--output")]
    public async Task LogOpts_AnOptionThatChangesTheOutputOrRunsAProgram_IsRefusedBeforeGitRuns(string logOpts, string named)
    {
        Git("init", "-q", "-b", "main");
        CliRunner.WriteSecrets(_root);
        Git("add", ".");
        Git("commit", "-q", "-m", "all");
        var written = Path.Combine(_elsewhere, "out.txt");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("scan", _root, "--log-opts=" + logOpts.Replace("OUT", written, StringComparison.Ordinal), "--fail-on", "low");

        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stderr}");
        Assert.Empty(stdout);
        Assert.Contains($"--log-opts: '{named}' is not allowed", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(written));
    }

    [Trait("Category", "Integration")]
    [Theory]
    [InlineData("--all 'unterminated", "unterminated ' quote")]
    [InlineData("--since", "--since needs a value")]
    public async Task LogOpts_ThatCannotBeSplitIsExit2(string logOpts, string message)
    {
        Git("init", "-q", "-b", "main");
        var (exit, _, stderr) = await CliRunner.RunAsync("scan", _root, "--log-opts=" + logOpts);
        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stderr}");
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task RangeOptions_DoNotCombineWithStagedOrStandardInput()
    {
        var (staged, _, stagedErr) = await CliRunner.RunAsync("scan", _root, "--staged", "--since-commit", "HEAD~1");
        var (stdin, _, stdinErr) = await CliRunner.RunWithInputAsync([], "scan", "-", "--log-opts=--all");
        var (name, _, nameErr) = await CliRunner.RunAsync("scan", _root, "--stdin-name", "x.env");

        Assert.Equal(ExitCodes.UsageError, staged);
        Assert.Contains("--since-commit and --staged cannot be combined", stagedErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, stdin);
        Assert.Contains("--log-opts reads a git repository, and - (standard input) is not one", stdinErr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, name);
        Assert.Contains("--stdin-name names standard input", nameErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandardInput_IsScannedAsOneFileNamedStdinOrStdinName()
    {
        var line = AwsSecretLine();
        var input = Encoding.UTF8.GetBytes("# deploy settings\n" + line);

        var (exit, stdout, stderr) = await CliRunner.RunWithInputAsync(input, "scan", "-", "--format", "json", "--fail-on", "high");
        var (_, named, _) = await CliRunner.RunWithInputAsync(input, "scan", "-", "--stdin-name", "deploy/prod.env", "--format", "sarif");

        Assert.True(exit == ExitCodes.GateTripped, $"exit {exit}\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal("<stdin>", finding.GetProperty("path").GetString());
        Assert.Equal("SFI-SEC-041", finding.GetProperty("ruleId").GetString());
        Assert.Equal(2, finding.GetProperty("line").GetInt32());
        Assert.DoesNotContain(line.Split(" = ")[1].Trim(), stdout, StringComparison.Ordinal);
        using var sarif = JsonDocument.Parse(named);
        var uri = sarif.RootElement.GetProperty("runs")[0].GetProperty("results")[0].GetProperty("locations")[0]
            .GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString();
        Assert.Equal("deploy/prod.env", uri);
    }

    [Fact]
    public async Task StandardInput_NamedByStdinName_MeetsTheRulesOfThatFileFormat()
    {
        // A weak .pgpass password is a leak only in a .pgpass file: the name decides which rules see the text.
        var input = Encoding.UTF8.GetBytes("db.internal:5432:orders:app:" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 8) + "\n");

        var (_, named, _) = await CliRunner.RunWithInputAsync(input, "scan", "-", "--stdin-name", "home/ci/.pgpass", "--format", "json");
        var (_, unnamed, _) = await CliRunner.RunWithInputAsync(input, "scan", "-", "--format", "json");

        Assert.Contains("\"SFI-SEC-098\"", named, StringComparison.Ordinal);
        Assert.Contains("\"home/ci/.pgpass\"", named, StringComparison.Ordinal);
        Assert.DoesNotContain("SFI-SEC-098", unnamed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StandardInput_OverTheSizeLimitOrBinary_IsExit2WithAClearMessage()
    {
        var big = Encoding.UTF8.GetBytes(new string('a', 2048) + "\n" + AwsSecretLine());
        var binary = new byte[4096];
        RandomNumberGenerator.Fill(binary);
        binary[0] = 0;

        var (tooBig, tooBigOut, tooBigErr) = await CliRunner.RunWithInputAsync(big, "scan", "-", "--max-file-size", "1KB", "--fail-on", "low");
        var (bin, _, binErr) = await CliRunner.RunWithInputAsync(binary, "scan", "-", "--fail-on", "low");
        var (empty, _, emptyErr) = await CliRunner.RunWithInputAsync([], "scan", "-", "--fail-on", "low");

        Assert.True(tooBig == ExitCodes.UsageError, $"exit {tooBig}\n{tooBigErr}");
        Assert.Empty(tooBigOut);
        Assert.Contains("<stdin>: standard input is larger than the --max-file-size limit (1 KB)", tooBigErr, StringComparison.Ordinal);
        Assert.True(bin == ExitCodes.UsageError, $"exit {bin}\n{binErr}");
        Assert.Contains("standard input is not text", binErr, StringComparison.Ordinal);
        Assert.True(empty == ExitCodes.Success, emptyErr);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public void StandardInput_OfARealProcess_IsRead()
    {
        var file = Path.Combine(_elsewhere, "in.txt");
        File.WriteAllText(file, AwsSecretLine());

        var (exit, output) = ChildProcess.Run("sh",
            ["-c", "in=$1; shift; exec dotnet \"$@\" < \"$in\"", "sh", file, typeof(CliApp).Assembly.Location,
             "scan", "-", "--stdin-name", "ci.env", "--format", "json", "--fail-on", "critical"]);

        Assert.True(exit == ExitCodes.GateTripped, output);
        Assert.Contains("\"path\": \"ci.env\"", output, StringComparison.Ordinal);
    }

    private void Git(params string[] args) => GitOutput(args);

    private string GitOutput(params string[] args)
    {
        var (exit, output) = ChildProcess.Run("git", ["-C", _root, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", .. args]);
        Assert.True(exit == 0, output);
        return output.Trim();
    }
}
