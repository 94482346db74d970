using System.Diagnostics;
using System.Text;
using SecureFuture.Core;
using SecureFuture.Scanning.Code.Taint;

namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>Pathological input: bounded work, a notification when a bound is hit, never a crash or a hang.</summary>
public sealed class TaintBoundsTests
{
    private const string Command = "SFI-CODE-002";

    [Fact]
    public void A_call_chain_deeper_than_the_bound_is_cut_with_a_notification()
    {
        var code = new StringBuilder("""
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class ChainController : ControllerBase
            {
                public void Run(string name) => M0(name);

            """);
        const int depth = 60;
        for (var i = 0; i < depth; i++)
        {
            code.AppendLine($"    private static void M{i}(string s) => M{i + 1}(s + \"{i}\");");
        }

        code.AppendLine($"    private static void M{depth}(string s) => Process.Start(s);");
        code.AppendLine("    private static string Loop(string s) => s.Length > 9 ? s : Loop(s + \"a\");");
        code.AppendLine("    public void Recursive(string name) => Process.Start(Loop(name));");
        code.AppendLine("}");

        var sink = RecordingSink.Analyze(("src/Chain.cs", code.ToString()));

        // Said once for the project, with how many methods were cut, not once per method.
        var note = Assert.Single(sink.Notifications, n => n.Id == "code-analysis-bound" && n.Path == "src/Chain.cs");
        Assert.Matches(@"deeper than 12 into \d+ method\(s\)", note.Message);
        Assert.True(sink.Statistics["codeAnalysisBoundsHit"] >= 1);
        // Direct recursion is followed as far as it goes, not forever.
        Assert.Contains(sink.Of(Command), r => r.Detection.Message.Contains("'name'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_chain_within_the_bound_is_followed_to_the_sink()
    {
        var code = new StringBuilder("""
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class ChainController : ControllerBase
            {
                public void Run(string name) => M0(name);

            """);
        for (var i = 0; i < 8; i++)
        {
            code.AppendLine($"    private static void M{i}(string s) => M{i + 1}(s);");
        }

        code.AppendLine("    private static void M8(string s) => Process.Start(s);");
        code.AppendLine("}");

        var sink = RecordingSink.Analyze(("src/Chain.cs", code.ToString()));

        var (_, detection) = Assert.Single(sink.Of(Command));
        Assert.Equal(9, detection.Flow!.Count(s => s.Message.StartsWith("passed to parameter 's'", StringComparison.Ordinal)));
        Assert.DoesNotContain(sink.Notifications, n => n.Id == "code-analysis-bound");
    }

    [Fact]
    public void Deeply_nested_expressions_hit_a_bound_instead_of_overflowing_the_stack()
    {
        const int depth = 3000;
        var nested = new StringBuilder("name");
        for (var i = 0; i < depth; i++)
        {
            nested.Insert(0, "Wrap(").Append(')');
        }

        var code = $$"""
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class DeepController : ControllerBase
            {
                private static string Wrap(string s) => s;
                public void Deep(string name) => Process.Start({{nested}});
                public void Shallow(string name) => Process.Start(Wrap(name));
            }
            """;

        var sink = RecordingSink.Analyze(("src/Deep.cs", code));

        Assert.Contains(sink.Notifications, n => n.Id == "code-analysis-bound");
        Assert.DoesNotContain(sink.Notifications, n => n.Id == "code-check-failed");
        Assert.Contains(sink.Of(Command), r => r.Detection.Flow!.Count < 10);
    }

    [Fact]
    public void A_long_concatenation_is_walked_without_recursion()
    {
        var chain = string.Concat(Enumerable.Repeat(" + \"-\"", 20_000));
        var code = $$"""
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class LongController : ControllerBase
            {
                public void Long(string name) => Process.Start("tool", name{{chain}});
            }
            """;

        var sink = RecordingSink.Analyze(("src/Long.cs", code));

        Assert.Single(sink.Of(Command));
    }

    [Fact]
    public void A_50000_line_file_is_analysed_quickly()
    {
        var code = new StringBuilder("""
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class HugeController : ControllerBase
            {

            """);
        var lines = 5;
        for (var i = 0; lines < 50_000; i++)
        {
            code.AppendLine($$"""
                    private static int Helper{{i}}(int value)
                    {
                        var doubled = value * 2;
                        if (doubled > 100)
                        {
                            return doubled - {{i}};
                        }

                        return doubled + Helper{{i + 1}}(value);
                    }
                """);
            lines += 10;
        }

        code.AppendLine("    private static int Helper100000(int value) => value;");
        code.AppendLine("    public void Run(string tool) => Process.Start(tool);");
        code.AppendLine("}");

        var stopwatch = Stopwatch.StartNew();
        var sink = RecordingSink.Analyze(("src/Huge.cs", code.ToString()));
        stopwatch.Stop();

        Assert.Single(sink.Of(Command));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void A_file_that_does_not_parse_does_not_stop_the_others()
    {
        const string broken = "public class Broken { void M( { if ) } } } namespace {{{ ";
        const string good = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class GoodController : ControllerBase
            {
                public void Run(string tool) => Process.Start(tool);
            }
            """;

        var sink = RecordingSink.Analyze(("src/Broken.cs", broken), ("src/Good.cs", good));

        Assert.Contains(sink.Of(Command), r => r.Path == "src/Good.cs");
    }

    [Fact]
    public void A_call_that_does_not_bind_is_still_judged_without_failing()
    {
        const string code = """
            using System.IO;
            using Microsoft.AspNetCore.Mvc;

            public class FilesController : ControllerBase
            {
                public void Open(string path)
                {
                    using var broken = new FileStream(path, mode: FileMode.Open, noSuchParameter: 1);
                    using var fine = new FileStream(path, FileMode.Open);
                }
            }
            """;

        var sink = RecordingSink.Analyze(("src/Files.cs", code));

        Assert.DoesNotContain(sink.Notifications, n => n.Id is "code-check-failed" or "code-analysis-failed");
        Assert.Equal(2, sink.Of("SFI-CODE-003").Count);
    }

    [Fact]
    public void A_check_that_throws_becomes_a_notification_and_the_others_still_run()
    {
        const string good = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;

            public class GoodController : ControllerBase
            {
                public void Run(string tool) => Process.Start(tool);
            }
            """;
        var sink = new RecordingSink();
        var analyzer = new CodeAnalyzer([new ThrowingCheck(), new TaintCheck()]);

        analyzer.Analyze(new ProjectInput("/repo", [new ScanTarget("src/Good.cs", good)]), sink, CancellationToken.None);

        Assert.Contains(sink.Notifications, n => n.Id == "code-check-failed" && n.Level == NotificationLevel.Error && n.Message.Contains("ThrowingCheck", StringComparison.Ordinal));
        Assert.Single(sink.Of(Command));
    }

    private sealed class ThrowingCheck : ICodeCheck
    {
        public IReadOnlyList<RuleDescriptor> Rules => [];

        public void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("bug in a check");
    }
}
