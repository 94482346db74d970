using System.Xml;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebApp.Services;

namespace WebApp.Endpoints;

public sealed record WebhookRegistration(string PartnerName, string CallbackUrl);

/// <summary>Minimal APIs of the public catalogue.</summary>
public static class CatalogueEndpoints
{
    public static IEndpointRouteBuilder MapCatalogueEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/hello", async (HttpContext context, string name) =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync("<p>Hello, " + name + "!</p>"); // VULN: xss
        });

        app.MapGet("/go", (string target) => Results.Redirect(target)); // VULN: open-redirect

        app.MapGet("/v2/go", (string target) => Results.LocalRedirect(target)); // SAFE: open-redirect

        app.MapPost("/webhooks/test", async (WebhookRegistration registration, WebhookService webhooks) =>
            Results.Ok(await webhooks.PingAsync(registration.CallbackUrl)));

        app.MapGet("/partners/{id:int}", async (int id, WebhookService webhooks) => Results.Text(await webhooks.FetchPartnerProfileAsync(id)));

        app.MapPost("/catalogue/import", (HttpRequest request, ImportService import) => Results.Ok(import.LoadCatalogue(request.Body).DocumentElement?.ChildNodes.Count));

        app.MapPost("/v2/catalogue/import", (HttpRequest request, ImportService import) => Results.Ok(import.LoadCatalogueSafely(request.Body).DocumentElement?.ChildNodes.Count));

        app.MapPost("/catalogue/prices", async (HttpRequest request, ImportService import) =>
        {
            using var reader = new StreamReader(request.Body);
            var prices = import.LoadPriceList(await reader.ReadToEndAsync());
            var sku = request.Query["sku"].ToString();
            return Results.Ok(ImportService.FindBySku(prices, sku)?.Count);
        });

        app.MapPost("/v2/catalogue/prices/{id:int}", (int id, HttpRequest request, ImportService import) =>
            Results.Ok(ImportService.FindById(import.LoadCatalogueSafely(request.Body), id)?.InnerText));

        return app;
    }
}
