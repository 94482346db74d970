using System.CommandLine;
using System.Reflection;
using SecureFuture.Cli.Advisories;
using SecureFuture.Cli.Baseline;
using SecureFuture.Cli.Findings;
using SecureFuture.Cli.Keys;
using SecureFuture.Cli.Rules;
using SecureFuture.Cli.Sbom;
using SecureFuture.Cli.Scan;
using SecureFuture.Cli.Serve;
using SecureFuture.Cli.ThreatModel;
using SecureFuture.Core;

namespace SecureFuture.Cli;

/// <summary>Builds the <c>sfi</c> command tree and maps outcomes to the exit codes of DESIGN.md.</summary>
internal static class CliApp
{
    public static string Version { get; } =
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The whole command tree (tests walk it to check every option).</summary>
    /// <param name="stdin">Opens standard input (<c>sfi scan -</c>); the console's when null.</param>
    public static RootCommand CreateRoot(TextWriter stdout, TextWriter stderr, TimeProvider clock, Func<Stream>? stdin = null)
    {
        var root = new RootCommand("SecureFuture: the Secure Future Initiative's engineering commitments as one tool.")
        {
            ScanCommand.Create(stdout, stderr, clock, stdin),
            BaselineCommand.Create(stdout, stderr, clock),
            ServeCommand.Create(stdout, stderr, clock),
            KeysCommand.Create(stdout, stderr, clock),
            FindingsCommand.Create(stdout, stderr, clock),
            ThreatModelCommand.Create(stdout, stderr, clock),
            SbomCommand.Create(stdout, stderr, clock),
            RulesCommand.Create(stdout, stderr),
            AdvisoriesCommand.Create(stdout, stderr, clock),
        };
        CliOptions.RefuseEmptyValues(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, TimeProvider? clock = null, Func<Stream>? stdin = null)
    {
        var parse = CreateRoot(stdout, stderr, clock ?? TimeProvider.System, stdin).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"sfi: {error.Message}");
            }

            if (CommandSuggestions.For(parse) is { } suggestion)
            {
                await stderr.WriteLineAsync($"Did you mean '{suggestion}'?");
            }

            await stderr.WriteLineAsync("Run 'sfi --help' for usage.");
            return ExitCodes.UsageError;
        }

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellation.Token);
        }
        catch (InputException e)
        {
            await stderr.WriteLineAsync($"sfi: {e.Message}");
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("sfi: cancelled");
            return ExitCodes.InternalError;
        }
    }
}
