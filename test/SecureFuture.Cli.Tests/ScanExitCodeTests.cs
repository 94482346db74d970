using SecureFuture.Cli.Scan;
using SecureFuture.Core;
using SecureFuture.Scanning;
using SecureFuture.Scanning.Secrets;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// The exit code of <c>sfi scan</c> when an analyzer fails: a scan that did not look at everything cannot say
/// "nothing found", so it is never exit 0, under a gate or not; findings that trip the gate still say 1.
/// </summary>
public sealed class ScanExitCodeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-exit-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private AnalysisRun Scan(params IContentAnalyzer[] analyzers)
        => new RepositoryScanner(analyzers, TimeProvider.System).Scan(new ScanRequest { Path = _root });

    [Fact]
    public async Task An_analyzer_that_failed_makes_a_clean_scan_exit_70_and_says_why_on_standard_error()
    {
        File.WriteAllText(Path.Combine(_root, "main.tf"), "resource \"x\" \"y\" {}\n");
        var run = Scan(new SecretAnalyzer(SecretRuleCatalog.Default), new ThrowingAnalyzer());
        Assert.Empty(run.Findings);

        foreach (var gate in new Severity?[] { null, Severity.High })
        {
            using var stderr = new StringWriter();
            Assert.Equal(ExitCodes.InternalError, await ScanCommand.ExitCodeAsync(run, gate, stderr));
            Assert.Contains("the scan is incomplete: 1 analyzer failure(s)", stderr.ToString(), StringComparison.Ordinal);
            Assert.Contains("main.tf: ThrowingAnalyzer failed: InvalidOperationException: broken on purpose", stderr.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Findings_that_trip_the_gate_exit_1_even_when_an_analyzer_failed_and_a_scan_without_failures_exits_0()
    {
        CliRunner.WriteSecrets(_root);
        var failed = Scan(new SecretAnalyzer(SecretRuleCatalog.Default), new ThrowingAnalyzer());
        Assert.NotEmpty(failed.Findings);
        Assert.Equal(ExitCodes.GateTripped, await ScanCommand.ExitCodeAsync(failed, Severity.High, TextWriter.Null));

        var clean = Scan(new SecretAnalyzer(SecretRuleCatalog.Default));
        Assert.Equal(ExitCodes.Success, await ScanCommand.ExitCodeAsync(clean, failOn: null, TextWriter.Null));
        Assert.Equal(ExitCodes.GateTripped, await ScanCommand.ExitCodeAsync(clean, Severity.High, TextWriter.Null));
    }

    private sealed class ThrowingAnalyzer : IContentAnalyzer
    {
        public IReadOnlyList<RuleDescriptor> Rules { get; } = [];

        public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
            => throw new InvalidOperationException("broken on purpose");
    }
}
