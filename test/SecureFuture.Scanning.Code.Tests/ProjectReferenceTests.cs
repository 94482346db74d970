using SecureFuture.Scanning.Code.Tests.Taint;

namespace SecureFuture.Scanning.Code.Tests;

/// <summary>Projects of one scan that reference each other bind to each other, and flows follow them across projects.</summary>
public sealed class ProjectReferenceTests
{
    private const string WebProject = """
        <Project Sdk="Microsoft.NET.Sdk.Web">
          <PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
          <ItemGroup><ProjectReference Include="..\Shop.Data\Shop.Data.csproj" /></ItemGroup>
        </Project>
        """;

    private const string Controller = """
        using Microsoft.AspNetCore.Mvc;
        using Shop.Data;

        namespace Shop.Web;

        public class OrdersController(OrderRepository orders) : Controller
        {
            public IActionResult Delete(string id)
            {
                orders.DeleteById(id);
                return Ok();
            }

            public IActionResult Count(int customer) => Ok(orders.CountFor(customer.ToString()));
        }
        """;

    private const string Repository = """
        using Microsoft.Data.SqlClient;

        namespace Shop.Data;

        public class OrderRepository(SqlConnection connection)
        {
            public void DeleteById(string id)
            {
                using var command = new SqlCommand("DELETE FROM Orders WHERE Id = '" + id + "'", connection);
                command.ExecuteNonQuery();
            }

            public int CountFor(string customer)
            {
                using var command = new SqlCommand("SELECT COUNT(*) FROM Orders WHERE Customer = " + customer, connection);
                return (int)command.ExecuteScalar();
            }
        }
        """;

    [Fact]
    public void A_flow_from_a_controller_into_a_repository_of_a_referenced_project_is_found_with_its_path_through_both()
    {
        var sink = RecordingSink.Analyze(
            ("src/Shop.Web/Shop.Web.csproj", WebProject),
            ("src/Shop.Web/OrdersController.cs", Controller),
            ("src/Shop.Data/Shop.Data.csproj", """<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("src/Shop.Data/OrderRepository.cs", Repository));

        var (path, detection) = Assert.Single(sink.Of("SFI-CODE-001"));
        Assert.Equal("src/Shop.Data/OrderRepository.cs", path);
        Assert.Equal("src/Shop.Web/OrdersController.cs", detection.Flow![0].Path);
        Assert.Equal("src/Shop.Data/OrderRepository.cs", detection.Flow[^1].Path);
        Assert.DoesNotContain(sink.Notifications, n => n.Id == "code-check-failed");
    }

    [Fact]
    public void Without_the_project_reference_the_repository_is_not_reached()
    {
        var sink = RecordingSink.Analyze(
            ("src/Shop.Web/Shop.Web.csproj", WebProject.Replace("""<ItemGroup><ProjectReference Include="..\Shop.Data\Shop.Data.csproj" /></ItemGroup>""", string.Empty, StringComparison.Ordinal)),
            ("src/Shop.Web/OrdersController.cs", Controller),
            ("src/Shop.Data/Shop.Data.csproj", """<Project Sdk="Microsoft.NET.Sdk"></Project>"""),
            ("src/Shop.Data/OrderRepository.cs", Repository));

        Assert.DoesNotContain(sink.Of("SFI-CODE-001"), d => d.Path == "src/Shop.Data/OrderRepository.cs");
    }

    [Fact]
    public void Projects_that_reference_each_other_in_a_cycle_are_still_analysed()
    {
        var sink = RecordingSink.Analyze(
            ("a/A.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><ProjectReference Include="../b/B.csproj" /></ItemGroup></Project>"""),
            ("a/A.cs", "namespace A; public class X { public B.Y? Other; }"),
            ("b/B.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><ProjectReference Include="../a/A.csproj" /></ItemGroup></Project>"""),
            ("b/B.cs", "namespace B; public class Y { public A.X? Other; }"));

        Assert.DoesNotContain(sink.Notifications, n => n.Id == "code-check-failed");
    }

    [Fact]
    public void A_flow_inside_a_referenced_project_is_reported_once_by_its_own_project_not_again_by_each_project_that_uses_it()
    {
        var sink = RecordingSink.Analyze(
            ("src/Shop.Web/Shop.Web.csproj", WebProject),
            ("src/Shop.Web/OrdersController.cs", Controller),
            ("src/Shop.Data/Shop.Data.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>"""),
            ("src/Shop.Data/OrderRepository.cs", Repository),
            ("src/Shop.Data/AdminController.cs", """
                using Microsoft.AspNetCore.Mvc;
                namespace Shop.Data;
                public class AdminController(OrderRepository orders) : Controller
                {
                    public IActionResult Purge(string id) { orders.DeleteById(id); return Ok(); }
                }
                """),
            ("test/Shop.Tests/Shop.Tests.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><ProjectReference Include="../../src/Shop.Web/Shop.Web.csproj" /></ItemGroup></Project>"""),
            ("src/Shop.Web/Purge.cs", """
                using Microsoft.AspNetCore.Http;
                using Shop.Data;
                namespace Shop.Web;
                public class Purge(OrderRepository orders)
                {
                    public void FromQuery(HttpRequest request) => orders.DeleteById(request.Query["id"].ToString());
                }
                """),
            ("test/Shop.Tests/Tests.cs", """
                namespace Shop.Tests;
                public class Tests
                {
                    public void Deletes(Shop.Web.OrdersController c) => c.Delete("1");
                    public void Purges(Shop.Web.Purge p, Microsoft.AspNetCore.Http.HttpRequest r) => p.FromQuery(r);
                }
                """));

        var results = sink.Of("SFI-CODE-001");
        // The web project's action and request read, and the data project's own admin action: each once, none again
        // from the tests that call into them.
        Assert.Equal(
            ["src/Shop.Data/AdminController.cs", "src/Shop.Web/OrdersController.cs", "src/Shop.Web/Purge.cs"],
            results.Select(r => r.Detection.Flow![0].Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_flow_found_from_several_projects_is_reported_once()
    {
        const string input = """
            using Microsoft.AspNetCore.Http;
            namespace Shop.Data;
            public static class Input { public static string Id(HttpRequest r) => r.Query["id"].ToString(); }
            """;
        var sink = RecordingSink.Analyze(
            ("src/Shop.Data/Shop.Data.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"></Project>"""),
            ("src/Shop.Data/OrderRepository.cs", Repository),
            ("src/Shop.Data/Input.cs", input),
            ("src/Shop.Web/Shop.Web.csproj", WebProject),
            ("src/Shop.Web/Api.cs", """
                using Microsoft.AspNetCore.Mvc;
                using Shop.Data;
                namespace Shop.Web;
                public class ApiController(OrderRepository repo) : Controller { public void Run() => repo.DeleteById(Input.Id(Request)); }
                """),
            ("test/Shop.Tests/Shop.Tests.csproj", """<Project Sdk="Microsoft.NET.Sdk.Web"><ItemGroup><ProjectReference Include="../../src/Shop.Web/Shop.Web.csproj" /></ItemGroup></Project>"""),
            ("test/Shop.Tests/Tests.cs", """
                using Microsoft.AspNetCore.Mvc;
                using Shop.Data;
                namespace Shop.Tests;
                public class FakeController(OrderRepository repo) : Controller { public void Deletes() => repo.DeleteById(Input.Id(Request)); }
                """));

        var results = sink.Of("SFI-CODE-001");
        // The web controller and the test controller both reach the repository with the request read in Input.Id.
        var (path, detection) = Assert.Single(results);
        Assert.Equal("src/Shop.Data/OrderRepository.cs", path);
        Assert.Equal("src/Shop.Data/Input.cs", detection.Flow![0].Path);
    }
}
