namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// A call through an interface or abstract member runs every implementation in source, but a tainted receiver reaches
/// an implementation only when the caller's object can be of its type: a request string compared through
/// <c>IComparable</c>, or one handler passed through a handler interface, does not taint the fields of every other
/// implementing class; an object that is (or may be) the implementing type still carries its request data to the sink.
/// </summary>
public sealed class DispatchReceiverTests
{
    private const string PathTraversal = "SFI-CODE-003";

    [Fact]
    public void A_request_string_compared_through_IComparable_does_not_taint_an_unrelated_comparable_class()
    {
        const string program = """
            using System;
            using System.IO;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;

            var app = WebApplication.Create(args);
            app.MapGet("/order", (HttpRequest request) =>
            {
                var name = request.Query["name"].ToString();
                return Results.Ok(Before(name, "m"));
            });

            app.MapGet("/audit", () => Results.Ok(Before(new AuditEntry(Path.Combine(AppContext.BaseDirectory, "audit.log")), "m")));
            app.Run();

            static bool Before(IComparable value, object other) => value.CompareTo(other) < 0;

            sealed class AuditEntry(string log) : IComparable
            {
                public int CompareTo(object? other)
                {
                    File.AppendAllText(log, "compared");
                    return 0;
                }
            }
            """;

        var sink = RecordingSink.Analyze(("src/Program.cs", program));

        Assert.Empty(sink.Of(PathTraversal));
    }

    private const string Handlers = """
        using System.IO;
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Http;

        var app = WebApplication.Create(args);
        app.MapPost("/greet", (HttpRequest request) =>
        {
            Dispatch(new GreetingHandler(request.Query["name"].ToString()));
            return Results.Ok();
        });
        app.MapPost("/export", (HttpRequest request) =>
        {
            INotificationHandler handler = new ExportHandler(request.Query["file"].ToString());
            Dispatch(handler);
            return Results.Ok();
        });
        app.MapPost("/cleanup", () =>
        {
            Dispatch(new CleanupHandler());
            return Results.Ok();
        });
        app.Run();

        static void Dispatch(INotificationHandler handler) => handler.Handle();

        interface INotificationHandler
        {
            void Handle();
        }

        sealed class GreetingHandler(string name) : INotificationHandler
        {
            public void Handle() => System.Console.WriteLine("hello " + name);
        }

        sealed class CleanupHandler : INotificationHandler
        {
            private readonly string _dir = Path.Combine(Path.GetTempPath(), "cleanup");

            public void Handle() => Directory.Delete(_dir, recursive: true);
        }

        sealed class ExportHandler(string path) : INotificationHandler
        {
            public void Handle() => File.WriteAllText(path, "export");
        }
        """;

    [Fact]
    public void A_handler_made_from_request_data_taints_only_the_implementations_it_can_be_and_still_reaches_its_own_sink()
    {
        var sink = RecordingSink.Analyze(("src/Program.cs", Handlers));

        // The export handler's file, named by the query and reached through the interface, is the one path traversal.
        // The greeting handler cannot be a CleanupHandler; the export handler, passed as an INotificationHandler, could
        // be as far as types tell, but CleanupHandler's directory is a private string it sets itself from no input.
        var (_, detection) = Assert.Single(sink.Of(PathTraversal));
        Assert.True(detection.Start > Handlers.IndexOf("sealed class ExportHandler", StringComparison.Ordinal), sink.Describe());
        Assert.Contains("query 'file'", detection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_whose_field_is_set_from_request_data_reaches_the_sink_through_an_abstract_method()
    {
        const string program = """
            using System.Diagnostics;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;

            var app = WebApplication.Create(args);
            app.MapPost("/run", (HttpRequest request) =>
            {
                var job = new ShellJob { Command = request.Form["cmd"].ToString() };
                Schedule(job, 3);
                Schedule(new IdleJob("/usr/bin/true"), 1);
                return Results.Ok();
            });
            app.Run();

            static void Schedule(Job job, int times)
            {
                for (var i = 0; i < times; i++)
                {
                    job.Run();
                }
            }

            abstract class Job
            {
                public abstract void Run();
            }

            sealed class ShellJob : Job
            {
                public string Command { get; set; } = "";

                public override void Run() => Process.Start(Command);
            }

            sealed class IdleJob(string tool) : Job
            {
                public override void Run() => Process.Start(tool);
            }
            """;

        var sink = RecordingSink.Analyze(("src/Program.cs", program));

        // ShellJob's command from the form reaches Process.Start; IdleJob's tool is given by another caller, not the form.
        var results = sink.Detections.Where(d => d.Detection.Message.Contains("form", StringComparison.Ordinal)).ToList();
        var (_, detection) = Assert.Single(results);
        Assert.InRange(detection.Start, program.IndexOf("sealed class ShellJob", StringComparison.Ordinal), program.IndexOf("sealed class IdleJob", StringComparison.Ordinal));
    }

    [Fact]
    public void A_private_field_set_from_a_constructor_parameter_still_carries_the_receivers_request_data()
    {
        const string program = """
            using System.IO;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;

            var app = WebApplication.Create(args);
            app.MapPost("/archive", (HttpRequest request) =>
            {
                IStep step = new ArchiveStep(request.Query["name"].ToString());
                Execute(step);
                return Results.Ok();
            });
            app.Run();

            static void Execute(IStep step) => step.Apply();

            interface IStep
            {
                void Apply();
            }

            sealed class ArchiveStep : IStep
            {
                private readonly string _target;
                private readonly string _source = Path.Combine(Path.GetTempPath(), "outbox");

                public ArchiveStep(string name) => _target = Path.Combine("/srv/archive", name);

                public void Apply() => File.Move(_source, _target);
            }
            """;

        var sink = RecordingSink.Analyze(("src/Program.cs", program));

        // _target is made from the constructor's parameter, so the request's name reaches the move; _source is not.
        var (_, detection) = Assert.Single(sink.Of(PathTraversal));
        Assert.Contains("query 'name'", detection.Message, StringComparison.Ordinal);
        Assert.Contains(detection.Flow!, step => step.Message.Contains("'_target'", StringComparison.Ordinal));
        Assert.DoesNotContain(detection.Flow!, step => step.Message.Contains("'_source'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_implementing_type_a_summarised_method_dispatched_to_is_checked_at_each_caller_two_calls_up()
    {
        const string program = """
            using System.IO;
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Http;

            var app = WebApplication.Create(args);
            app.MapPost("/note", (HttpRequest request) =>
            {
                Pipeline.Submit(new NoteStep(request.Query["text"].ToString()));
                Pipeline.Submit(new PurgeStep(Path.Combine(Path.GetTempPath(), "purge")));
                return Results.Ok();
            });
            app.MapPost("/save", (HttpRequest request) =>
            {
                Pipeline.Submit(new SaveStep(request.Query["file"].ToString()));
                return Results.Ok();
            });
            app.Run();

            interface IStep
            {
                void Apply();
            }

            static class Pipeline
            {
                public static void Submit(IStep step) => Run(step);

                private static void Run(IStep step) => step.Apply();
            }

            sealed class NoteStep(string text) : IStep
            {
                public void Apply() => System.Console.WriteLine(text);
            }

            sealed class PurgeStep(string directory) : IStep
            {
                public void Apply() => Directory.Delete(directory, recursive: true);
            }

            sealed class SaveStep(string file) : IStep
            {
                public void Apply() => File.WriteAllText(file, "saved");
            }
            """;

        var sink = RecordingSink.Analyze(("src/Program.cs", program));

        // Run's summary reaches both sinks through its parameter, on condition that it is a PurgeStep or a SaveStep:
        // a NoteStep is neither, so its text reaches no file; the SaveStep's file does.
        var (_, detection) = Assert.Single(sink.Of(PathTraversal));
        Assert.Contains("query 'file'", detection.Message, StringComparison.Ordinal);
        Assert.True(detection.Start > program.IndexOf("sealed class SaveStep", StringComparison.Ordinal), sink.Describe());
    }
}
