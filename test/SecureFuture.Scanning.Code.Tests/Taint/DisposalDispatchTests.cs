namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// <c>IDisposable.Dispose</c> through the interface is not dispatched into every disposable class: a disposed object
/// made from request data does not "delete" another class's file; a call on the class itself still runs its body.
/// </summary>
public sealed class DisposalDispatchTests
{
    private const string PathTraversal = "SFI-CODE-003";

    private const string Program = """
        using System;
        using System.IO;
        using System.Security.Cryptography;
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Http;

        var app = WebApplication.Create(args);
        app.MapPost("/key", (HttpRequest request) =>
        {
            var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Convert.FromBase64String(request.Headers["X-Key"].ToString()) });
            Release(key);
            return Results.Ok();
        });
        app.MapPost("/temp", (HttpRequest request) =>
        {
            var file = new TemporaryFile(request.Query["name"].ToString());
            file.Dispose();
            return Results.Ok();
        });
        app.Run();

        static void Release(IDisposable disposable) => disposable.Dispose();

        sealed class Scratch : IDisposable
        {
            private readonly string _dir = Path.Combine(Path.GetTempPath(), "scratch");

            public void Dispose() => Directory.Delete(_dir, recursive: true);
        }

        sealed class TemporaryFile(string path) : IDisposable
        {
            public void Dispose() => File.Delete(path);
        }
        """;

    [Fact]
    public void A_tainted_object_disposed_through_IDisposable_reaches_no_other_class_and_a_direct_call_still_does()
    {
        var sink = RecordingSink.Analyze(("src/Program.cs", Program));

        // Only the temporary file named by the query is a path traversal; Scratch's own directory is not the key's.
        var (_, detection) = Assert.Single(sink.Of(PathTraversal));
        Assert.True(detection.Start > Program.IndexOf("sealed class TemporaryFile", StringComparison.Ordinal), sink.Describe());
    }
}
