namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>Flows the taint analysis must follow (and stop at), each run through the real analyzer.</summary>
public sealed class TaintFlowTests
{
    private const string Sql = "SFI-CODE-001";
    private const string Xss = "SFI-CODE-004";
    private const string Path = "SFI-CODE-003";

    private const string Controller = """
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Mvc;

        namespace Shop.Web;

        public class UsersController : ControllerBase
        {
            private readonly Shop.Data.IUserService _users;
            public UsersController(Shop.Data.IUserService users) => _users = users;

            [HttpGet]
            public async Task<IActionResult> Find(string name)
            {
                var trimmed = name.Trim();
                return Ok(await _users.FindAsync(trimmed));
            }
        }
        """;

    private const string Services = """
        using System.Data.Common;
        using System.Threading.Tasks;

        namespace Shop.Data;

        public interface IUserService { Task<object?> FindAsync(string name); }

        public sealed class UserService(UserRepository repository) : IUserService
        {
            public Task<object?> FindAsync(string name) => repository.QueryAsync(Filter(name));

            private static string Filter(string name) => $"Name = '{name}'";
        }

        public sealed class UserRepository(DbConnection connection)
        {
            public async Task<object?> QueryAsync(string filter)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT * FROM Users WHERE " + filter;
                return await command.ExecuteScalarAsync();
            }
        }
        """;

    [Fact]
    public void Flow_across_three_methods_two_files_and_an_interface_is_reported_with_its_path()
    {
        var sink = RecordingSink.Analyze(("src/Web/UsersController.cs", Controller), ("src/Data/Services.cs", Services));

        var (path, detection) = Assert.Single(sink.Of(Sql));
        Assert.Equal("src/Data/Services.cs", path);
        Assert.Contains("action parameter 'name'", detection.Message, StringComparison.Ordinal);
        var flow = detection.Flow!;
        Assert.Equal("src/Web/UsersController.cs", flow[0].Path);
        Assert.StartsWith("untrusted data from action parameter 'name'", flow[0].Message, StringComparison.Ordinal);
        Assert.Equal("src/Data/Services.cs", flow[^1].Path);
        Assert.StartsWith("reaches DbCommand.CommandText", flow[^1].Message, StringComparison.Ordinal);
        var messages = flow.Select(s => s.Message).ToList();
        AssertInOrder(messages,
            "passed through 'Trim'",
            "passed to parameter 'name' of 'IUserService.FindAsync'",
            "passed to parameter 'name' of 'UserService.Filter'",
            "interpolated into a string",
            "returned from 'UserService.Filter'",
            "passed to parameter 'filter' of 'UserRepository.QueryAsync'",
            "concatenated into a string");
        Assert.Contains(flow, s => s.Path == "src/Web/UsersController.cs" && s.Message.StartsWith("passed to parameter", StringComparison.Ordinal));
    }

    [Fact]
    public void A_summary_is_computed_once_and_reused_at_every_call()
    {
        const string code = """
            using System.Data.Common;
            using Microsoft.AspNetCore.Mvc;

            public class ReportsController(DbConnection db) : ControllerBase
            {
                public IActionResult ByName(string name) => Ok(Run(Where("name", name)));
                public IActionResult ByCity(string city) => Ok(Run(Where("city", city)));
                public IActionResult ByCountry(string country) => Ok(Run(Where("country", country)));

                private static string Where(string column, string value) => column + " = '" + value + "'";

                private object? Run(string where)
                {
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = "SELECT * FROM Reports WHERE " + where;
                    return cmd.ExecuteScalar();
                }
            }
            """;
        var sink = RecordingSink.Analyze(("src/Reports.cs", code));

        Assert.Equal(3, sink.Of(Sql).Count);
        Assert.Equal(2, sink.Statistics["codeTaintSummaries"]);
        Assert.True(sink.Statistics["codeTaintSummaryReuses"] >= 4, sink.Describe());
    }

    [Fact]
    public void Await_lambdas_local_functions_and_linq_carry_taint()
    {
        const string code = """
            using System.Collections.Generic;
            using System.Data.Common;
            using System.Linq;
            using System.Threading.Tasks;
            using Microsoft.AspNetCore.Http;

            public class Exporter(DbConnection db)
            {
                private static Task<string> ReadTagsAsync(HttpRequest request) => Task.FromResult(request.Query["tags"].ToString());

                public async Task Export(HttpRequest request)
                {
                    var raw = await ReadTagsAsync(request);
                    var tags = raw.Split(',').Where(t => t.Length > 0).Select(t => "'" + t.Trim() + "'").ToList();
                    string Quote(IEnumerable<string> values) => string.Join(",", values);
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = $"SELECT * FROM Items WHERE Tag IN ({Quote(tags)})";
                    await cmd.ExecuteNonQueryAsync();
                }
            }
            """;
        var sink = RecordingSink.Analyze(("src/Exporter.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Sql));
        Assert.Contains("request query 'tags'", detection.Message, StringComparison.Ordinal);
        Assert.Contains(detection.Flow!, s => s.Message == "returned from 'Quote'");
    }

    [Fact]
    public void Any_string_property_of_a_bound_model_is_tainted_but_its_numbers_are_not()
    {
        const string code = """
            using System.Data.Common;
            using Microsoft.AspNetCore.Mvc;

            public sealed class SearchModel { public string? Name { get; set; } public int Page { get; set; } }

            [ApiController]
            public class SearchController(DbConnection db) : ControllerBase
            {
                [HttpPost]
                public IActionResult ByName([FromBody] SearchModel model)
                {
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = "SELECT * FROM T WHERE Name = '" + model.Name + "'";
                    return Ok(cmd.ExecuteScalar());
                }

                [HttpPost]
                public IActionResult ByPage([FromBody] SearchModel model)
                {
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = "SELECT * FROM T OFFSET " + (model.Page * 20);
                    cmd.CommandText = "SELECT * FROM T WHERE Id > " + model.Page;
                    return Ok(cmd.ExecuteScalar());
                }
            }
            """;
        var sink = RecordingSink.Analyze(("src/Search.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Sql));
        Assert.Contains("'model'", detection.Message, StringComparison.Ordinal);
        Assert.Contains("model.Name", code[detection.Start..(detection.Start + detection.Length)], StringComparison.Ordinal);
    }

    [Fact]
    public void Int_parse_kills_sql_taint_and_html_encoding_kills_xss_but_not_sql()
    {
        const string code = """
            using System.Data.Common;
            using System.Net;
            using Microsoft.AspNetCore.Html;
            using Microsoft.AspNetCore.Mvc;

            public class ItemsController(DbConnection db) : Controller
            {
                public IActionResult Get(string id)
                {
                    var number = int.Parse(id);
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = "SELECT * FROM Items WHERE Id = " + number;
                    return Ok(cmd.ExecuteScalar());
                }

                public IActionResult Show(string title)
                {
                    var encoded = WebUtility.HtmlEncode(title);
                    ViewData["Title"] = new HtmlString("<b>" + encoded + "</b>");
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = "SELECT * FROM Items WHERE Title = '" + encoded + "'";
                    return View();
                }
            }
            """;
        var sink = RecordingSink.Analyze(("src/Items.cs", code));

        Assert.Empty(sink.Of(Xss));
        var (_, sql) = Assert.Single(sink.Of(Sql));
        Assert.Contains("'title'", sql.Message, StringComparison.Ordinal);
        Assert.Contains(sql.Flow!, s => s.Message == "sanitised by 'HtmlEncode'");
    }

    [Fact]
    public void Minimal_api_hub_grpc_and_razor_page_sources_are_followed()
    {
        const string program = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.Builder;

            var app = WebApplication.Create(args);
            app.MapPost("/run", (string command, ILoggerLike log) => Process.Start(command));
            app.Run();

            public interface ILoggerLike { }
            """;
        const string hub = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.SignalR;

            public class ToolsHub : Hub
            {
                public void Run(string tool) => Process.Start(tool);
            }
            """;
        const string grpc = """
            using System.Diagnostics;
            using System.Threading.Tasks;
            using Grpc.Core;

            public class Runner : RunnerService.RunnerServiceBase
            {
                public override Task<RunReply> Run(RunRequest request, ServerCallContext context)
                {
                    Process.Start("/usr/bin/tool", request.Arguments);
                    return Task.FromResult(new RunReply());
                }
            }
            """;
        const string page = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.AspNetCore.Mvc.RazorPages;

            public class RunModel : PageModel
            {
                [BindProperty]
                public string? Tool { get; set; }

                public void OnPost() => Start();

                private void Start() => Process.Start(Tool!);
            }
            """;
        var sink = RecordingSink.Analyze(("Program.cs", program), ("Hubs/ToolsHub.cs", hub), ("Grpc/Runner.cs", grpc), ("Pages/Run.cshtml.cs", page));

        var results = sink.Of("SFI-CODE-002");
        Assert.Contains(results, r => r.Path == "Program.cs" && r.Detection.Message.Contains("route handler parameter 'command'", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Path == "Hubs/ToolsHub.cs" && r.Detection.Message.Contains("SignalR hub argument 'tool'", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Path == "Grpc/Runner.cs" && r.Detection.Message.Contains("gRPC request 'request'", StringComparison.Ordinal));
        Assert.Contains(results, r => r.Path == "Pages/Run.cshtml.cs" && r.Detection.Message.Contains("bound property 'Tool'", StringComparison.Ordinal));
        Assert.DoesNotContain(results, r => r.Detection.Message.Contains("'log'", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_data_stored_in_a_field_reaches_a_sink_in_another_method()
    {
        const string code = """
            using System.IO;
            using Microsoft.AspNetCore.Http;

            public class DownloadHandler
            {
                private string? _file;

                public void Bind(HttpRequest request) => _file = request.Query["file"];

                public byte[] Read() => File.ReadAllBytes(Path.Combine("/data", _file!));
            }
            """;
        var sink = RecordingSink.Analyze(("src/DownloadHandler.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Path));
        Assert.Contains(detection.Flow!, s => s.Message == "read from '_file'");
    }

    [Fact]
    public void Evidence_key_survives_line_moves()
    {
        const string code = """
            using Microsoft.AspNetCore.Mvc;

            public class GoController : ControllerBase
            {
                public IActionResult Go(string url) => Redirect(url);
            }
            """;
        var before = Assert.Single(RecordingSink.Analyze(("src/Go.cs", code)).Of("SFI-CODE-005")).Detection;
        var after = Assert.Single(RecordingSink.Analyze(("src/Go.cs", "// moved\n\n\n" + code)).Of("SFI-CODE-005")).Detection;

        Assert.NotEqual(before.Start, after.Start);
        Assert.Equal(before.Properties!["evidenceKey"], after.Properties!["evidenceKey"]);
    }

    [Fact]
    public void Names_only_match_when_a_package_reference_is_missing_is_counted_and_said()
    {
        const string code = """
            using System.Data;
            using Dapper;
            using Microsoft.AspNetCore.Mvc;

            public class OrdersController(IDbConnection db) : ControllerBase
            {
                public IActionResult Delete(string id) => Ok(db.Execute("DELETE FROM Orders WHERE Id = " + id));
                public IActionResult Safe(string id) => Ok(db.Execute("DELETE FROM Orders WHERE Id = @id", new { id }));
            }
            """;
        var sink = RecordingSink.Analyze(("src/Orders.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Sql));
        Assert.Contains("matched by name", detection.Message, StringComparison.Ordinal);
        Assert.Equal(1, sink.Statistics["codeUnresolvedSinkMatches"]);
        Assert.Contains(sink.Notifications, n => n.Id == "code-unresolved-sinks");
    }

    [Fact]
    public void Files_written_for_implicit_usings_bind_like_the_sdk_would_bind_them()
    {
        // No using directives at all, as in a project with <ImplicitUsings>enable</ImplicitUsings>.
        const string code = """
            public class Reader
            {
                public string FromBody(HttpRequest request) => new StreamReader(request.Body).ReadToEnd();
                public string FromPath(HttpRequest request) => new StreamReader(request.Query["path"].ToString()).ReadToEnd();
            }
            """;
        var sink = RecordingSink.Analyze(("src/Reader.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Path));
        Assert.Contains("request query 'path'", detection.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("matched by name", detection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_only_match_of_a_framework_type_picks_the_overload_by_argument_type()
    {
        // No 'using System.Diagnostics;': Process does not bind, but its overloads are known.
        const string code = """
            public class Runner
            {
                public void Run(HttpRequest request)
                {
                    var psi = new System.Diagnostics.ProcessStartInfo("tool", request.Query["args"].ToString());
                    Process.Start(psi);
                    Process.Start(request.Query["cmd"].ToString());
                }
            }
            """;
        var sink = RecordingSink.Analyze(("src/Runner.cs", code));

        var results = sink.Of("SFI-CODE-002").Select(r => r.Detection.Message).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, results.Count);
        Assert.Contains(results, m => m.Contains("request query 'args'", StringComparison.Ordinal) && !m.Contains("matched by name", StringComparison.Ordinal));
        Assert.Contains(results, m => m.Contains("request query 'cmd'", StringComparison.Ordinal) && m.Contains("matched by name", StringComparison.Ordinal));
    }

    [Fact]
    public void Fluent_string_builder_and_razor_page_input_models_carry_taint_but_parameterised_ef_queries_do_not()
    {
        const string code = """
            using System.Linq;
            using System.Text;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.AspNetCore.Mvc.RazorPages;
            using Microsoft.EntityFrameworkCore;

            public sealed class InputModel { public string? Email { get; set; } }

            public class SignupModel(AppDb db) : PageModel
            {
                [BindProperty]
                public InputModel Input { get; set; } = new();

                public void OnPost()
                {
                    var sb = new StringBuilder();
                    sb.Append("SELECT * FROM Users WHERE Email = '").Append(Input.Email).Append('\'');
                    db.Database.ExecuteSqlRaw(sb.ToString());
                }

                public void OnPostSafe()
                {
                    db.Users.FromSqlInterpolated($"SELECT * FROM Users WHERE Email = {Input.Email}").ToList();
                    db.Database.ExecuteSqlRaw("DELETE FROM Users WHERE Email = {0}", Input.Email!);
                }
            }

            public class AppDb : DbContext
            {
                public DbSet<InputModel> Users => Set<InputModel>();
            }
            """;
        var sink = RecordingSink.Analyze(("Pages/Signup.cshtml.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Sql));
        Assert.Contains("bound property 'Input'", detection.Message, StringComparison.Ordinal);
        Assert.Contains(detection.Flow!, s => s.Message == "added to 'sb'");
    }

    [Fact]
    public void Out_arguments_of_try_methods_carry_the_taint_of_what_was_checked()
    {
        const string code = """
            using Microsoft.AspNetCore.Mvc;

            public class LinksController : Controller
            {
                public IActionResult FromQuery()
                {
                    if (Request.Query.TryGetValue("next", out var next))
                    {
                        return Redirect(next.ToString());
                    }

                    return Ok();
                }

                public IActionResult FromUri(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? Redirect(uri.ToString()) : Ok();

                public IActionResult Numeric(string page) => int.TryParse(page, out var n) ? Redirect("/items?page=" + n) : Ok();
            }
            """;
        var sink = RecordingSink.Analyze(("src/Links.cs", code));

        var results = sink.Of("SFI-CODE-005").Select(r => r.Detection.Message).ToList();
        Assert.Equal(2, results.Count);
        Assert.Contains(results, m => m.Contains("request query 'next'", StringComparison.Ordinal));
        Assert.Contains(results, m => m.Contains("action parameter 'url'", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_data_given_to_an_object_reaches_a_sink_in_its_methods()
    {
        const string code = """
            using System.Data.Common;
            using Microsoft.AspNetCore.Mvc;

            public sealed class ReportQuery(DbConnection db, string filter)
            {
                public int Limit { get; init; } = 10;

                public object? Run()
                {
                    using var command = db.CreateCommand();
                    command.CommandText = "SELECT * FROM Reports WHERE " + filter + " LIMIT " + Limit;
                    return command.ExecuteScalar();
                }
            }

            public class ReportsController(DbConnection db) : ControllerBase
            {
                public IActionResult Search(string filter) => Ok(new ReportQuery(db, filter).Run());
                public IActionResult All() => Ok(new ReportQuery(db, "1 = 1").Run());
            }
            """;
        var sink = RecordingSink.Analyze(("src/Reports.cs", code));

        var (_, detection) = Assert.Single(sink.Of(Sql));
        Assert.Contains("'filter'", detection.Message, StringComparison.Ordinal);
        Assert.Contains(detection.Flow!, s => s.Message == "receiver of 'ReportQuery.Run'");
    }

    private static void AssertInOrder(List<string> messages, params string[] expected)
    {
        var at = -1;
        foreach (var e in expected)
        {
            var next = messages.FindIndex(at + 1, m => m == e);
            Assert.True(next > at, $"'{e}' not found after step {at} in:{Environment.NewLine}{string.Join(Environment.NewLine, messages)}");
            at = next;
        }
    }
}
