using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// CONTRIBUTING.md: the unit run (<c>--filter "Category!=Integration"</c>) starts no child process, so it runs on a
/// machine with nothing but the .NET SDK and stays fast. Checked over the syntax of every test source: a test method
/// that starts a process (<c>Process.Start</c> or a <c>ProcessStartInfo</c>), directly or through a helper of its
/// own class or a static helper of another (<c>ChildProcess.Run</c>), must carry the Integration trait on itself or
/// its class; so must the class of a constructor or <c>Dispose</c> that does (it runs around every test of the class).
/// A process started through an instance of another class is out of its sight.
/// </summary>
public sealed class UnitTestIsolationTests
{
    private static readonly string[] TestAttributes = ["Fact", "Theory", "RootFact"];
    private static readonly string[] PerTestMembers = ["Dispose", "DisposeAsync", "InitializeAsync"];
    private static readonly CSharpParseOptions ParseOptions = new(documentationMode: DocumentationMode.None); // comments are not read

    [Fact]
    public void No_test_outside_the_integration_category_starts_a_child_process()
    {
        var members = TestSources().AsParallel().SelectMany(Members).ToList();
        Assert.Contains(members, m => m.Type == "ChildProcess" && m.Name == "Run"); // the scan sees the shared helpers

        // Which members start a process: those that do it themselves, then, to a fixed point, those that call one.
        var starters = members.Where(m => m.StartsProcessItself).Select(m => (m.Type, m.Name)).ToHashSet();
        for (var grown = true; grown;)
        {
            grown = false;
            foreach (var member in members.Where(m => !starters.Contains((m.Type, m.Name)) && m.Calls.Any(starters.Contains)))
            {
                grown |= starters.Add((member.Type, member.Name));
            }
        }

        var integrationClasses = members.Where(m => m.ClassIsIntegration).Select(m => m.QualifiedType).ToHashSet(StringComparer.Ordinal);
        var violations = members
            .Where(m => starters.Contains((m.Type, m.Name)) && !integrationClasses.Contains(m.QualifiedType))
            .Where(m => (m.IsTest && !m.IsIntegration) || (m.RunsAroundEveryTest && members.Any(t => t.QualifiedType == m.QualifiedType && t.IsTest)))
            .Select(m => $"{m.Location}: {m.Type}.{m.Name} starts a child process; mark it (or its class) [Trait(\"Category\", \"Integration\")]")
            .ToList();
        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    private static IEnumerable<string> TestSources()
    {
        var root = Path.Combine(CliRunner.RepoRoot(), "test");
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "TestData" or "Corpus"));
    }

    private static IEnumerable<Member> Members(string path)
    {
        var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(path), ParseOptions, path);
        foreach (var type in tree.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>())
        {
            var qualified = string.Join('.', type.AncestorsAndSelf().OfType<BaseTypeDeclarationSyntax>().Reverse().Select(t => t.Identifier.Text)
                .Prepend(type.FirstAncestorOrSelf<BaseNamespaceDeclarationSyntax>()?.Name.ToString() ?? string.Empty));
            var classIsIntegration = IsIntegration(type.AttributeLists);
            foreach (var member in type.Members)
            {
                var name = member switch
                {
                    MethodDeclarationSyntax method => method.Identifier.Text,
                    ConstructorDeclarationSyntax => ".ctor",
                    _ => null,
                };
                if (name is not null)
                {
                    var attributes = member.AttributeLists;
                    yield return new Member(type.Identifier.Text, qualified, name, classIsIntegration, StartsProcessItself(member), Calls(type.Identifier.Text, member),
                        IsTest: attributes.SelectMany(l => l.Attributes).Any(a => TestAttributes.Contains(SimpleName(a.Name))),
                        IsIntegration: IsIntegration(attributes),
                        RunsAroundEveryTest: name == ".ctor" || PerTestMembers.Contains(name),
                        Location: $"{Path.GetRelativePath(CliRunner.RepoRoot(), path)}:{member.GetLocation().GetLineSpan().StartLinePosition.Line + 1}");
                }
            }
        }
    }

    private static bool StartsProcessItself(SyntaxNode body)
        => body.DescendantNodes().Any(node => node switch
        {
            ObjectCreationExpressionSyntax creation => SimpleName(creation.Type) == "ProcessStartInfo",
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "Start" } access } => SimpleName(access.Expression) == "Process",
            _ => false,
        });

    /// <summary>The (type, method) pairs <paramref name="body"/> may call: unqualified in its own class, or <c>Type.Method</c>.</summary>
    private static List<(string Type, string Name)> Calls(string ownType, SyntaxNode body)
        => [.. body.DescendantNodes().OfType<InvocationExpressionSyntax>().Select(call => call.Expression switch
        {
            IdentifierNameSyntax name => (ownType, name.Identifier.Text),
            MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax type } access => (type.Identifier.Text, access.Name.Identifier.Text),
            _ => (string.Empty, string.Empty),
        }).Where(callee => callee.Item2.Length > 0).Distinct()];

    private static bool IsIntegration(SyntaxList<AttributeListSyntax> lists)
        => lists.SelectMany(l => l.Attributes).Any(a => SimpleName(a.Name) == "Trait"
            && a.ArgumentList?.Arguments.Select(arg => arg.Expression.ToString()).SequenceEqual(["\"Category\"", "\"Integration\""]) == true);

    private static string SimpleName(SyntaxNode name)
    {
        var text = name.ToString();
        text = text[(text.LastIndexOf('.') + 1)..];
        return text.EndsWith("Attribute", StringComparison.Ordinal) ? text[..^"Attribute".Length] : text;
    }

    private sealed record Member(
        string Type, string QualifiedType, string Name, bool ClassIsIntegration, bool StartsProcessItself, List<(string Type, string Name)> Calls,
        bool IsTest, bool IsIntegration, bool RunsAroundEveryTest, string Location);
}
