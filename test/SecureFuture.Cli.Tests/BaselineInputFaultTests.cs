using System.Text;
using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// Inputs the baseline cannot read are refused with exit 2 and a position, never an internal error (exit 70) and never
/// a pass: nothing read is not a clean tenant, and a gate does not open over a file it could not read.
/// </summary>
public sealed class BaselineInputFaultTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-baseline-faults-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sample(params string[] parts) => Path.Combine([CliRunner.RepoRoot(), "samples", "tenant", .. parts]);

    /// <summary>One real sample per reader, and the start of a string value each reader decodes.</summary>
    public static TheoryData<string, string> DecodedStrings() => new()
    {
        { "arm/resources.json", "\"type\": \"Microsoft." },
        { "graph/applications.json", "\"displayName\": \"payroll" },
        { "scubagear/ProviderSettingsExport.json", "\"DisplayName\": \"Require" },
        { "templates/storage.json", "\"type\": \"Microsoft.Storage" },

        // Values no reader decodes at once (kept as compact JSON for the controls) were read as U+FFFD, silently.
        { "graph/users-guests.json", "\"lastSignInDateTime\": \"2026-05" },
        { "templates/storage.json", "\"minimumTlsVersion\": \"TLS1" },
        { "terraform/plan.json", "\"type\": \"azurerm_" },
    };

    [Theory]
    [MemberData(nameof(DecodedStrings))]
    public async Task Invalid_utf8_inside_a_string_is_exit_2_naming_file_line_and_column(string sample, string marker)
    {
        var bytes = await File.ReadAllBytesAsync(Sample(sample.Split('/')));
        var offset = IndexOf(bytes, marker) + marker.Length - 3; // inside the value, after its first characters
        bytes[offset] = 0xFF;
        var (line, column) = Position(bytes, offset);
        var file = Path.Combine(_dir, Path.GetFileName(sample));
        await File.WriteAllBytesAsync(file, bytes);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", file, "--fail-on", "low");
        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains($"{file}:{line}:{column}: invalid UTF-8", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);

        // Found while walking a directory, the file is refused by name and position; it was the only one, so nothing
        // was read and that is exit 2 as well.
        var (dirExit, _, dirErr) = await CliRunner.RunAsync("baseline", "assess", _dir);
        Assert.Equal(ExitCodes.UsageError, dirExit);
        Assert.Contains($"{Path.GetFileName(sample)}:{line}:{column}: invalid UTF-8", dirErr, StringComparison.Ordinal);
        Assert.Contains("nothing to assess", dirErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_saved_assessment_is_exit_2_for_diff()
    {
        var saved = Path.Combine(_dir, "saved.json.out");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", Sample("arm"), "--format", "json", "--output", saved)).Exit);
        var bytes = await File.ReadAllBytesAsync(saved);
        var offset = IndexOf(bytes, "\"evidence\": \"") + 14;
        bytes[offset] = 0xC3; // the first byte of a two-byte sequence, followed by ASCII
        await File.WriteAllBytesAsync(saved, bytes);
        var (line, column) = Position(bytes, offset);

        var (exit, _, stderr) = await CliRunner.RunAsync("baseline", "diff", saved, Sample("arm"), "--fail-on-regression");
        Assert.True(exit == ExitCodes.UsageError, stderr);
        Assert.Contains($"{saved}:{line}:{column}: invalid UTF-8", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seeded_single_byte_mutations_of_the_samples_never_end_in_an_internal_error()
    {
        // A deterministic stand-in for the black-box fuzz that found the crash (3 of 200 mutated inputs ended in exit
        // 70): half the mutations write a byte that is never valid alone in UTF-8, half any byte at all.
        string[] samples =
        [
            "arm/resources.json", "arm/resource-graph-diagnostics.json", "graph/applications.json", "graph/conditionalAccessPolicies.json",
            "scubagear/ProviderSettingsExport.json", "templates/storage.json", "terraform/plan.json",
        ];
        var originals = samples.Select(s => File.ReadAllBytes(Sample(s.Split('/')))).ToArray();
        var random = new Random(14);
        var outcomes = new Dictionary<int, int>();
        var invalidUtf8Reported = 0;
        for (var i = 0; i < 200; i++)
        {
            var which = i % samples.Length;
            var bytes = (byte[])originals[which].Clone();
            var offset = random.Next(bytes.Length);
            bytes[offset] = i % 2 == 0 ? (byte)random.Next(0x80, 0x100) : (byte)random.Next(0x100);
            var file = Path.Combine(_dir, $"mutant-{i:D3}-{Path.GetFileName(samples[which])}");
            await File.WriteAllBytesAsync(file, bytes);

            (int Exit, string Out, string Err) run;
            try
            {
                run = await CliRunner.RunAsync("baseline", "assess", file, "--format", "json", "--fail-on", "critical");
            }
#pragma warning disable CA1031 // Any escaping exception is the failure under test; report which mutation caused it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Assert.Fail($"{samples[which]} with byte 0x{bytes[offset]:X2} at offset {offset}: {e.GetType().Name}: {e.Message}");
                return;
            }

            Assert.True(run.Exit is ExitCodes.Success or ExitCodes.GateTripped or ExitCodes.UsageError,
                $"{samples[which]} with byte 0x{bytes[offset]:X2} at offset {offset}: exit {run.Exit}\n{run.Err}");
            if (run.Exit == ExitCodes.UsageError)
            {
                Assert.Contains(file, run.Err, StringComparison.Ordinal);
                invalidUtf8Reported += run.Err.Contains("invalid UTF-8", StringComparison.Ordinal) ? 1 : 0;
            }

            outcomes[run.Exit] = outcomes.GetValueOrDefault(run.Exit) + 1;
            File.Delete(file);
        }

        // The mutations reach the path they exist for: some land in a decoded string.
        Assert.True(invalidUtf8Reported > 0, "no mutation produced invalid UTF-8 in a decoded string: " + string.Join(", ", outcomes));
    }

    [Fact]
    public async Task An_empty_directory_is_exit_2_not_a_pass()
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", _dir, "--fail-on", "low");
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Empty(stdout);
        Assert.Contains($"{_dir}: nothing to assess: no .json export found", stderr, StringComparison.Ordinal);

        // Without a gate too, and for every command that assesses: a report of nothing would read as a clean tenant.
        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("baseline", "assess", _dir, "--format", "json")).Exit);
        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("baseline", "remediate", _dir, "--output", Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-plan.json"))).Exit);
        Assert.False(File.Exists(Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-plan.json")));
        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("baseline", "diff", _dir, Sample("arm"))).Exit);
        Assert.Equal(ExitCodes.UsageError, (await CliRunner.RunAsync("baseline", "diff", Sample("arm"), _dir, "--fail-on-regression")).Exit);
    }

    [Fact]
    public async Task A_directory_of_malformed_files_is_exit_2_naming_each_refused_file()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "truncated.json"), "{ \"value\": [ { \"type\": \"Microsoft.Storage/storageAccounts\"");
        await File.WriteAllTextAsync(Path.Combine(_dir, "unrelated.json"), "{ \"colour\": \"blue\" }");
        var output = Path.Combine(_dir, "report.json.out");
        var (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", _dir, "--format", "json", "--output", output);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains("sfi: truncated.json:", stderr, StringComparison.Ordinal);
        Assert.Contains("sfi: unrelated.json:", stderr, StringComparison.Ordinal);
        Assert.Contains("all 2 file(s) were refused", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_partly_readable_directory_reports_the_refused_file_and_fails_a_gate()
    {
        // A valid export of a resource no control reads fails no control, so only the refused file can trip the gate.
        await File.WriteAllTextAsync(Path.Combine(_dir, "resources.json"), OneUnrelatedResource);
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", _dir, "--fail-on", "low")).Exit);

        await File.WriteAllTextAsync(Path.Combine(_dir, "broken.json"), "{ \"value\": [ { \"type\": ");
        var (gated, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", _dir, "--fail-on", "low");
        Assert.True(gated == ExitCodes.GateTripped, stdout + stderr);
        Assert.Contains("sfi: broken.json:", stderr, StringComparison.Ordinal);
        Assert.Contains("1 input file(s)", stdout, StringComparison.Ordinal);

        // Without a gate the run reports and succeeds; diff's gate fails over the refused file the same way.
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", _dir)).Exit);
        Assert.Equal(ExitCodes.GateTripped, (await CliRunner.RunAsync("baseline", "diff", Sample("arm"), _dir, "--fail-on-regression")).Exit);
    }

    [Fact]
    public async Task A_saved_assessment_keeps_its_refused_inputs_and_diff_reports_them_and_fails_its_gate_on_either_side()
    {
        var clean = Directory.CreateDirectory(Path.Combine(_dir, "clean")).FullName;
        var partial = Directory.CreateDirectory(Path.Combine(_dir, "partial")).FullName;
        await File.WriteAllTextAsync(Path.Combine(clean, "resources.json"), OneUnrelatedResource);
        await File.WriteAllTextAsync(Path.Combine(partial, "resources.json"), OneUnrelatedResource);
        await File.WriteAllTextAsync(Path.Combine(partial, "broken.json"), "{ \"value\": [ { \"type\": ");
        var cleanSaved = Path.Combine(_dir, "clean.assessment.json");
        var partialSaved = Path.Combine(_dir, "partial.assessment.json");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", clean, "--format", "json", "--output", cleanSaved)).Exit);
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "assess", partial, "--format", "json", "--output", partialSaved)).Exit);

        // Two clean sides: no change, the gate holds.
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("baseline", "diff", cleanSaved, cleanSaved, "--fail-on-regression")).Exit);

        // The refused file recorded in a saved assessment, on either side (or both), is reported and trips the gate:
        // the saved run assessed less than its results say, as the fresh run of the same directory does.
        foreach (var (old, current) in new[] { (cleanSaved, partialSaved), (partialSaved, cleanSaved), (partialSaved, partialSaved), (cleanSaved, partial) })
        {
            var (gated, gatedOut, gatedErr) = await CliRunner.RunAsync("baseline", "diff", old, current, "--fail-on-regression");
            Assert.True(gated == ExitCodes.GateTripped, $"{Path.GetFileName(old)} -> {Path.GetFileName(current)}: exit {gated}\n{gatedOut}{gatedErr}");

            var (exit, text, _) = await CliRunner.RunAsync("baseline", "diff", old, current);
            Assert.Equal(ExitCodes.Success, exit);
            Assert.Contains("Refused inputs (", text, StringComparison.Ordinal);
            Assert.Contains(": broken.json:", text, StringComparison.Ordinal);

            var (_, json, _) = await CliRunner.RunAsync("baseline", "diff", old, current, "--format", "json");
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var refused = document.RootElement.GetProperty("refusedInputs").EnumerateArray().ToList();
            Assert.NotEmpty(refused);
            Assert.All(refused, r => Assert.StartsWith("broken.json:", r.GetProperty("refused").GetString(), StringComparison.Ordinal));
            var sides = refused.Select(r => r.GetProperty("side").GetString()).ToHashSet();
            Assert.Equal(old != cleanSaved, sides.Contains("old"));
            Assert.Equal(current != cleanSaved, sides.Contains("new"));
        }
    }

    private const string OneUnrelatedResource =
        "{ \"value\": [ { \"id\": \"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Foo/bars/b\", \"type\": \"Microsoft.Foo/bars\", \"name\": \"b\" } ] }";

    public static TheoryData<string, string[]> DeviceInputs() => new()
    {
        { "/dev/zero", ["scan", ".", "--baseline", "/dev/zero"] }, // was exit 70 (OverflowException)
        { "/dev/zero", ["baseline", "assess", "{arm}", "--parameters", "/dev/zero"] },
        { "/dev/zero", ["baseline", "assess", "{arm}", "--config", "/dev/zero"] },
        { "/dev/zero", ["baseline", "assess", "{arm}", "--exceptions", "/dev/zero"] },
        { "/dev/null", ["baseline", "assess", "/dev/null"] },
        { "{dir}", ["baseline", "assess", "{arm}", "--parameters", "{dir}"] },
        { "{dir}", ["baseline", "assess", "{arm}", "--config", "{dir}"] },
        { "{dir}", ["scan", ".", "--baseline", "{dir}"] },
    };

    [Theory]
    [MemberData(nameof(DeviceInputs))]
    public async Task A_device_or_directory_given_as_an_input_file_is_exit_2_naming_it(string path, string[] args)
    {
        string Expand(string a) => a.Replace("{arm}", Sample("arm", "resources.json"), StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal);
        var (exit, _, stderr) = await CliRunner.RunAsync([.. args.Select(Expand)]).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stderr}");
        Assert.Contains($"sfi: {Expand(path)}: ", stderr, StringComparison.Ordinal);
        Assert.Contains(path == "{dir}" ? "is a directory, not a regular file" : "is a character device, not a regular file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_in_a_directory_is_refused_unopened_and_fails_a_gate()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "good.json"), OneUnrelatedResource);
        var fifo = Path.Combine(_dir, "p.json");
        SpecialFiles.CreateFifo(fifo);
        var report = Path.Combine(_dir, "report.json.out");

        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", _dir, "--fail-on", "low", "--format", "json", "--output", report)
            .WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(exit == ExitCodes.GateTripped, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains("sfi: p.json: is a FIFO, not a regular file", stderr, StringComparison.Ordinal);

        // The report lists the refused file among its inputs, with the reason, not only standard error.
        using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(report));
        var inputs = json.RootElement.GetProperty("inputs").EnumerateArray().ToList();
        Assert.Contains(inputs, i => i.GetProperty("path").GetString() == "good.json" && i.GetProperty("resources").GetInt32() + i.GetProperty("skipped").GetInt32() == 1);
        Assert.Contains(inputs, i => i.GetProperty("path").GetString() == "p.json" && i.GetProperty("refused").GetString()!.Contains("FIFO", StringComparison.Ordinal));

        // Named directly, the FIFO is refused as well.
        var (direct, _, directErr) = await CliRunner.RunAsync("baseline", "assess", fifo).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(ExitCodes.UsageError, direct);
        Assert.Contains($"sfi: {fifo}: is a FIFO, not a regular file", directErr, StringComparison.Ordinal);
    }

    [Trait("Category", "Integration")]
    [RootFact]
    public void An_unreadable_subdirectory_is_a_refused_input_that_fails_a_gate_not_a_crash()
    {
        // Root reads any directory, so the CLI runs as nobody in a child process.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(_dir, "good.json"), OneUnrelatedResource);
        var sub = Directory.CreateDirectory(Path.Combine(_dir, "sub")).FullName;
        File.WriteAllText(Path.Combine(sub, "hidden.json"), OneUnrelatedResource);
        File.SetUnixFileMode(sub, UnixFileMode.None);

        var (exit, output) = ChildProcess.Run("runuser", ["-u", "nobody", "--", "dotnet", typeof(CliApp).Assembly.Location, "baseline", "assess", _dir, "--fail-on", "critical"]);
        Assert.True(exit == ExitCodes.GateTripped, $"exit {exit}\n{output}");
        Assert.Contains("sfi: sub: cannot read directory", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        File.SetUnixFileMode(sub, (UnixFileMode)0b111_000_000);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{ \"value\": [] }")]
    public async Task A_file_with_no_resource_at_all_is_nothing_to_assess(string text)
    {
        var file = Path.Combine(_dir, "empty.json");
        await File.WriteAllTextAsync(file, text);
        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", file, "--fail-on", "low");
        Assert.True(exit == ExitCodes.UsageError, $"exit {exit}\n{stdout}{stderr}");
        Assert.Contains($"{file}: nothing to assess: no resource found in 1 file(s)", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
    }

    private static int IndexOf(byte[] bytes, string marker)
    {
        var index = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker));
        Assert.True(index >= 0, $"'{marker}' not found");
        return index;
    }

    /// <summary>1-based line and byte column, as sfi reports them.</summary>
    private static (int Line, int Column) Position(byte[] bytes, int offset)
    {
        var before = bytes.AsSpan(0, offset);
        var lastNewline = before.LastIndexOf((byte)'\n');
        return (before.Count((byte)'\n') + 1, offset - lastNewline);
    }
}
