using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Tests;

public sealed class CodeCompilationTests
{
    [Fact]
    public void Sources_bind_against_the_SDK_reference_packs_without_a_build()
    {
        const string source = """
            using Microsoft.AspNetCore.Http;
            class C { string M(HttpRequest r) => r.Query["id"].ToString(); }
            """;
        var compilation = CodeAnalyzer.Build("p.csproj", [new ScanTarget("src/C.cs", source)], ReferenceAssemblies.FrameworkReferences, CancellationToken.None);
        var tree = Assert.Single(compilation.Trees);
        var access = tree.GetRoot().DescendantNodes().OfType<MemberAccessExpressionSyntax>().First(m => m.Name.Identifier.Text == "Query");
        var symbol = compilation.Model(tree).GetSymbolInfo(access).Symbol;

        Assert.Null(ReferenceAssemblies.Missing);
        Assert.Equal("Microsoft.AspNetCore.Http.HttpRequest", symbol?.ContainingType.ToDisplayString());
        Assert.Equal("src/C.cs", compilation.PathOf(tree));
    }
}
