namespace SecureFuture.Scanning.Code;

/// <summary>
/// The global usings the .NET SDK generates when <c>ImplicitUsings</c> is enabled (the default in every template since
/// .NET 6), per SDK, as documented at https://learn.microsoft.com/dotnet/core/project-sdk/overview#implicit-using-directives.
/// Without them most modern sources would not bind at all.
/// </summary>
internal static class ImplicitUsings
{
    private static readonly string[] Base =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    ];

    private static readonly string[] Web =
    [
        "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    private static readonly string[] Worker =
    [
        "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    /// <summary>The namespaces a project's generated <c>GlobalUsings.g.cs</c> would import.</summary>
    public static IReadOnlyList<string> For(string? sdk) => sdk switch
    {
        "Microsoft.NET.Sdk.Web" => [.. Base, .. Web],
        "Microsoft.NET.Sdk.Worker" => [.. Base, .. Worker],
        _ => Base,
    };
}
