using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WebApp.Services;

namespace WebApp.Endpoints;

public interface IPlugin
{
    string Run();
}

public sealed class InventoryReport : IPlugin
{
    public string Run() => "inventory";
}

public sealed class SalesReport : IPlugin
{
    public string Run() => "sales";
}

/// <summary>Back-office minimal APIs.</summary>
public static class AdminEndpoints
{
    private static readonly Dictionary<string, Type> Plugins = new(StringComparer.Ordinal)
    {
        ["inventory"] = typeof(InventoryReport),
        ["sales"] = typeof(SalesReport),
    };

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization("staff");

        admin.MapPost("/plugins/{typeName}", (string typeName, IServiceProvider services) =>
        {
            var type = Type.GetType(typeName, throwOnError: true)!; // VULN: unsafe-reflection
            return ((IPlugin)ActivatorUtilities.CreateInstance(services, type)).Run();
        });

        admin.MapPost("/plugins/assemblies", (string assemblyName) => Assembly.Load(assemblyName).GetName().Version?.ToString()); // VULN: unsafe-reflection

        admin.MapPost("/v2/plugins/{name}", (string name, IServiceProvider services) =>
            Plugins.TryGetValue(name, out var type)
                ? Results.Ok(((IPlugin)ActivatorUtilities.CreateInstance(services, type)).Run()) // SAFE: unsafe-reflection
                : Results.NotFound());

        admin.MapGet("/directory/users/{user}", (string user, DirectoryLookup directory) => directory.FindUserPath(user));

        admin.MapGet("/directory/groups/{group}", (string group, DirectoryLookup directory) => directory.FindGroupPath(group));

        admin.MapGet("/directory/employees/{number:int}", (int number, DirectoryLookup directory) => directory.FindEmployeePath(number));

        admin.MapGet("/partners/probe", (string url) => WebhookService.ProbeLegacy(url).ToString());

        admin.MapPost("/drafts/cleanup", (HttpRequest request, FileStorage storage) =>
        {
            foreach (var draft in request.Form["draft"])
            {
                storage.DeleteDraft(draft!);
            }
        });

        return app;
    }
}
