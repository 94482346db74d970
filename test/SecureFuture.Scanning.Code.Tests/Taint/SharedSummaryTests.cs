using Microsoft.CodeAnalysis;
using SecureFuture.Scanning.Code.Taint;

namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// A library method's summary is computed once per run, not once per project that calls into the library (test
/// projects, samples): on real trees four summaries in five were such repeats. Reused, it must give the same results.
/// </summary>
public sealed class SharedSummaryTests
{
    private const string Library = """
        namespace Lib;

        public static class Sql
        {
            public static string Quote(string value) => "'" + value + "'";

            public static void Find(System.Data.Common.DbCommand command, string name)
            {
                command.CommandText = "SELECT * FROM Users WHERE Name = " + Quote(name);
            }
        }
        """;

    private static string Controller(string app) => $$"""
        using Microsoft.AspNetCore.Mvc;

        namespace {{app}};

        public class UsersController(System.Data.Common.DbCommand command) : Controller
        {
            public IActionResult Find(string name)
            {
                Lib.Sql.Find(command, name);
                return Ok();
            }
        }
        """;

    [Fact]
    public void A_second_project_calling_the_same_library_reuses_its_summaries_and_finds_the_same_flow()
    {
        var (first, second) = TwoAppsOfOneLibrary();
        var check = new TaintCheck();

        var firstSink = Run(check, first);
        var secondSink = Run(check, second);
        var alone = Run(new TaintCheck(), second);

        Assert.True(firstSink.Statistics["codeTaintSummaries"] >= 2, firstSink.Describe());
        // Nothing left to compute for the second project: Find and Quote were summarised for the first.
        Assert.Equal(0, secondSink.Statistics["codeTaintSummaries"]);
        Assert.Equal(firstSink.Statistics["codeTaintSummaries"], alone.Statistics["codeTaintSummaries"]);
        // ...and the reused summaries report what computing them afresh reports, path included.
        var reused = Assert.Single(secondSink.Of("SFI-CODE-001")).Detection;
        var fresh = Assert.Single(alone.Of("SFI-CODE-001")).Detection;
        Assert.Equal(fresh.Message, reused.Message);
        Assert.Equal(fresh.Flow!.Select(s => (s.Path, s.Start, s.Message)), reused.Flow!.Select(s => (s.Path, s.Start, s.Message)));
        Assert.Equal("b/UsersController.cs", reused.Flow![0].Path);
        Assert.Equal("lib/Sql.cs", Assert.Single(secondSink.Of("SFI-CODE-001")).Path);
    }

    private static RecordingSink Run(TaintCheck check, CodeCompilation compilation)
    {
        var sink = new RecordingSink();
        check.Run(compilation, new CodeSink(compilation, sink), CancellationToken.None);
        return sink;
    }

    /// <summary>Two projects that reference one library, wired as <see cref="CodeAnalyzer"/> wires a scan's projects.</summary>
    private static (CodeCompilation First, CodeCompilation Second) TwoAppsOfOneLibrary()
    {
        var references = ReferenceAssemblies.FrameworkReferences;
        var library = CodeAnalyzer.Build("lib/Lib.csproj", [new ScanTarget("lib/Sql.cs", Library)], references, CancellationToken.None);
        CodeCompilation App(string name) =>
            CodeAnalyzer.Build($"{name}/{name}.csproj", [new ScanTarget($"{name}/UsersController.cs", Controller(name))], references, CancellationToken.None)
                .WithReferences([library]);
        var (first, second) = (App("a"), App("b"));
        var owners = new Dictionary<SyntaxTree, CodeCompilation>();
        foreach (var compilation in (CodeCompilation[])[library, first, second])
        {
            foreach (var tree in compilation.Trees.Where(t => compilation.PathOf(t) is not null))
            {
                owners[tree] = compilation;
            }
        }

        foreach (var compilation in (CodeCompilation[])[library, first, second])
        {
            compilation.ShareTreesWith(owners);
        }

        return (first, second);
    }
}
