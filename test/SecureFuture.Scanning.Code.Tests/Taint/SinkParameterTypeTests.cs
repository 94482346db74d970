using SecureFuture.Core;
using SecureFuture.Testing;

namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// Sinks with a parameter-type condition (<c>parameterTypes</c>): one overload of a method runs its argument as code
/// and another makes it safe. EF Core 2's <c>FromSql(RawSqlString)</c> runs a built string as SQL, its
/// <c>FromSql(FormattableString)</c> turns an interpolated literal's holes into parameters. Reporting both floods
/// every EF Core 2 code base; reporting neither misses the raw-SQL injection EF Core 2 is known for.
/// </summary>
public sealed class SinkParameterTypeTests
{
    private const string Sql = "SFI-CODE-001";

    /// <summary>The FromSql overloads of EF Core 2.1-2.2 (Microsoft.EntityFrameworkCore.Relational), so the calls bind.</summary>
    private const string EfCore21Api = """
        namespace Microsoft.EntityFrameworkCore
        {
            public readonly struct RawSqlString
            {
                public RawSqlString(string s) => Format = s;
                public static implicit operator RawSqlString(string s) => new(s);
                public static implicit operator RawSqlString(System.FormattableString s) => new(s.Format);
                public string Format { get; }
            }

            public static class RelationalQueryableExtensions
            {
                public static System.Linq.IQueryable<T> FromSql<T>(this System.Linq.IQueryable<T> source, RawSqlString sql, params object[] parameters) where T : class => source;
                public static System.Linq.IQueryable<T> FromSql<T>(this System.Linq.IQueryable<T> source, System.FormattableString sql) where T : class => source;
            }
        }
        """;

    /// <summary>EF Core 2.0's overloads: a plain string, which an interpolated literal binds to as well.</summary>
    private const string EfCore20Api = """
        namespace Microsoft.EntityFrameworkCore
        {
            public static class RelationalQueryableExtensions
            {
                public static System.Linq.IQueryable<T> FromSql<T>(this System.Linq.IQueryable<T> source, string sql, params object[] parameters) where T : class => source;
                public static System.Linq.IQueryable<T> FromSql<T>(this System.Linq.IQueryable<T> source, System.FormattableString sql) where T : class => source;
            }
        }
        """;

    private const string Controller = """
        using System;
        using System.Linq;
        using Microsoft.AspNetCore.Mvc;
        using Microsoft.EntityFrameworkCore;

        public class Customer { public string City { get; set; } = ""; }

        public class CustomersController : Controller
        {
            private readonly IQueryable<Customer> _customers;
            public CustomersController(IQueryable<Customer> customers) => _customers = customers;

            public object Concatenated(string city) => _customers.FromSql("SELECT * FROM Customers WHERE City = '" + city + "'").ToList(); // raw
            public object BuiltFirst(string city)
            {
                var sql = $"SELECT * FROM Customers WHERE City = '{city}'";
                return _customers.FromSql(sql).ToList(); // raw
            }
            public object Literal(string city) => _customers.FromSql($"SELECT * FROM Customers WHERE City = {city}").ToList(); // literal
            public object Formattable(string city)
            {
                FormattableString query = $"SELECT * FROM Customers WHERE City = {city}";
                return _customers.FromSql(query).ToList(); // formattable
            }
        }
        """;

    private static int[] ReportedLines(RecordingSink sink) =>
        [.. sink.Of(Sql).Select(d => LineAt(Controller, d.Detection.Start)).Order()];

    private static int LineAt(string text, int offset) => text[..offset].Count(c => c == '\n') + 1;

    private static int LineOf(string marker) => Controller.Split('\n').Select((l, i) => (l, i + 1)).Single(x => x.l.Contains(marker, StringComparison.Ordinal) && x.l.Contains("FromSql", StringComparison.Ordinal)).Item2;

    private static int[] LinesMarked(string marker) =>
        [.. Controller.Split('\n').Select((l, i) => (l, i + 1)).Where(x => x.l.EndsWith("// " + marker, StringComparison.Ordinal)).Select(x => x.Item2)];

    [Fact]
    public void Bound_to_EF_Core_2_1_a_built_string_is_raw_SQL_and_an_interpolated_literal_or_FormattableString_is_not()
    {
        var sink = RecordingSink.Analyze(("src/CustomersController.cs", Controller), ("src/EfCore.cs", EfCore21Api));

        Assert.Equal(LinesMarked("raw"), ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.DoesNotContain("matched by name", d.Detection.Message, StringComparison.Ordinal));
        Assert.Contains("RelationalQueryableExtensions.FromSql", sink.Of(Sql)[0].Detection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bound_to_EF_Core_2_0_an_interpolated_literal_is_raw_SQL_too_because_the_string_overload_wins()
    {
        var sink = RecordingSink.Analyze(("src/CustomersController.cs", Controller), ("src/EfCore.cs", EfCore20Api));

        Assert.Equal([.. LinesMarked("raw"), LineOf("// literal")], ReportedLines(sink));
    }

    [Fact]
    public void Unresolved_EF_Core_of_unknown_version_reports_an_interpolated_literal_at_low_confidence_and_a_FormattableString_not_at_all()
    {
        // No EF Core assembly and no project file: the call binds to nothing and the sink is matched by name, through
        // the file's using. A built string is raw SQL on every version; the literal is only on EF Core 2.0.
        var sink = RecordingSink.Analyze(("src/CustomersController.cs", Controller));

        Assert.Equal([.. LinesMarked("raw"), LineOf("// literal")], ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.Contains("matched by name", d.Detection.Message, StringComparison.Ordinal));
        var literal = sink.Of(Sql).Single(d => LineAt(Controller, d.Detection.Start) == LineOf("// literal")).Detection;
        Assert.Equal("low", literal.Properties!["confidence"]);
        Assert.Contains("low confidence: the version of Microsoft.EntityFrameworkCore.Relational is not known", literal.Message, StringComparison.Ordinal);
        Assert.All(sink.Of(Sql).Where(d => d.Detection != literal), d => Assert.False(d.Detection.Properties!.ContainsKey("confidence")));
    }

    private static string Project(string packages) => $"""
        <Project Sdk="Microsoft.NET.Sdk.Web">
          <PropertyGroup><TargetFramework>netcoreapp2.0</TargetFramework></PropertyGroup>
          <ItemGroup>{packages}</ItemGroup>
        </Project>
        """;

    /// <summary>dvcsharp-api's packages: ASP.NET Core 2.0's metapackage (EF Core 2.0 inside), not in the local NuGet cache.</summary>
    private const string AspNetCore20 = """<PackageReference Include="Microsoft.AspNetCore.All" Version="2.0.5" />""";

    private const string LockFile = """
        {
          "version": 1,
          "dependencies": {
            "netcoreapp2.0": {
              "Microsoft.AspNetCore.All": { "type": "Direct", "requested": "[2.1.0, )", "resolved": "2.1.0" },
              "Microsoft.EntityFrameworkCore.Relational": { "type": "Transitive", "resolved": "VERSION" }
            }
          }
        }
        """;

    private const string AssetsFile = """
        {
          "version": 3,
          "libraries": {
            "Microsoft.EntityFrameworkCore.Relational/VERSION": { "sha512": "x", "type": "package", "path": "microsoft.entityframeworkcore.relational/VERSION" },
            "Shop.Data/1.0.0": { "type": "project", "path": "../Shop.Data/Shop.Data.csproj" }
          }
        }
        """;

    [Fact]
    public void On_EF_Core_2_0_named_by_the_project_an_interpolated_literal_is_raw_SQL_even_where_EF_Core_does_not_resolve()
    {
        var sink = RecordingSink.Analyze(("Shop/Shop.csproj", Project(AspNetCore20)), ("Shop/CustomersController.cs", Controller));

        Assert.Equal([.. LinesMarked("raw"), LineOf("// literal")], ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.False(d.Detection.Properties!.ContainsKey("confidence"), d.Detection.Message));
    }

    [Fact]
    public void On_EF_Core_2_1_or_later_named_by_the_project_an_interpolated_literal_is_parameterised()
    {
        var sink = RecordingSink.Analyze(
            ("Shop/Shop.csproj", Project("""<PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" Version="[2.2.4, 3.0)" />""")),
            ("Shop/CustomersController.cs", Controller));

        Assert.Equal(LinesMarked("raw"), ReportedLines(sink));
    }

    [Theory]
    [InlineData("Shop/packages.lock.json", LockFile, "2.0.3", true)]
    [InlineData("Shop/packages.lock.json", LockFile, "2.1.14", false)]
    [InlineData("Shop/obj/project.assets.json", AssetsFile, "2.0.3", true)]
    [InlineData("Shop/obj/project.assets.json", AssetsFile, "2.2.6", false)]
    public void The_version_NuGet_resolved_in_the_lock_or_assets_file_decides(string path, string file, string version, bool literalIsRaw)
    {
        // The project asks for ASP.NET Core 2.1's metapackage; what was restored says which EF Core runs.
        var sink = RecordingSink.Analyze(
            ("Shop/Shop.csproj", Project("""<PackageReference Include="Microsoft.AspNetCore.All" Version="2.1.0" />""")),
            (path, file.Replace("VERSION", version, StringComparison.Ordinal)),
            ("Shop/CustomersController.cs", Controller));

        Assert.Equal(literalIsRaw ? [.. LinesMarked("raw"), LineOf("// literal")] : LinesMarked("raw"), ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.False(d.Detection.Properties!.ContainsKey("confidence"), d.Detection.Message));
    }

    [Fact]
    public void Bound_to_a_newer_EF_Core_than_the_project_runs_the_projects_version_decides()
    {
        // The cache held 2.1's assembly (here: its API in source), the project runs 2.0: the literal is raw SQL there.
        var sink = RecordingSink.Analyze(
            ("Shop/Shop.csproj", Project(AspNetCore20)), ("Shop/CustomersController.cs", Controller), ("Shop/EfCore.cs", EfCore21Api));

        Assert.Equal([.. LinesMarked("raw"), LineOf("// literal")], ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.DoesNotContain("matched by name", d.Detection.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_project_gets_the_EF_Core_version_of_the_project_it_references()
    {
        const string Web = """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <ItemGroup><ProjectReference Include="../Shop.Data/Shop.Data.csproj" /></ItemGroup>
            </Project>
            """;
        var sink = RecordingSink.Analyze(
            ("Shop.Data/Shop.Data.csproj", Project(AspNetCore20)), ("Shop.Data/Customer.cs", "namespace Shop.Data; public sealed class Marker { }"),
            ("Shop.Web/Shop.Web.csproj", Web), ("Shop.Web/CustomersController.cs", Controller));

        Assert.Equal([.. LinesMarked("raw"), LineOf("// literal")], ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.False(d.Detection.Properties!.ContainsKey("confidence"), d.Detection.Message));
    }

    [Fact]
    public void A_lock_file_that_is_not_JSON_is_a_notification_naming_it_and_the_version_stays_unknown()
    {
        var sink = RecordingSink.Analyze(
            ("Shop/Shop.csproj", Project(string.Empty)), ("Shop/packages.lock.json", "{\n  \"dependencies\": {\n    oops\n}"),
            ("Shop/CustomersController.cs", Controller));

        var notification = Assert.Single(sink.Notifications, n => n.Id == "code-project-unreadable");
        Assert.Equal("Shop/packages.lock.json", notification.Path);
        Assert.Equal(3, notification.Region!.StartLine);
        Assert.Equal("low", sink.Of(Sql).Single(d => LineAt(Controller, d.Detection.Start) == LineOf("// literal")).Detection.Properties!["confidence"]);
    }

    [Theory]
    [InlineData("2.0.2", "2.0.2")]
    [InlineData("[2.0.0, )", "2.0.0")]
    [InlineData("[2.2.4, 3.0)", "2.2.4")]
    [InlineData("2.0.*", "2.0.0")]
    [InlineData("2.1.0-preview1-final", "2.1.0")]
    [InlineData("3", "3.0")]
    [InlineData("(, 3.0)", null)]
    [InlineData("*", null)]
    [InlineData("", null)]
    public void A_version_or_range_is_read_as_its_lowest_version(string text, string? expected)
    {
        Assert.Equal(expected is null ? null : Version.Parse(expected), PackageVersions.Parse(text));
    }

    [Fact]
    public void A_users_rule_can_make_one_overload_a_sink_and_keep_the_other_safe()
    {
        var rule = UserCodeRuleSample.TemplateRule
            .Replace("{ type: Acme.Templates.Engine, members: [Render], parameters: [template], arguments: [0] }",
                "{ type: Acme.Templates.Engine, members: [Render], arguments: [0], parameterTypes: [System.String] }", StringComparison.Ordinal)
            .Replace("public static string Render(string template, object model) => template; } }",
                "public static string Render(string template, object model) => template; public static string Render(Compiled template, object model) => template.Text; } "
                + "public sealed class Compiled { public string Text = \"\"; public static Compiled From(string text) => new() { Text = text }; } }", StringComparison.Ordinal)
            .Replace("Render(\"Hello {{name}}\", new { name })", "Render(Acme.Templates.Compiled.From(name), new { name })", StringComparison.Ordinal);
        var problems = new List<Notification>();

        var catalog = CodeRuleCatalog.WithUserRules([("rules/template.yaml", rule)], problems);

        // Its examples ran through the analyzer: the string overload is reported, the Compiled one is not.
        Assert.Empty(problems);
        Assert.Contains(catalog.Rules, r => r.Id == "SFI-CODE-090");
        var withoutCondition = rule.Replace(", parameterTypes: [System.String]", string.Empty, StringComparison.Ordinal);
        CodeRuleCatalog.WithUserRules([("rules/template.yaml", withoutCondition)], problems);
        Assert.Contains("safe example 1 is reported", Assert.Single(problems).Message, StringComparison.Ordinal);
    }
}
