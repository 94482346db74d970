using SecureFuture.Scanning.Code.Taint;

namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>The shared taint model is built for the first C# compilation, not at start-up (sfi scan's start-up time).</summary>
public sealed class LazyTaintModelTests
{
    [Fact]
    public void A_scan_with_no_CSharp_file_never_builds_the_taint_model_yet_lists_every_rule()
    {
        var builds = 0;
        var check = new TaintCheck(CodeRuleCatalog.Default, () =>
        {
            Interlocked.Increment(ref builds);
            return TaintModel.Default;
        });
        var sink = new RecordingSink();

        new CodeAnalyzer([check]).Analyze(new ProjectInput("/repo", [new ScanTarget("README.md", "# no code here")]), sink, CancellationToken.None);

        Assert.Equal(0, builds);
        // The rules a report lists are the data-flow rules the model would hold, without the model.
        Assert.Equal(TaintModel.Default.Rules.Select(r => r.Descriptor.Id), check.Rules.Select(r => r.Id));
    }

    [Fact]
    public void The_first_CSharp_compilation_builds_the_model_once_and_flows_are_found()
    {
        var builds = 0;
        var check = new TaintCheck(CodeRuleCatalog.Default, () =>
        {
            Interlocked.Increment(ref builds);
            return TaintModel.Default;
        });
        const string Vulnerable = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class RunController : ControllerBase
            {
                public void Run(string tool) => Process.Start(tool);
            }
            """;
        var sink = new RecordingSink();
        var analyzer = new CodeAnalyzer([check]);

        analyzer.Analyze(new ProjectInput("/repo", [new ScanTarget("a/Run.cs", Vulnerable)]), sink, CancellationToken.None);
        analyzer.Analyze(new ProjectInput("/repo", [new ScanTarget("b/Run.cs", Vulnerable)]), sink, CancellationToken.None);

        Assert.Equal(1, builds);
        Assert.Equal(2, sink.Of("SFI-CODE-002").Count);
    }
}
