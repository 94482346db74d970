using System.CommandLine;
using System.CommandLine.Help;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// No option or argument takes an empty value: <c>sfi scan ""</c> or <c>--output ""</c> is exit 2 naming it, never
/// an ArgumentException from .NET (exit 70). Every command, option and argument is found by walking the tree, so one
/// added later is checked too.
/// </summary>
public sealed class EmptyValueTests
{
    public static TheoryData<string, string> ValuedSymbols()
    {
        var data = new TheoryData<string, string>();
        foreach (var (path, command) in Commands())
        {
            foreach (var option in command.Options.Where(o => o is not (HelpOption or VersionOption) && o.ValueType != typeof(bool)))
            {
                data.Add(string.Join(' ', path), option.Name);
            }

            foreach (var argument in command.Arguments)
            {
                data.Add(string.Join(' ', path), "<" + argument.Name + ">");
            }
        }

        return data;
    }

    [Fact]
    public void The_walk_finds_the_options_and_arguments_of_the_reported_defect()
    {
        var symbols = ValuedSymbols().Select(row => $"{row[0]} {row[1]}").ToHashSet();
        Assert.Contains("scan <path>", symbols);
        Assert.Contains("scan --baseline", symbols);
        Assert.Contains("baseline assess --output", symbols);
        Assert.Contains("baseline assess --exceptions", symbols);
        Assert.Contains("baseline assess --config", symbols);
    }

    [Theory]
    [MemberData(nameof(ValuedSymbols))]
    public async Task An_empty_value_is_exit_2_naming_the_option_or_argument(string commandPath, string symbol)
    {
        var path = commandPath.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var command = Commands().Single(c => string.Join(' ', c.Path) == commandPath).Command;
        var args = new List<string>(path);
        foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 || "<" + a.Name + ">" == symbol))
        {
            args.Add("<" + argument.Name + ">" == symbol ? string.Empty : "placeholder-" + argument.Name);
        }

        foreach (var option in command.Options.Where(o => o.Required && o.Name != symbol))
        {
            args.AddRange([option.Name, "placeholder"]);
        }

        var name = symbol.Trim('<', '>');
        if (symbol.StartsWith("--", StringComparison.Ordinal))
        {
            args.AddRange([symbol, string.Empty]);
        }

        var (exit, stdout, stderr) = await CliRunner.RunAsync([.. args]);
        Assert.True(exit == ExitCodes.UsageError, $"sfi {string.Join(' ', args.Select(a => a.Length == 0 ? "\"\"" : a))}: exit {exit}\n{stdout}{stderr}");
        Assert.Contains($"sfi: {name}: an empty value is not allowed", stderr, StringComparison.Ordinal);
    }

    private static IEnumerable<(IReadOnlyList<string> Path, Command Command)> Commands()
    {
        var stack = new Stack<(List<string> Path, Command Command)>();
        stack.Push(([], CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System)));
        while (stack.Count > 0)
        {
            var (path, command) = stack.Pop();
            yield return (path, command);
            foreach (var subcommand in command.Subcommands)
            {
                stack.Push(([.. path, subcommand.Name], subcommand));
            }
        }
    }
}
