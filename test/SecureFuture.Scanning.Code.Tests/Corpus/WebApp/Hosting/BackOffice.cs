using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace WebApp.Hosting;

/// <summary>The back-office site, hosted on its own port next to the shop.</summary>
public static class BackOffice
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddControllers();
        var app = builder.Build();

        // Left in after a staging incident: stack traces for everyone, in every environment.
        app.UseDeveloperExceptionPage(); // VULN: developer-exception-page

        app.MapControllers();
        return app;
    }
}
