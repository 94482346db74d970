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
    public void Unresolved_EF_Core_judges_by_the_arguments_type_an_interpolated_literal_counting_as_FormattableString()
    {
        // No EF Core assembly: the call binds to nothing and the sink is matched by name, through the file's using.
        var sink = RecordingSink.Analyze(("src/CustomersController.cs", Controller));

        Assert.Equal(LinesMarked("raw"), ReportedLines(sink));
        Assert.All(sink.Of(Sql), d => Assert.Contains("matched by name", d.Detection.Message, StringComparison.Ordinal));
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
