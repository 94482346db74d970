using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>--output</c> replaces regular files atomically, writes through to devices, FIFOs and <c>-</c>, and refuses what
/// it cannot write with exit 2 naming the path (never exit 70, never a device replaced by a regular file).
/// </summary>
public sealed class OutputTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-output-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Arm => Path.Combine(CliRunner.RepoRoot(), "samples", "tenant", "arm");

    [RootFact]
    public async Task A_character_device_is_written_through_and_stays_a_device()
    {
        var device = Path.Combine(_dir, "null");
        SpecialFiles.CreateCharacterDevice(device, 1, 3); // the null device, as /dev/null
        foreach (var args in new[]
        {
            new[] { "baseline", "assess", Arm, "--format", "sarif", "--output", device },
            ["baseline", "remediate", Arm, "--output", device],
            ["scan", Arm, "--output", device],
        })
        {
            var (exit, stdout, stderr) = await CliRunner.RunAsync(args);
            Assert.True(exit == ExitCodes.Success, $"sfi {string.Join(' ', args)}: exit {exit}\n{stdout}{stderr}");
            Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(device));
        }

        Assert.Single(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public async Task A_fifo_is_written_through_to_its_reader()
    {
        var fifo = Path.Combine(_dir, "report.pipe");
        SpecialFiles.CreateFifo(fifo);
        var reader = Task.Run(() => File.ReadAllTextAsync(fifo));
        var (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", Arm, "--format", "json", "--output", fifo).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == ExitCodes.Success, stderr);
        using var report = JsonDocument.Parse(await reader.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(report.RootElement.GetProperty("results").GetArrayLength() > 0);
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
    }

    [Fact]
    public async Task A_dash_is_standard_output()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", Arm, "--format", "json", "--output", "-");
        Assert.True(exit == ExitCodes.Success, stderr);
        using var report = JsonDocument.Parse(stdout);
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "-")));

        // The remediation plan on standard output stays valid JSON: its summary goes to standard error.
        var (planExit, plan, _) = await CliRunner.RunAsync("baseline", "remediate", Arm, "--output", "-");
        Assert.Equal(ExitCodes.Success, planExit);
        using var parsed = JsonDocument.Parse(plan);
    }

    [Fact]
    public async Task A_directory_a_missing_directory_and_an_unwritable_place_are_exit_2_naming_the_path()
    {
        var missing = Path.Combine(_dir, "no-such-dir", "report.sarif");
        var cases = new[]
        {
            (Target: _dir, Expected: $"sfi: {_dir}: is a directory"),
            (Target: missing, Expected: $"sfi: {missing}: cannot write: the directory"),
            (Target: "/proc/sfi-report.sarif", Expected: "sfi: /proc/sfi-report.sarif: cannot write"),
        };
        foreach (var (target, expected) in cases)
        {
            foreach (var args in new[]
            {
                new[] { "baseline", "assess", Arm, "--output", target },
                ["scan", Arm, "--output", target],
                ["threatmodel", "diagram", Path.Combine(CliRunner.RepoRoot(), "test", "SecureFuture.ThreatModeling.Tests", "TestData", "Simple-Threat-Model_with_security_gateway.tm7"), "--output", target],
            })
            {
                var (exit, _, stderr) = await CliRunner.RunAsync(args);
                Assert.True(exit == ExitCodes.UsageError, $"sfi {string.Join(' ', args)}: exit {exit}\n{stderr}");
                Assert.Contains(expected, stderr, StringComparison.Ordinal);
            }
        }

        Assert.True(Directory.Exists(_dir));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public async Task A_symbolic_link_stays_a_link_and_its_target_gets_the_report()
    {
        var target = Path.Combine(_dir, "target.json");
        await File.WriteAllTextAsync(target, "previous");
        var link = Path.Combine(_dir, "lreg");
        File.CreateSymbolicLink(link, "target.json");
        foreach (var args in new[]
        {
            new[] { "baseline", "assess", Arm, "--format", "json", "--output", link },
            ["scan", Arm, "--format", "json", "--output", link],
        })
        {
            var (exit, _, stderr) = await CliRunner.RunAsync(args);
            Assert.True(exit == ExitCodes.Success, $"sfi {string.Join(' ', args)}: exit {exit}\n{stderr}");
            Assert.Equal("target.json", new FileInfo(link).LinkTarget);
            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(target));
        }

        Assert.Equal(2, Directory.GetFileSystemEntries(_dir).Length);
    }

    [Fact]
    public async Task A_write_error_is_exit_2_naming_the_output()
    {
        if (!File.Exists("/dev/full"))
        {
            return;
        }

        foreach (var args in new[]
        {
            new[] { "baseline", "assess", Arm, "--output", "/dev/full" },
            ["scan", Arm, "--output", "/dev/full"],
        })
        {
            var (exit, _, stderr) = await CliRunner.RunAsync(args);
            Assert.True(exit == ExitCodes.UsageError, $"sfi {string.Join(' ', args)}: exit {exit}\n{stderr}");
            Assert.Contains("sfi: /dev/full: cannot write", stderr, StringComparison.Ordinal);
        }
    }

    [Trait("Category", "Integration")]
    [Fact]
    public void Dev_stdout_is_written_through_to_the_redirected_file_and_stays_a_link()
    {
        if (!OperatingSystem.IsLinux() || new FileInfo("/dev/stdout").LinkTarget is null)
        {
            return;
        }

        // A real sfi process whose standard output the shell redirects to a file, as `sfi ... --output /dev/stdout > out`.
        var redirected = Path.Combine(_dir, "out.json");
        var (exit, output) = ChildProcess.Run("sh",
            ["-c", "out=$1; shift; exec dotnet \"$@\" > \"$out\"", "sh", redirected, typeof(CliApp).Assembly.Location,
             "baseline", "assess", Arm, "--format", "json", "--output", "/dev/stdout"]);
        Assert.True(new FileInfo("/dev/stdout").LinkTarget is not null, "/dev/stdout was replaced: restore it with ln -sf /proc/self/fd/1 /dev/stdout");
        Assert.True(exit == ExitCodes.Success, output);
        using var report = JsonDocument.Parse(File.ReadAllText(redirected));
        Assert.True(report.RootElement.GetProperty("results").GetArrayLength() > 0);
    }
}
