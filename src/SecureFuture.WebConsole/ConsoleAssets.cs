using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SecureFuture.WebConsole;

/// <summary>
/// The console's two static files, embedded in this assembly and served from this origin (no CDN, nothing fetched from
/// elsewhere, and nothing read from the data directory, which is the host's content root).
/// </summary>
internal static class ConsoleAssets
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["console.css"] = (Read("console.css"), "text/css; charset=utf-8"),
        ["passkey.js"] = (Read("passkey.js"), "text/javascript; charset=utf-8"),
    };

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/assets/{name}", (HttpContext context, string name) =>
    {
        if (!Files.TryGetValue(name, out var file))
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Bytes(file.Bytes, file.ContentType);
    });

    private static byte[] Read(string name)
    {
        using var stream = typeof(ConsoleAssets).Assembly.GetManifestResourceStream("SecureFuture.WebConsole.Assets." + name)
            ?? throw new InvalidOperationException($"the console asset {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
