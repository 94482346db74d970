using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Tests;

/// <summary>What a project file contributes to binding: implicit usings, package references from the cache, hostile files.</summary>
public sealed class ProjectSettingsTests
{
    private const string UsesListAndRequest = """
        public class C
        {
            public List<string> M(HttpRequest r) => [r.Path.ToString()];
        }
        """;

    [Fact]
    public void A_web_project_with_implicit_usings_binds_what_the_SDK_imports()
    {
        var web = Analyze(
            ("App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("App/C.cs", UsesListAndRequest));
        var plain = Analyze(
            ("Lib/Lib.csproj", """<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("Lib/C.cs", UsesListAndRequest));
        var off = Analyze(
            ("Off/Off.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"></Project>"""),
            ("Off/C.cs", UsesListAndRequest));

        Assert.Equal(["System.Collections.Generic.List<T>", "Microsoft.AspNetCore.Http.HttpRequest"], web.Resolved["App/C.cs"]);
        // The plain SDK imports System.Collections.Generic but not ASP.NET Core.
        Assert.Equal(["System.Collections.Generic.List<T>", "?HttpRequest"], plain.Resolved["Lib/C.cs"]);
        Assert.Equal(["?List<>", "?HttpRequest"], off.Resolved["Off/C.cs"]);
    }

    [Fact]
    public void Implicit_usings_come_from_the_nearest_Directory_Build_props_and_a_Using_Remove_takes_one_away()
    {
        var result = Analyze(
            ("Directory.Build.props", """<Project><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("src/App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"><ItemGroup><Using Remove="Microsoft.AspNetCore.Http" /></ItemGroup></Project>"""),
            ("src/App/C.cs", UsesListAndRequest));

        Assert.Equal(["System.Collections.Generic.List<T>", "?HttpRequest"], result.Resolved["src/App/C.cs"]);
    }

    [Theory]
    [InlineData("""<Import Project="$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))" />""")]
    [InlineData("""<Import Project="$(MSBuildThisFileDirectory)..\Directory.Build.props" />""")]
    [InlineData("""<Import Project="../Directory.Build.props" />""")]
    public void A_Directory_Build_props_that_imports_the_one_above_keeps_its_implicit_usings(string import)
    {
        // MSBuild reads only the nearest Directory.Build.props; this repository's src/ one imports the root's (which
        // enables implicit usings) to add an analyzer. Without following the import every src project bound as if
        // implicit usings were off, and sinks were matched by name only.
        var chained = Analyze(
            ("Directory.Build.props", """<Project><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("src/Directory.Build.props", $"""<Project>{import}<ItemGroup><Using Include="Microsoft.AspNetCore.Http" /></ItemGroup></Project>"""),
            ("src/App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk"></Project>"""),
            ("src/App/C.cs", UsesListAndRequest));
        var notChained = Analyze(
            ("Directory.Build.props", """<Project><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("src/Directory.Build.props", """<Project><ItemGroup><Using Include="Microsoft.AspNetCore.Http" /></ItemGroup></Project>"""),
            ("src/App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk"></Project>"""),
            ("src/App/C.cs", UsesListAndRequest));

        Assert.Equal(["System.Collections.Generic.List<T>", "Microsoft.AspNetCore.Http.HttpRequest"], chained.Resolved["src/App/C.cs"]);
        Assert.Equal(["?List<>", "Microsoft.AspNetCore.Http.HttpRequest"], notChained.Resolved["src/App/C.cs"]);
    }

    [Fact]
    public void A_package_in_the_local_NuGet_cache_binds_and_one_that_is_not_there_is_named_in_a_note()
    {
        // Microsoft.IdentityModel.Tokens is restored for this solution, so the cache that built the tests holds it.
        var result = Analyze(
            ("Api/Api.csproj", """
                <Project Sdk="Microsoft.NET.Sdk">
                  <ItemGroup>
                    <PackageReference Include="Microsoft.IdentityModel.Tokens" />
                    <PackageReference Include="No.Such.Package.Anywhere" Version="1.0.0" />
                    <PackageReference Include="System.Memory" Version="4.5.5" />
                  </ItemGroup>
                </Project>
                """),
            ("Directory.Packages.props", """<Project><ItemGroup><PackageVersion Include="Microsoft.IdentityModel.Tokens" Version="8.23.0" /></ItemGroup></Project>"""),
            ("Api/C.cs", """
                using Microsoft.IdentityModel.Tokens;
                public class C { public object M() => new TokenValidationParameters { ValidateIssuer = false }; }
                """));

        Assert.Contains("Microsoft.IdentityModel.Tokens.TokenValidationParameters", result.Resolved["Api/C.cs"]);
        var note = Assert.Single(result.Notifications, n => n.Id == "code-packages-missing");
        Assert.Equal("Api/Api.csproj", note.Path);
        Assert.Contains("No.Such.Package.Anywhere", note.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.IdentityModel.Tokens", note.Message, StringComparison.Ordinal);
        // The framework provides System.Memory; a package that only restates it is not missing.
        Assert.DoesNotContain("System.Memory", note.Message, StringComparison.Ordinal);
        Assert.StartsWith("1 package(s)", note.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><ImplicitUsings>&x;</ImplicitUsings></PropertyGroup></Project>""")]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <PropertyGroup>\n    <ImplicitUsings>enable</Implicit>\n</Project>")]
    public void A_hostile_or_malformed_project_file_is_a_note_at_its_position_and_its_sources_are_still_analysed(string project)
    {
        var result = Analyze(("App/App.csproj", project), ("App/C.cs", UsesListAndRequest));

        var note = Assert.Single(result.Notifications, n => n.Id == "code-project-unreadable");
        Assert.Equal("App/App.csproj", note.Path);
        Assert.Contains(project.Contains("DOCTYPE", StringComparison.Ordinal) ? "DTD" : "ImplicitUsings", note.Message, StringComparison.Ordinal);
        Assert.True(note.Region!.StartLine >= (project.Contains("DOCTYPE", StringComparison.Ordinal) ? 1 : 3));
        // Analysed as loose files, with the defaults of loose files (ASP.NET Core's implicit usings): nothing of the entity.
        Assert.Equal(["System.Collections.Generic.List<T>", "Microsoft.AspNetCore.Http.HttpRequest"], result.Resolved["App/C.cs"]);
    }

    [Fact]
    public void Razor_views_beside_a_project_are_not_read_as_project_files()
    {
        // A view is walked for the XSS check; read as MSBuild XML it was a "project file ignored" note per view (258 on
        // the benchmark tree), burying the notes that matter.
        var result = Analyze(
            ("App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("App/Views/Home/Index.cshtml", "@model string\n<p>@Model</p>\n"),
            ("App/Pages/Counter.razor", "<h1>Counter</h1>\n@code { int count; }\n"),
            ("App/C.cs", UsesListAndRequest));

        Assert.DoesNotContain(result.Notifications, n => n.Id == "code-project-unreadable");
        Assert.Equal(["System.Collections.Generic.List<T>", "Microsoft.AspNetCore.Http.HttpRequest"], result.Resolved["App/C.cs"]);
    }

    [Fact]
    public void Package_ids_and_versions_that_would_leave_the_cache_are_not_followed()
    {
        var result = Analyze(
            ("A/A.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="../../../../etc" Version="../passwd" /></ItemGroup></Project>"""),
            ("A/C.cs", "public class C { }"));

        Assert.Contains("../../../../etc", Assert.Single(result.Notifications, n => n.Id == "code-packages-missing").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Project_references_are_read_relative_to_the_project_and_may_not_leave_the_scan_root()
    {
        var project = ProjectFile.Parse("src/App/App.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="..\Lib\Lib.csproj" />
                <ProjectReference Include="../../../outside/X.csproj" />
              </ItemGroup>
            </Project>
            """, _ => { });

        Assert.Equal(["src/Lib/Lib.csproj"], project!.ProjectReferences);
    }

    private static Result Analyze(params (string Path, string Text)[] files)
    {
        var probe = new TypeProbe();
        var sink = new Sink();
        new CodeAnalyzer([probe]).Analyze(new ProjectInput("/scan", [.. files.Select(f => new ScanTarget(f.Path, f.Text))]), sink, CancellationToken.None);
        return new Result(probe.Resolved, [.. sink.Notifications]);
    }

    private sealed record Result(IReadOnlyDictionary<string, List<string>> Resolved, IReadOnlyList<Notification> Notifications);

    /// <summary>Records, per file, what each type name written in the source binds to ("?Name" when it does not).</summary>
    private sealed class TypeProbe : ICodeCheck
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, List<string>> Resolved { get; } = new();

        public IReadOnlyList<RuleDescriptor> Rules => [];

        public void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken)
        {
            foreach (var tree in compilation.Trees)
            {
                if (compilation.PathOf(tree) is not { } path)
                {
                    continue;
                }

                var model = compilation.Model(tree);
                Resolved[path] = [.. tree.GetRoot(cancellationToken).DescendantNodes()
                    .Where(n => n is GenericNameSyntax or IdentifierNameSyntax && n.Parent is not (QualifiedNameSyntax or UsingDirectiveSyntax or MemberAccessExpressionSyntax or AssignmentExpressionSyntax))
                    .Where(n => n is GenericNameSyntax || (n is IdentifierNameSyntax id && char.IsUpper(id.Identifier.Text[0]) && id.Parent is ParameterSyntax or ObjectCreationExpressionSyntax))
                    .Select(n => model.GetSymbolInfo(n).Symbol is ITypeSymbol t ? t.OriginalDefinition.ToDisplayString() : "?" + (n is GenericNameSyntax g ? g.Identifier.Text + "<>" : n.ToString()))];
            }
        }
    }

    private sealed class Sink : IProjectSink
    {
        public System.Collections.Concurrent.ConcurrentQueue<Notification> Notifications { get; } = new();

        public void Report(string path, Detection detection)
        {
        }

        public void Count(string statistic, long value)
        {
        }

        public void Notify(Notification notification) => Notifications.Enqueue(notification);
    }
}
