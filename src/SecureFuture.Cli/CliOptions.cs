using System.CommandLine;
using System.CommandLine.Parsing;
using SecureFuture.Core;

namespace SecureFuture.Cli;

/// <summary>
/// The options every command shares, and the one rule for enumerated values: a value outside the allowed set is a
/// parse error (exit 2) that names the allowed values, never a silent default. A gate that opened on
/// <c>--fail-on hihg</c> is the failure this exists for.
/// </summary>
internal static class CliOptions
{
    /// <summary>The <c>--fail-on</c> values, most severe first.</summary>
    public static IReadOnlyList<string> Severities { get; } =
        [.. Enum.GetValues<Severity>().OrderByDescending(s => s).Select(s => s.ToToken())];

    /// <summary><c>--format</c>/<c>-f</c> with the given formats; the first is the default.</summary>
    public static Option<string> Format(string description, IReadOnlyList<string> formats)
    {
        ArgumentNullException.ThrowIfNull(formats);
        return new Option<string>("--format", "-f") { Description = description, DefaultValueFactory = _ => formats[0] }.OneOf(formats);
    }

    /// <summary><c>--output</c>/<c>-o</c> of a report: a file, or standard output when absent or <c>-</c> (see <see cref="CliOutput"/>).</summary>
    public static Option<string?> Output() => new("--output", "-o")
    {
        Description = "Write the report to this file (atomically; devices, FIFOs and /dev/stdout are written through; a symbolic link keeps pointing at its target, which gets the report) instead of standard output (-).",
    };

    /// <summary><c>--fail-on SEVERITY</c>: the gate's threshold, or null when no gate was asked for.</summary>
    public static Option<Severity?> FailOn(string description) => new Option<Severity?>("--fail-on")
    {
        Description = $"{description}: {string.Join(", ", Severities)}.",
        HelpName = "severity",
        CustomParser = result => result.Tokens.Count > 0 && SeverityExtensions.TryParseSeverity(result.Tokens[^1].Value, out var severity) ? severity : null,
    }.OneOf(Severities);

    /// <summary>
    /// Restricts <paramref name="option"/> to <paramref name="allowed"/> (compared exactly, as written in the help).
    /// The values are also its completions, which is how tests find every enumerated option in the command tree.
    /// </summary>
    public static Option<T> OneOf<T>(this Option<T> option, IReadOnlyList<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(allowed);
        option.CompletionSources.Clear(); // an enum-typed option would otherwise also offer the enum's member names
        option.CompletionSources.Add([.. allowed]);
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Type == TokenType.Argument && !allowed.Contains(t.Value, StringComparer.Ordinal)))
            {
                result.AddError(NotAllowed(option.Name, token.Value, allowed));
            }
        });
        return option;
    }

    /// <summary>
    /// <c>NAME a,b</c>: a comma-separated subset of <paramref name="allowed"/>, all of them when the option is absent;
    /// the value is the chosen ones in <paramref name="allowed"/>'s order. An unknown or empty element is a parse error
    /// (exit 2) naming the allowed values, as for <see cref="OneOf"/>, whose completions it shares.
    /// </summary>
    public static Option<IReadOnlyList<string>> SubsetOf(string name, string description, IReadOnlyList<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var option = new Option<IReadOnlyList<string>>(name)
        {
            Description = $"{description}: a comma-separated list of {string.Join(", ", allowed)} (default: all).",
            HelpName = "list",
            Arity = ArgumentArity.ExactlyOne,
            DefaultValueFactory = _ => allowed,
            CustomParser = result =>
            {
                var chosen = Split(result.Tokens);
                return [.. allowed.Where(a => chosen.Contains(a, StringComparer.Ordinal))];
            },
        };
        option.CompletionSources.Clear();
        option.CompletionSources.Add([.. allowed]);
        option.Validators.Add(result =>
        {
            foreach (var unknown in Split(result.Tokens).Where(c => !allowed.Contains(c, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal))
            {
                result.AddError(NotAllowed(name, unknown, allowed));
            }
        });
        return option;

        static string[] Split(IReadOnlyList<Token> tokens) =>
            tokens.Count == 0 ? [] : tokens[^1].Value.Split(',', StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// Makes every option and argument under <paramref name="command"/> refuse an empty value (<c>--output ""</c>,
    /// <c>scan ""</c>) as a parse error naming it (exit 2): no path, URL, duration or name is empty, and an empty path
    /// used to reach .NET as an ArgumentException (exit 70). Run once on the whole tree, so a later option gets it too.
    /// </summary>
    public static void RefuseEmptyValues(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in command.Options)
        {
            option.Validators.Add(result => RefuseEmpty(result, option.Name));
        }

        foreach (var argument in command.Arguments)
        {
            argument.Validators.Add(result => RefuseEmpty(result, argument.Name));
        }

        foreach (var subcommand in command.Subcommands)
        {
            RefuseEmptyValues(subcommand);
        }
    }

    private static void RefuseEmpty(SymbolResult result, string name)
    {
        if (result.Tokens.Any(t => t.Type == TokenType.Argument && t.Value.Length == 0))
        {
            result.AddError($"{name}: an empty value is not allowed");
        }
    }

    /// <summary>The message for a value outside an option's allowed set.</summary>
    public static string NotAllowed(string option, string value, IReadOnlyList<string> allowed) =>
        $"{option}: '{value}' is not one of the allowed values: {string.Join(", ", allowed)}";
}
