namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// What the analysis spends its work on: only code that really reads request data is followed, and a loop is run a
/// second time only when its first pass carried taint to the next iteration; neither loses a flow.
/// </summary>
public sealed class AnalysisWorkTests
{
    private const string Sql = "SFI-CODE-001";

    [Fact]
    public void A_member_named_like_a_source_on_another_type_makes_no_entry_point_and_its_callers_are_not_analysed()
    {
        // uri.Query is System.Uri's, not the request's: nothing here reads request data, though a syntax-only index
        // would take ParseQuery (and every method calling it) for code that does.
        const string Client = """
            using System;
            using System.Data.Common;

            namespace Sdk;

            public static class Redirects
            {
                public static string ParseQuery(Uri uri) => uri.Query.TrimStart('?');
            }

            public sealed class Store(DbConnection connection)
            {
                public void Save(Uri uri)
                {
                    var command = connection.CreateCommand();
                    command.CommandText = "SELECT 1 WHERE x = '" + Redirects.ParseQuery(uri) + "'";
                }

                public void SaveTwice(Uri uri)
                {
                    Save(uri);
                    Save(uri);
                }
            }
            """;

        var sink = RecordingSink.Analyze(("src/Sdk/Client.cs", Client));

        Assert.Empty(sink.Of(Sql));
        Assert.Equal(0, sink.Statistics.GetValueOrDefault("codeTaintBodiesAnalysed"));
    }

    [Fact]
    public void A_member_named_like_a_source_is_bound_only_in_a_body_whose_answer_can_change_a_result()
    {
        // request.Headers is HttpRequestMessage's here (an HTTP client, like sfi's own CLI), named like HttpRequest's.
        // Binding it binds the whole statement around it, lambdas and all. For bodies that reach no sink and return no
        // text (IsJson, AnyJson) the answer changes nothing, so it must not be asked. The body that does reach a sink
        // (Send, which builds SQL) is still bound, and still found not to read request data.
        const string Client = """
            using System.Collections.Generic;
            using System.Data.Common;
            using System.Linq;
            using System.Net.Http;

            namespace Cli;

            public static class Commands
            {
                public static bool IsJson(HttpRequestMessage request) => request.Headers.Accept.Count > 0;

                public static bool AnyJson(IEnumerable<HttpRequestMessage> requests) => requests.Any(request => request.Headers.Accept.Count > 0);

                public static void Send(DbConnection connection, HttpRequestMessage request)
                {
                    var command = connection.CreateCommand();
                    command.CommandText = "SELECT 1 WHERE x = '" + request.Headers.ToString() + "'";
                }
            }
            """;

        var sink = RecordingSink.Analyze(("src/Cli/Commands.cs", Client));

        Assert.Empty(sink.Of(Sql));
        Assert.Equal(1, sink.Statistics.GetValueOrDefault("codeTaintSourceMentionsBound"));
    }

    [Fact]
    public void The_request_query_read_in_a_helper_is_still_followed_through_its_callers()
    {
        const string App = """
            using System.Data.Common;
            using Microsoft.AspNetCore.Http;

            namespace Shop;

            public static class RequestValues
            {
                public static string Term(HttpRequest request) => request.Query["q"].ToString();
            }

            public sealed class Search(DbConnection connection, IHttpContextAccessor accessor)
            {
                public void Run()
                {
                    var command = connection.CreateCommand();
                    command.CommandText = "SELECT * FROM Items WHERE Name = '" + RequestValues.Term(accessor.HttpContext!.Request) + "'";
                }
            }
            """;

        var sink = RecordingSink.Analyze(("src/Shop/Search.cs", App));

        var (_, detection) = Assert.Single(sink.Of(Sql));
        Assert.Contains("request query 'q'", detection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("foreach (var part in parts) { sql = sql + \" AND \" + next; next = part; }")]
    [InlineData("for (var i = 0; i < parts.Length; i++) { sql = sql + \" AND \" + next; next = parts[i]; }")]
    [InlineData("var i = 0; while (i < parts.Length) { sql = sql + \" AND \" + next; next = parts[i]; i++; }")]
    public void Taint_carried_to_the_next_iteration_of_a_loop_is_followed(string loop)
    {
        // next is clean on the first pass through the body; only the second iteration concatenates request data.
        var controller = """
            using System.Data.Common;
            using Microsoft.AspNetCore.Mvc;

            public sealed class ItemsController(DbConnection connection) : ControllerBase
            {
                [HttpGet]
                public IActionResult Find(string filter)
                {
                    var parts = filter.Split(',');
                    var sql = "SELECT * FROM Items WHERE 1 = 1";
                    var next = "1 = 1";
                    LOOP
                    var command = connection.CreateCommand();
                    command.CommandText = sql;
                    return Ok(command.ExecuteScalar());
                }
            }
            """.Replace("LOOP", loop, StringComparison.Ordinal);

        var sink = RecordingSink.Analyze(("src/ItemsController.cs", controller));

        Assert.True(sink.Of(Sql).Count > 0, sink.Describe());
    }
}
