using System.CommandLine;
using System.Reflection;
using SecureFuture.Cli.Advisories;
using SecureFuture.Cli.Baseline;
using SecureFuture.Cli.Findings;
using SecureFuture.Cli.Identity;
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
    /// <param name="only">Build only this top-level command (one of <see cref="CommandNames"/>); null: all of them.</param>
    public static RootCommand CreateRoot(TextWriter stdout, TextWriter stderr, TimeProvider clock, Func<Stream>? stdin = null, string? only = null)
    {
        var root = new RootCommand("SecureFuture: the Secure Future Initiative's engineering commitments as one tool.");
        foreach (var (name, create) in Commands(stdout, stderr, clock, stdin))
        {
            if (only is null || only == name)
            {
                root.Subcommands.Add(create());
            }
        }

        CliOptions.RefuseEmptyValues(root);
        return root;
    }

    /// <summary>The top-level commands' names, in the order <c>sfi --help</c> lists them.</summary>
    public static IReadOnlyList<string> CommandNames { get; } = [.. Commands(TextWriter.Null, TextWriter.Null, TimeProvider.System, null).Select(c => c.Name)];

    /// <summary>
    /// Each top-level command by name, built on demand: building all eleven (their options, and the assemblies that
    /// <c>serve</c> and <c>keys</c> load) was a seventh of the CPU time of <c>sfi scan</c> on an empty directory, so a run
    /// builds only the command it was given (<see cref="RunAsync"/>). A test holds each name to its command's.
    /// </summary>
    private static (string Name, Func<Command> Create)[] Commands(TextWriter stdout, TextWriter stderr, TimeProvider clock, Func<Stream>? stdin) =>
    [
        ("scan", () => ScanCommand.Create(stdout, stderr, clock, stdin)),
        ("baseline", () => BaselineCommand.Create(stdout, stderr, clock)),
        ("serve", () => ServeCommand.Create(stdout, stderr, clock)),
        ("keys", () => KeysCommand.Create(stdout, stderr, clock)),
        ("clients", () => ClientsCommand.Create(stdout, stderr)),
        ("token", () => TokenCommand.Create(stdout, stderr, clock)),
        ("findings", () => FindingsCommand.Create(stdout, stderr, clock)),
        ("threatmodel", () => ThreatModelCommand.Create(stdout, stderr, clock)),
        ("sbom", () => SbomCommand.Create(stdout, stderr, clock)),
        ("rules", () => RulesCommand.Create(stdout, stderr)),
        ("advisories", () => AdvisoriesCommand.Create(stdout, stderr, clock)),
    ];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, TimeProvider? clock = null, Func<Stream>? stdin = null)
    {
        // The command the arguments name, alone; anything else (--help, --version, a typo to suggest for) needs them all.
        var only = args.Length > 0 && CommandNames.Contains(args[0], StringComparer.Ordinal) ? args[0] : null;
        var parse = CreateRoot(stdout, stderr, clock ?? TimeProvider.System, stdin, only).Parse(args);
        StartupTrace.Mark("command line");
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"sfi: {error.Message}");
            }

            var command = parse.CommandResult.Command;
            foreach (var token in parse.UnmatchedTokens)
            {
                if (Suggestions.For(token, command) is { } suggestion)
                {
                    await stderr.WriteLineAsync($"sfi: '{token}': did you mean '{suggestion}'?");
                }
            }

            var names = new List<string>();
            for (System.CommandLine.Parsing.SymbolResult? r = parse.CommandResult; r is System.CommandLine.Parsing.CommandResult c && c.Command is not RootCommand; r = c.Parent)
            {
                names.Insert(0, c.Command.Name);
            }

            await stderr.WriteLineAsync($"Run '{string.Join(' ', names.Prepend("sfi"))} --help' for usage.");
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
