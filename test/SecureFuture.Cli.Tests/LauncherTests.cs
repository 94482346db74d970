using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// The repository's <c>./sfi</c> launcher: which build it runs and how, for which command. It is run for real (bash)
/// in a copy of the repository's layout whose <c>dotnet</c> is a recording stand-in: a real native AOT build takes
/// 5-45 minutes on two cores, and what is tested here is the launcher's choice, not the builds (./test.sh builds both
/// for real and compares their reports: tools/aot-parity.sh). The stand-in "builds" by writing the output the real
/// publish would (sfi.dll; an executable sfi for the AOT build, or exit 1 when FAKE_AOT_FAIL is set; FAKE_AOT_SECONDS
/// makes the AOT build take that long after writing its executable, talking on its stdout and stderr meanwhile) and
/// "runs" by appending one line per run to a log: which build, its arguments and the DOTNET_TieredCompilation it was
/// given; the ReadyToRun build also logs the server's runtime settings it was given and writes a report line on
/// standard output. The PATH holds the stand-ins and links to the system tools the launcher uses, so a test can take
/// clang (or zlib) away.
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
              stat="$(cat /proc/$$/stat)"; set -- ${stat##*) }; echo "session $4" >>"$FAKE_LOG"
              [ -z "${FAKE_AOT_FAIL:-}" ] || { echo "ILC: linker failed" >&2; exit 1; }
              mkdir -p "$out"
              printf '#!/bin/sh\necho "run aot $*" >>"$FAKE_LOG"\n' >"$out/sfi"
              chmod +x "$out/sfi"
              for i in $(seq 1 "${FAKE_AOT_SECONDS:-0}"); do echo "ILC: compiling ($i)"; echo "ILC: warning ($i)" >&2; sleep 1; done
            else
              mkdir -p "$out" && : >"$out/sfi.dll"
            fi ;;
          *) echo "run r2r $* TC=${DOTNET_TieredCompilation:-unset}" >>"$FAKE_LOG"
             echo "runtime QuickJit=${DOTNET_TC_QuickJit:-unset} QuickJitForLoops=${DOTNET_TC_QuickJitForLoops:-unset} HillClimbingOff=${DOTNET_HillClimbing_Disable:-unset} SpinLimit=${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-unset}" >>"$FAKE_LOG"
             echo "report of ${*:2}" ;;
        esac
        """;

    private const string FakeClang = """
        #!/bin/sh
        # clang -print-file-name=libz.so prints the bare name when it finds no zlib to link with.
        case "$1" in -print-file-name=libz.so) if [ -n "${FAKE_NO_ZLIB:-}" ]; then echo libz.so; else echo /usr/lib/libz.so; fi ;; esac
        """;

    /// <summary>The system tools the launcher and the stand-ins use (clang is not one: a test decides whether it is there).</summary>
    private static readonly string[] SystemTools =
        ["bash", "sh", "cat", "chmod", "cmp", "cut", "date", "dirname", "find", "flock", "grep", "id", "mkdir", "mv", "nice", "printf", "rm", "seq", "setsid", "sha256sum", "sleep", "sort", "tail", "touch", "uname"];

    private readonly string _repo = Directory.CreateTempSubdirectory("sfi-launcher-").FullName;

    private readonly Lock _inputs = new();

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
        foreach (var (name, text) in new[] { ("dotnet", FakeDotnet), ("clang", FakeClang) })
        {
            WriteScript(Path.Combine(_repo, "fakebin", name), text);
        }

        Directory.CreateDirectory(Path.Combine(_repo, "sysbin"));
        var path = Environment.GetEnvironmentVariable("PATH")!.Split(':');
        foreach (var tool in SystemTools)
        {
            var found = path.Select(d => Path.Combine(d, tool)).First(File.Exists);
            File.CreateSymbolicLink(Path.Combine(_repo, "sysbin", tool), found);
        }
    }

    private string Log => Path.Combine(_repo, "calls.log");

    private string Aot => Path.Combine(_repo, ".sfi-build", "aot");

    private bool AotBuildUnderWay => File.Exists(Path.Combine(Aot, "generation.building"));

    public void Dispose()
    {
        // A background AOT "build" of the stand-in takes milliseconds (or FAKE_AOT_SECONDS); let it end before deleting.
        WaitFor(() => !AotBuildUnderWay);
        Directory.Delete(_repo, recursive: true);
    }

    private static void WriteScript(string path, string text)
    {
        File.WriteAllText(path, text.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private sealed record Launch(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs ./sfi with <paramref name="aot"/> as SFI_AOT (null: unset, the default) and the stand-ins.</summary>
    private Launch Run(string[] arguments, string? aot = null, string? tieredCompilation = null, bool aotFails = false, string cpu = "fpu sse2 avx2", string? ci = null, bool noZlib = false, int aotSeconds = 0, int memoryGiB = 16, string? tfBuild = null, IReadOnlyDictionary<string, string>? runtime = null)
    {
        var meminfo = Path.Combine(_repo, $"meminfo-{memoryGiB}");
        var cpuinfo = Path.Combine(_repo, "cpuinfo-" + cpu.Replace(' ', '-'));
        lock (_inputs) // scans run at once share them
        {
            File.WriteAllText(meminfo, $"MemTotal:       {memoryGiB * 1024 * 1024} kB\nMemFree:         1024 kB\n");
            File.WriteAllText(cpuinfo, $"processor\t: 0\nflags\t\t: {cpu}\n");
        }

        var stderr = Path.Combine(_repo, "stderr-" + Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = Path.Combine(_repo, "fakebin") + ":" + Path.Combine(_repo, "sysbin"),
            ["FAKE_LOG"] = Log,
            ["FAKE_AOT_FAIL"] = aotFails ? "1" : string.Empty,
            ["FAKE_NO_ZLIB"] = noZlib ? "1" : string.Empty,
            ["FAKE_AOT_SECONDS"] = aotSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DOTNET_TieredCompilation"] = tieredCompilation ?? string.Empty,
            ["SFI_CPUINFO"] = cpuinfo,
            ["SFI_MEMINFO"] = meminfo,
            ["CI"] = ci ?? string.Empty, // the test run's own CI variables must not decide
            ["TF_BUILD"] = tfBuild ?? string.Empty,
            ["SFI_STDERR"] = stderr,
            ["DOTNET_TC_QuickJit"] = string.Empty, // nor the test run's own runtime settings, unless a test gives them
            ["DOTNET_TC_QuickJitForLoops"] = string.Empty,
            ["DOTNET_HillClimbing_Disable"] = string.Empty,
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = string.Empty,
        };
        foreach (var (name, value) in runtime ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        var script = aot is null ? "unset SFI_AOT; exec bash \"$0\" \"$@\" 2>\"$SFI_STDERR\"" : "exec bash \"$0\" \"$@\" 2>\"$SFI_STDERR\"";
        if (aot is not null)
        {
            environment["SFI_AOT"] = aot;
        }

        var (exit, output) = ChildProcess.Run("/bin/bash", ["-c", script, Path.Combine(_repo, "sfi"), .. arguments], environment);
        return new Launch(exit, output, File.ReadAllText(stderr));
    }

    /// <summary>Runs ./sfi (see <see cref="Run"/>), which must exit 0; returns its standard error.</summary>
    private string Sfi(string[] arguments, string? aot = null, string? tieredCompilation = null, bool aotFails = false, string cpu = "fpu sse2 avx2", string? ci = null, bool noZlib = false, int aotSeconds = 0, int memoryGiB = 16)
    {
        var launch = Run(arguments, aot, tieredCompilation, aotFails, cpu, ci, noZlib, aotSeconds, memoryGiB);
        Assert.True(launch.ExitCode == 0, launch.Stdout + launch.Stderr);
        return launch.Stderr;
    }

    private void RemoveClang() => File.Delete(Path.Combine(_repo, "fakebin", "clang"));

    private string[] Runs() => File.Exists(Log) ? File.ReadAllLines(Log).Where(l => l.StartsWith("run ", StringComparison.Ordinal)).ToArray() : [];

    /// <summary>AOT builds so far; each must be for this machine's instruction sets.</summary>
    private int AotBuilds()
    {
        var builds = File.Exists(Log) ? File.ReadAllLines(Log).Where(l => l.StartsWith("publish aot", StringComparison.Ordinal)).ToArray() : [];
        Assert.All(builds, b => Assert.Equal("publish aot native", b));
        return builds.Length;
    }

    private static void WaitFor(Func<bool> condition)
    {
        for (var waited = 0; waited < 600 && !condition(); waited++)
        {
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits until the background AOT build has made its executable and put its key in place.</summary>
    private void WaitForAotBuild(int builds)
        => WaitFor(() => AotBuilds() >= builds && !AotBuildUnderWay && (File.Exists(Path.Combine(Aot, "generation")) || File.Exists(Path.Combine(Aot, "failed"))));

    [Fact]
    public void A_scan_runs_the_ReadyToRun_build_without_tiered_compilation_and_other_commands_keep_it()
    {
        Assert.Equal(string.Empty, Sfi(["scan", "."], aot: "0"));
        Sfi(["--version"]);
        Sfi(["baseline", "assess", "x"]);
        Sfi(["scan", "."], aot: "0", tieredCompilation: "1");

        var readyToRun = "run r2r " + Path.Combine(_repo, ".sfi-build", "bin", "sfi.dll");
        Assert.Equal([readyToRun + " scan . TC=0", readyToRun + " --version TC=unset"], Runs().Take(2).ToArray());
        Assert.EndsWith("baseline assess x TC=unset", Runs()[2], StringComparison.Ordinal);
        // The caller's own choice wins.
        Assert.EndsWith("scan . TC=1", Runs()[3], StringComparison.Ordinal);
        Assert.Equal(0, AotBuilds());
    }

    [Fact]
    public void Serve_alone_runs_with_the_servers_runtime_settings_and_the_callers_own_values_win()
    {
        // Quick first compilations give dynamic PGO its profile; the thread pool keeps a worker per CPU, whose idle
        // workers block instead of spinning (docs/deploy.md). The batch commands keep the runtimeconfig's and the
        // runtime's defaults.
        Sfi(["serve", "--data-dir", "d"]);
        Sfi(["scan", "."], aot: "0");
        Sfi(["baseline", "assess", "x"]);
        Assert.True(Run(["serve"], runtime: new Dictionary<string, string> { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "70", ["DOTNET_HillClimbing_Disable"] = "0", ["DOTNET_TC_QuickJit"] = "0" }).ExitCode == 0);

        var settings = File.ReadAllLines(Log).Where(l => l.StartsWith("runtime ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
            [
                "runtime QuickJit=1 QuickJitForLoops=1 HillClimbingOff=1 SpinLimit=0",
                "runtime QuickJit=unset QuickJitForLoops=unset HillClimbingOff=unset SpinLimit=unset",
                "runtime QuickJit=unset QuickJitForLoops=unset HillClimbingOff=unset SpinLimit=unset",
                "runtime QuickJit=0 QuickJitForLoops=1 HillClimbingOff=0 SpinLimit=70",
            ],
            settings);
        Assert.EndsWith("serve --data-dir d TC=unset", Runs()[0], StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_a_scan_builds_the_aot_build_in_the_background_then_runs_it_until_the_sources_change()
    {
        var first = Sfi(["scan", "."]);
        Assert.Contains("building the native AOT build of sfi scan in the background", first, StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs().Single(), StringComparison.Ordinal);
        WaitForAotBuild(1);

        Assert.Equal(string.Empty, Sfi(["scan", "src", "--analyzers", "secrets"]));
        Assert.Equal("run aot scan src --analyzers secrets", Runs()[^1]);
        // Only scan runs the AOT build; SFI_AOT=0 opts out; SFI_AOT=1 runs it as the default does.
        Sfi(["baseline", "assess", "x"]);
        Sfi(["scan", "."], aot: "0");
        Assert.StartsWith("run r2r ", Runs()[^2], StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);
        Sfi(["scan", "."], aot: "1");
        Assert.Equal("run aot scan .", Runs()[^1]);

        // A changed source makes the AOT build stale: never run, rebuilt in the background.
        File.WriteAllText(Path.Combine(_repo, "src", "SecureFuture.Cli", "New.cs"), "y");
        Sfi(["scan", "."]);
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);
        WaitForAotBuild(2);
        Sfi(["scan", "."]);
        Assert.Equal("run aot scan .", Runs()[^1]);
        Assert.Equal(2, AotBuilds());
    }

    [Fact]
    public void With_SFI_AOT_0_a_scan_never_starts_the_aot_build()
    {
        Sfi(["scan", "."], aot: "0");
        Sfi(["scan", "."], aot: "0");
        Thread.Sleep(500); // a background build, had one been started, would have logged by now
        Assert.Equal(0, AotBuilds());
        Assert.False(Directory.Exists(Aot));
    }

    [Fact]
    public void The_background_build_is_detached_from_the_scan_its_output_and_its_terminal_and_no_half_made_build_runs()
    {
        var first = Run(["scan", "."], aotSeconds: 6);
        // The scan did not wait for the build (which takes 6 s), and nothing the build printed reached its output.
        Assert.False(File.Exists(Path.Combine(Aot, "generation")), "the scan returned only after the build");
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("report of scan .\n", first.Stdout);
        Assert.DoesNotContain("ILC", first.Stderr, StringComparison.Ordinal);

        // Meanwhile: the new executable is written, but until the build ends and its key is in place scans run the
        // ReadyToRun build, and start no second build (one at a time).
        WaitFor(() => File.Exists(Path.Combine(Aot, "bin.new", "sfi")));
        Assert.True(AotBuildUnderWay);
        Assert.Equal(string.Empty, Sfi(["scan", "a"]));
        Assert.Contains("under way", Sfi(["scan", "b"], aot: "1"), StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs()[^2], StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);

        WaitForAotBuild(1);
        Sfi(["scan", "c"]);
        Assert.Equal("run aot scan c", Runs()[^1]);
        Assert.Equal(1, AotBuilds());
        Assert.Contains("ILC: compiling (6)", File.ReadAllText(Path.Combine(Aot, "build.log")), StringComparison.Ordinal);
        // It ran in a session of its own: no controlling terminal, so ^C and a closed terminal do not reach it.
        var session = File.ReadAllLines(Log).Single(l => l.StartsWith("session ", StringComparison.Ordinal));
        Assert.NotEqual("session " + OwnSession(), session);
    }

    [Fact]
    public async Task Scans_started_together_start_one_aot_build()
    {
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Sfi(["scan", "."], aotSeconds: 1))));
        WaitForAotBuild(1);
        Thread.Sleep(500);
        Assert.Equal(1, AotBuilds());
        Assert.Equal(4, Runs().Length);
    }

    [Fact]
    public void A_failed_aot_build_falls_back_to_ReadyToRun_says_so_once_and_is_not_retried_for_the_same_sources()
    {
        Sfi(["scan", "."], aotFails: true);
        WaitForAotBuild(1);

        var second = Sfi(["scan", "."], aotFails: true);
        Assert.Contains("the native AOT build failed for these sources (log: ", second, StringComparison.Ordinal);
        Assert.Equal(string.Empty, Sfi(["scan", "."], aotFails: true));
        // Asked for, it says so every time.
        Assert.Contains("the native AOT build failed", Sfi(["scan", "."], aot: "1", aotFails: true), StringComparison.Ordinal);
        Assert.Contains("ILC: linker failed", File.ReadAllText(Path.Combine(Aot, "build.log")), StringComparison.Ordinal);
        Assert.All(Runs(), run => Assert.StartsWith("run r2r ", run, StringComparison.Ordinal));
        Assert.Equal(1, AotBuilds());
        Assert.False(File.Exists(Path.Combine(Aot, "bin", "sfi")));

        // New sources are worth another try.
        File.WriteAllText(Path.Combine(_repo, "rules", "secrets", "b.yaml"), "y");
        Sfi(["scan", "."]);
        WaitForAotBuild(2);
        Sfi(["scan", "."]);
        Assert.Equal("run aot scan .", Runs()[^1]);
        Assert.Equal(2, AotBuilds());
    }

    [Fact]
    public void Without_clang_a_scan_says_once_what_to_install_and_its_output_and_exit_code_are_unchanged()
    {
        RemoveClang();
        var first = Run(["scan", "."]);
        Assert.Equal((0, "report of scan .\n"), (first.ExitCode, first.Stdout));
        Assert.Contains("needs clang and zlib1g-dev (Debian/Ubuntu: sudo apt-get install clang zlib1g-dev)", first.Stderr, StringComparison.Ordinal);
        Assert.Single(first.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var second = Run(["scan", "."]);
        Assert.Equal(new Launch(0, "report of scan .\n", string.Empty), second);
        // SFI_AOT=1 wants it: it says what is missing every time.
        Assert.Contains("needs clang and zlib1g-dev", Sfi(["scan", "."], aot: "1"), StringComparison.Ordinal);
        Assert.Equal(0, AotBuilds());

        // clang without zlib's link library: that is said, once.
        WriteScript(Path.Combine(_repo, "fakebin", "clang"), FakeClang);
        Assert.Contains("needs zlib1g-dev (Debian/Ubuntu: sudo apt-get install zlib1g-dev)", Sfi(["scan", "."], noZlib: true), StringComparison.Ordinal);
        Assert.Equal(string.Empty, Sfi(["scan", "."], noZlib: true));
        Assert.Equal(0, AotBuilds());
        Assert.All(Runs(), run => Assert.StartsWith("run r2r ", run, StringComparison.Ordinal));
    }

    [Fact]
    public void On_a_machine_with_too_little_memory_the_default_builds_nothing_and_says_why_once()
    {
        Assert.Contains("needs 6 GiB of memory (this machine has 4 GiB)", Sfi(["scan", "."], memoryGiB: 4), StringComparison.Ordinal);
        Assert.Equal(string.Empty, Sfi(["scan", "."], memoryGiB: 4));
        Thread.Sleep(500);
        Assert.Equal(0, AotBuilds());
        // Asked for now, it is tried all the same.
        Sfi(["scan", "."], aot: "wait", memoryGiB: 4);
        Assert.Equal("run aot scan .", Runs()[^1]);
    }

    [Fact]
    public void In_CI_the_default_starts_no_aot_build_but_SFI_AOT_1_does()
    {
        Assert.Equal(string.Empty, Sfi(["scan", "."], ci: "true"));
        Assert.Equal(string.Empty, Run(["scan", "."], tfBuild: "True").Stderr); // Azure Pipelines
        RemoveClang();
        Assert.Equal(string.Empty, Sfi(["scan", "."], ci: "true"));
        Thread.Sleep(500);
        Assert.Equal(0, AotBuilds());

        WriteScript(Path.Combine(_repo, "fakebin", "clang"), FakeClang);
        Sfi(["scan", "."], ci: "true", aot: "1");
        WaitForAotBuild(1);
        // A current build runs, CI or not.
        Sfi(["scan", "."], ci: "true");
        Assert.Equal("run aot scan .", Runs()[^1]);
    }

    [Fact]
    public void On_a_machine_that_is_not_x86_64_the_default_says_nothing_and_SFI_AOT_1_says_why()
    {
        WriteScript(Path.Combine(_repo, "fakebin", "uname"), "#!/bin/sh\necho aarch64\n");
        Assert.Equal(string.Empty, Sfi(["scan", "."]));
        Assert.Contains("needs an x86-64 machine (this one is aarch64)", Sfi(["scan", "."], aot: "1"), StringComparison.Ordinal);
        Assert.Equal(0, AotBuilds());
        Assert.All(Runs(), run => Assert.StartsWith("run r2r ", run, StringComparison.Ordinal));
    }

    [Fact]
    public void With_SFI_AOT_wait_a_scan_builds_it_in_the_foreground_and_runs_it_or_fails()
    {
        Assert.Equal(string.Empty, Sfi(["scan", "."], aot: "wait"));
        Assert.Equal("run aot scan .", Runs().Single());
        Assert.Equal(1, AotBuilds());
        Sfi(["scan", "."], aot: "wait");
        Assert.Equal(1, AotBuilds());

        // It retries a build that failed, fails 70 with the log, and never runs the ReadyToRun build instead.
        File.WriteAllText(Path.Combine(_repo, "src", "SecureFuture.Cli", "New.cs"), "y");
        var failed = Run(["scan", "."], aot: "wait", aotFails: true);
        Assert.Equal(70, failed.ExitCode);
        Assert.Contains("ILC: linker failed", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("the native AOT build failed (log: ", failed.Stderr, StringComparison.Ordinal);
        var retried = Run(["scan", "."], aot: "wait", aotFails: true);
        Assert.Equal(70, retried.ExitCode);
        Assert.Equal(3, AotBuilds());
        Assert.Equal(2, Runs().Length);

        RemoveClang();
        var missing = Run(["scan", "."], aot: "wait");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("SFI_AOT=wait: the native AOT build needs clang and zlib1g-dev", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Runs().Length);
    }

    [Fact]
    public void An_unknown_SFI_AOT_value_is_refused()
    {
        var launch = Run(["scan", "."], aot: "yes");
        Assert.Equal(2, launch.ExitCode);
        Assert.Contains("SFI_AOT='yes' is none of 0", launch.Stderr, StringComparison.Ordinal);
        Assert.Empty(Runs());
    }

    [Fact]
    public void An_aot_build_made_for_another_cpu_is_never_run_and_one_for_this_cpu_is_made()
    {
        Sfi(["scan", "."], cpu: "fpu sse2 avx2");
        WaitForAotBuild(1);
        Sfi(["scan", "."], cpu: "fpu sse2 avx2");
        Assert.Equal("run aot scan .", Runs()[^1]);

        // The same checkout on a machine without AVX2: the build compiled for the first CPU could stop on an
        // instruction this one lacks, so the ReadyToRun build runs and an AOT build for this CPU is made.
        var other = Sfi(["scan", "."], cpu: "fpu sse2");
        Assert.Contains("building the native AOT build of sfi scan in the background", other, StringComparison.Ordinal);
        Assert.StartsWith("run r2r ", Runs()[^1], StringComparison.Ordinal);
        WaitForAotBuild(2);
        Sfi(["scan", "."], cpu: "fpu sse2");
        Assert.Equal("run aot scan .", Runs()[^1]);
    }

    /// <summary>This process's session id (the sixth field of /proc/self/stat).</summary>
    private static string OwnSession()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3];
    }
}
