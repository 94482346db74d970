using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// The repository's <c>./sfi</c> launcher: which build it runs and how, for which command. It is run for real (bash)
/// in a copy of the repository's layout whose <c>dotnet</c> is a recording stand-in: a real native AOT build takes
/// 10-45 minutes on two cores, and what is tested here is the launcher's choice, not the builds (the AOT build's own
/// findings are compared in docs/benchmarks.md, "Native AOT"). The stand-in "builds" by writing the output the real
/// publish would (sfi.dll; an executable sfi for the AOT build, or exit 1 when FAKE_AOT_FAIL is set) and "runs" by
/// appending one line per run to a log: which build, its arguments and the DOTNET_TieredCompilation it was given.
/// </summary>
[Trait("Category", "Integration")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // ./sfi is a bash script for Linux
public sealed class LauncherTests : IDisposable
{
    private const string FakeDotnet = """
        #!/usr/bin/env bash
        out=; aot=; isa=; prev=
        for a in "$@"; do
          [ "$prev" = -o ] && out="$a"
          [ "$a" = -p:PublishAot=true ] && aot=1
          case "$a" in -p:IlcInstructionSet=*) isa=" ${a#-p:IlcInstructionSet=}" ;; esac
          prev="$a"
        done
        case "$1" in
          publish|build)
            echo "$1${aot:+ aot}$isa" >>"$FAKE_LOG"
            if [ -n "$aot" ]; then
              [ -z "${FAKE_AOT_FAIL:-}" ] || { echo "ILC: linker failed" >&2; exit 1; }
              mkdir -p "$out"
              printf '#!/bin/sh\necho "run aot $*" >>"$FAKE_LOG"\n' >"$out/sfi"
              chmod +x "$out/sfi"
            else
              mkdir -p "$out" && : >"$out/sfi.dll"
            fi ;;
          *) echo "run r2r $* TC=${DOTNET_TieredCompilation:-unset}" >>"$FAKE_LOG" ;;
        esac
        """;

    private readonly string _repo = Directory.CreateTempSubdirectory("sfi-launcher-").FullName;

    public LauncherTests()
    {
        File.Copy(Path.Combine(CliRunner.RepoRoot(), "sfi"), Path.Combine(_repo, "sfi"));
        foreach (var file in new[] { "src/SecureFuture.Cli/Program.cs", "rules/secrets/a.yaml", "guidance/a.md", "Directory.Build.props", "Directory.Packages.props", "global.json" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_repo, file))!);
            File.WriteAllText(Path.Combine(_repo, file), "x");
            File.SetLastWriteTimeUtc(Path.Combine(_repo, file), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        }

        Directory.CreateDirectory(Path.Combine(_repo, "fakebin"));
        foreach (var (name, text) in new[] { ("dotnet", FakeDotnet), ("clang", "#!/bin/sh\nexit 0\n") })
        {
            File.WriteAllText(Path.Combine(_repo, "fakebin", name), text.ReplaceLineEndings("\n") + "\n");
            File.SetUnixFileMode(Path.Combine(_repo, "fakebin", name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private string Log => Path.Combine(_repo, "calls.log");

    private string Aot => Path.Combine(_repo, ".sfi-build", "aot");

    public void Dispose()
    {
        // A background AOT "build" of the stand-in takes milliseconds; give any still writing a moment before deleting.
        WaitFor(() => !File.Exists(Path.Combine(Aot, "generation.building")));
        Directory.Delete(_repo, recursive: true);
    }

    private string Sfi(string[] arguments, string? aot = null, string? tieredCompilation = null, bool aotFails = false, string cpu = "fpu sse2 avx2")
    {
        var cpuinfo = Path.Combine(_repo, "cpuinfo-" + cpu.Replace(' ', '-'));
        File.WriteAllText(cpuinfo, $"processor\t: 0\nflags\t\t: {cpu}\n");
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = Path.Combine(_repo, "fakebin") + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["FAKE_LOG"] = Log,
            ["FAKE_AOT_FAIL"] = aotFails ? "1" : string.Empty,
            ["SFI_AOT"] = aot ?? string.Empty,
            ["DOTNET_TieredCompilation"] = tieredCompilation ?? string.Empty,
            ["SFI_CPUINFO"] = cpuinfo,
        };
        var (exit, output) = ChildProcess.Run("bash", [Path.Combine(_repo, "sfi"), .. arguments], environment);
        Assert.True(exit == 0, output);
        return output;
    }

    private string[] Runs() => File.ReadAllLines(Log).Where(l => l.StartsWith("run ", StringComparison.Ordinal)).ToArray();

    /// <summary>AOT builds so far; each must be for this machine's instruction sets.</summary>
    private int AotBuilds()
    {
        var builds = File.ReadAllLines(Log).Where(l => l.StartsWith("publish aot", StringComparison.Ordinal)).ToArray();
        Assert.All(builds, b => Assert.Equal("publish aot native", b));
        return builds.Length;
    }

    private static void WaitFor(Func<bool> condition)
    {
        for (var waited = 0; waited < 200 && !condition(); waited++)
        {
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void A_scan_runs_the_ReadyToRun_build_without_tiered_compilation_and_other_commands_keep_it()
    {
        Sfi(["scan", "."]);
        Sfi(["--version"]);
        Sfi(["baseline", "assess", "x"]);
        Sfi(["scan", "."], tieredCompilation: "1");

        var readyToRun = "run r2r " + Path.Combine(_repo, ".sfi-build", "bin", "sfi.dll");
        Assert.Equal([readyToRun + " scan . TC=0", readyToRun + " --version TC=unset"], Runs().Take(2).ToArray());
        Assert.EndsWith("baseline assess x TC=unset", Runs()[2], StringComparison.Ordinal);
        // The caller's own choice wins.
        Assert.EndsWith("scan . TC=1", Runs()[3], StringComparison.Ordinal);
        Assert.Equal(0, AotBuilds());
    }

    [Fact]
    public void With_SFI_AOT_a_scan_builds_the_aot_build_in_the_background_then_runs_it_until_the_sources_change()
    {
        var first = Sfi(["scan", "."], aot: "1");
        Assert.Contains("building the native AOT build in the background", first, StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs().Single(), StringComparison.Ordinal);
        WaitFor(() => File.Exists(Path.Combine(Aot, "generation")));

        Sfi(["scan", "src", "--analyzers", "secrets"], aot: "1");
        Assert.Equal("run aot scan src --analyzers secrets", Runs()[^1]);
        // Only scan runs the AOT build, and only when asked to.
        Sfi(["baseline", "assess", "x"], aot: "1");
        Sfi(["scan", "."]);
        Assert.StartsWith("run r2r ", Runs()[^2], StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);

        // A changed source makes the AOT build stale: never run, rebuilt in the background.
        File.WriteAllText(Path.Combine(_repo, "src", "SecureFuture.Cli", "New.cs"), "y");
        Sfi(["scan", "."], aot: "1");
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);
        WaitFor(() => AotBuilds() == 2 && !File.Exists(Path.Combine(Aot, "generation.building")));
        Sfi(["scan", "."], aot: "1");
        Assert.Equal("run aot scan .", Runs()[^1]);
        Assert.Equal(2, AotBuilds());
    }

    [Fact]
    public void A_failed_aot_build_falls_back_to_ReadyToRun_and_is_not_retried_for_the_same_sources()
    {
        Sfi(["scan", "."], aot: "1", aotFails: true);
        WaitFor(() => File.Exists(Path.Combine(Aot, "failed")));

        var second = Sfi(["scan", "."], aot: "1", aotFails: true);
        Assert.Contains("the native AOT build failed for these sources (log: ", second, StringComparison.Ordinal);
        Assert.Contains("ILC: linker failed", File.ReadAllText(Path.Combine(Aot, "build.log")), StringComparison.Ordinal);
        Assert.All(Runs(), run => Assert.StartsWith("run r2r ", run, StringComparison.Ordinal));
        Assert.Equal(1, AotBuilds());
        Assert.False(File.Exists(Path.Combine(Aot, "bin", "sfi")));

        // New sources are worth another try.
        File.WriteAllText(Path.Combine(_repo, "rules", "secrets", "b.yaml"), "y");
        Sfi(["scan", "."], aot: "1");
        WaitFor(() => File.Exists(Path.Combine(Aot, "generation")));
        Sfi(["scan", "."], aot: "1");
        Assert.Equal("run aot scan .", Runs()[^1]);
        Assert.Equal(2, AotBuilds());
    }

    [Fact]
    public void An_aot_build_made_for_another_cpu_is_never_run_and_one_for_this_cpu_is_made()
    {
        Sfi(["scan", "."], aot: "1", cpu: "fpu sse2 avx2");
        WaitFor(() => File.Exists(Path.Combine(Aot, "generation")));
        Sfi(["scan", "."], aot: "1", cpu: "fpu sse2 avx2");
        Assert.Equal("run aot scan .", Runs()[^1]);

        // The same checkout on a machine without AVX2: the build compiled for the first CPU could stop on an
        // instruction this one lacks, so the ReadyToRun build runs and an AOT build for this CPU is made.
        var other = Sfi(["scan", "."], aot: "1", cpu: "fpu sse2");
        Assert.Contains("building the native AOT build in the background", other, StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);
        WaitFor(() => AotBuilds() == 2 && !File.Exists(Path.Combine(Aot, "generation.building")));
        Sfi(["scan", "."], aot: "1", cpu: "fpu sse2");
        Assert.Equal("run aot scan .", Runs()[^1]);
    }
}
