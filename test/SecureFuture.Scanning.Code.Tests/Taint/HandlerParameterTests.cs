namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// What a lambda's parameters carry: a route handler's only what the framework binds from the request (never the taint
/// of the builder it is registered on), and a cancellation token nothing at all.
/// </summary>
public sealed class HandlerParameterTests
{
    private const string HeaderInjection = "SFI-CODE-013";

    [Fact]
    public void Route_handler_on_a_group_whose_filter_returns_request_data_gets_no_taint_from_the_group()
    {
        // The group's endpoint filter returns request data (so the builder expression carries taint); the handler's
        // HttpContext and CancellationToken are injected by the framework, not built from that builder.
        const string program = """
            using System.Threading;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;

            var app = WebApplication.Create(args);
            var api = app.MapGroup("/v1").AddEndpointFilter(async (invocation, next) =>
            {
                var context = invocation.HttpContext;
                if (context.Request.Headers.Authorization.ToString().Length == 0)
                {
                    return Results.Text("refused: " + context.Request.Headers["X-Reason"].ToString());
                }

                return await next(invocation);
            });
            api.MapPost("/items", (HttpContext context, CancellationToken ct) =>
            {
                context.Response.Headers.Location = "/v1/items/" + context.Items["id"];
                return Results.Ok();
            });
            api.MapPost("/items/{name}", (HttpContext context, string name, CancellationToken ct) =>
            {
                context.Response.Headers.Location = "/v1/items/" + name;
                return Results.Ok();
            });
            app.Run();
            """;
        var sink = RecordingSink.Analyze(("src/Program.cs", program));

        // Only the route value reaches a header; the first handler's Location is built from nothing the caller chose.
        var (_, detection) = Assert.Single(sink.Of(HeaderInjection));
        Assert.True(detection.Start > program.IndexOf("/items/{name}", StringComparison.Ordinal), sink.Describe());
        Assert.True(detection.Start < program.IndexOf("app.Run()", StringComparison.Ordinal), sink.Describe());
        Assert.Contains("'name'", detection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancellation_token_parameter_of_a_lambda_given_tainted_elements_carries_nothing()
    {
        // Each runs the lambda with every request-supplied name and a token: the name is attacker data, the
        // (implicitly typed) token is not.
        const string program = """
            using System;
            using System.Threading;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;

            var app = WebApplication.Create(args);
            app.MapGet("/fan/{names}", (HttpContext context, string names) =>
            {
                names.Split(',').Each((name, ct) =>
                {
                    context.Response.Headers.Append("X-Token", ct.ToString());
                    context.Response.Headers.Append("X-Name", name);
                });
            });
            app.Run();

            public static class Fan
            {
                public static void Each(this string[] items, Action<string, CancellationToken> action)
                {
                    foreach (var item in items)
                    {
                        action(item, CancellationToken.None);
                    }
                }
            }
            """;
        var sink = RecordingSink.Analyze(("src/Program.cs", program));

        var (_, detection) = Assert.Single(sink.Of(HeaderInjection));
        Assert.True(detection.Start > program.IndexOf("ct.ToString()", StringComparison.Ordinal), sink.Describe());
        Assert.True(detection.Start < program.IndexOf("app.Run()", StringComparison.Ordinal), sink.Describe());
    }
}
