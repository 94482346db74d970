using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// Every option with a fixed set of values refuses any other value with exit 2 and names the allowed ones: a gate
/// must never open on <c>--fail-on hihg</c>. The options are found by walking the command tree, so an option added
/// later is checked without touching this file, and an option that takes a value must be declared either enumerated
/// (<see cref="CliOptions.OneOf"/>) or free-form (the list below) before the test passes.
/// </summary>
public sealed class EnumeratedOptionTests
{
    /// <summary>Options whose value is not drawn from a fixed set: paths, URLs, durations, names, numbers.</summary>
    private static readonly HashSet<string> FreeForm = new(StringComparer.Ordinal)
    {
        "--output", "--baseline", "--max-file-size", "--sas-max-lifetime", "--threads", "--exceptions", "--config", "--controls",
        "--template", "--diagram", "--data-dir", "--urls", "--database", "--pkcs11-module", "--token-label", "--pin-file",
        "--tls-cert", "--tls-key", "--issuer", "--client-cert-header", "--access-token-lifetime", "--server", "--admin-key-file",
        "--rotation-period", "--pre-publication", "--verification-grace", "--max-token-lifetime", "--retention", "--audience", "--reason",
        "--parameters", "--metrics-token-file", "--console-origin", "--rules", "--name", "--since-commit", "--log-opts", "--stdin-name",
        "--decode-depth", "--archive-depth", // whole numbers in a range their validators enforce
        "--source", "--kev",
        "--project", "--ref", "--category", "--owner", "--expect", "--rule", "--comment", "--risk-owner", "--until", "--window-days",
        "--client", "--key", "--generate-key", "--scope", "--resource", "--for-url",
        "--sla", "--sla-for", "--kev-window", "--kev-catalog", // parsed and refused by name at start (SlaPolicyOptions, KevCatalog)
        "--ring", "--signature", "--jwks",
    };

    public static TheoryData<string, string> EnumeratedOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (path, option) in Walk())
        {
            // A flag is parsed by System.CommandLine itself (it offers true/false as completions, and is not a choice).
            if (option.ValueType != typeof(bool) && Allowed(option).Count > 0)
            {
                data.Add(string.Join(' ', path), option.Name);
            }
        }

        return data;
    }

    [Fact]
    public void Every_option_that_takes_a_value_is_either_enumerated_or_declared_free_form()
    {
        var undeclared = Walk()
            .Where(p => p.Option.ValueType != typeof(bool) && Allowed(p.Option).Count == 0 && !FreeForm.Contains(p.Option.Name))
            .Select(p => $"sfi {string.Join(' ', p.Command)} {p.Option.Name}")
            .ToList();
        Assert.True(undeclared.Count == 0,
            "these options take a value that nothing restricts; make them CliOptions.OneOf(...) or, if any value is meaningful, add them to FreeForm:\n"
            + string.Join('\n', undeclared));

        // The two options every report command has are always enumerated, wherever they appear.
        var names = EnumeratedOptions().Select(row => (string)row[1]).ToHashSet();
        Assert.Contains("--format", names);
        Assert.Contains("--fail-on", names);
        Assert.All(Walk().Where(p => p.Option.Name is "--format" or "--fail-on"), p => Assert.NotEmpty(Allowed(p.Option)));
        Assert.Equal(["critical", "high", "low", "medium", "note"], Allowed(Walk().First(p => p.Option.Name == "--fail-on").Option).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(EnumeratedOptions))]
    public async Task An_unknown_value_is_exit_2_naming_the_allowed_values(string command, string optionName)
    {
        var (path, option) = Walk().Single(p => string.Join(' ', p.Command) == command && p.Option.Name == optionName);
        var allowed = Allowed(option);
        var bad = option.ValueType == typeof(int?) || option.ValueType == typeof(int) ? "1024" : "hihg";
        var (exit, stdout, stderr) = await CliRunner.RunAsync([.. path, .. RequiredValues(path), optionName, bad]);

        Assert.True(exit == ExitCodes.UsageError, $"sfi {command} {optionName} {bad}: exit {exit}\n{stdout}{stderr}");
        var line = stderr.Split('\n').SingleOrDefault(l => l.Contains(optionName, StringComparison.Ordinal) && l.Contains($"'{bad}'", StringComparison.Ordinal));
        Assert.True(line is not null, $"no error names {optionName} and '{bad}':\n{stderr}");
        Assert.All(allowed, value => Assert.Contains(value, line, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(EnumeratedOptions))]
    public void Every_allowed_value_parses(string command, string optionName)
    {
        var (path, option) = Walk().Single(p => string.Join(' ', p.Command) == command && p.Option.Name == optionName);
        var root = CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System);
        foreach (var value in Allowed(option))
        {
            var parse = root.Parse([.. path, .. RequiredValues(path), optionName, value]);
            Assert.True(parse.Errors.Count == 0, $"sfi {command} {optionName} {value}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }

    [Fact]
    public async Task A_gate_typo_no_longer_passes_a_failing_tenant()
    {
        // The report of the issue: the sample tenant fails critical controls, yet '--fail-on hihg' exited 0.
        var sample = Path.Combine(CliRunner.RepoRoot(), "samples", "tenant");
        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", sample, "--fail-on", "hihg");
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Empty(stdout);
        Assert.Contains("critical, high, medium, low, note", stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.GateTripped, (await CliRunner.RunAsync("baseline", "assess", sample, "--fail-on", "high")).Exit);
    }

    private static List<string> Allowed(Option option) =>
        [.. option.GetCompletions(CompletionContext.Empty).Select(c => c.Label)];

    /// <summary>Placeholders for a command's required arguments and options, so that only the option under test is wrong.</summary>
    private static IEnumerable<string> RequiredValues(IReadOnlyList<string> path)
    {
        var command = Find(path);
        foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0))
        {
            yield return "placeholder-" + argument.Name;
        }

        foreach (var option in command.Options.Where(o => o.Required))
        {
            yield return option.Name;
            yield return "placeholder";
        }
    }

    private static Command Find(IReadOnlyList<string> path)
    {
        Command command = CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System);
        foreach (var name in path)
        {
            command = command.Subcommands.Single(c => c.Name == name);
        }

        return command;
    }

    private static IEnumerable<(IReadOnlyList<string> Command, Option Option)> Walk()
    {
        var stack = new Stack<(List<string> Path, Command Command)>();
        stack.Push(([], CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System)));
        while (stack.Count > 0)
        {
            var (path, command) = stack.Pop();
            foreach (var option in command.Options.Where(o => o is not (HelpOption or VersionOption)))
            {
                yield return (path, option);
            }

            foreach (var sub in command.Subcommands)
            {
                stack.Push(([.. path, sub.Name], sub));
            }
        }
    }
}
