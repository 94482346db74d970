using System.CommandLine;
using System.CommandLine.Parsing;
using SecureFuture.Cli.Identity;
using SecureFuture.Core;
using SecureFuture.Core.Writers;

namespace SecureFuture.Cli.Findings;

/// <summary>
/// <c>--push</c> on a command that produces findings (<c>sfi scan</c>, <c>sfi baseline assess</c>, <c>sfi threatmodel
/// analyze</c>): after the report, the same run is pushed to the findings hub as SARIF, with the flags of
/// <c>sfi findings push</c>. <c>--push</c> needs <c>--project</c> and <c>--ref</c> (a parse error otherwise), and a push
/// the hub refuses makes the command fail with the hub's exit code. <c>--category</c> names the analyses of the SARIF
/// report as well as of the push, so it is also accepted with <c>--format sarif</c> alone (a file uploaded later to
/// GitHub code scanning or with <c>sfi findings push</c> is then the same analyses).
/// </summary>
internal sealed class PushOptions
{
    private readonly Option<bool> _push = new("--push") { Description = "Also push the findings to the findings hub of sfi serve (with --project and --ref)." };
    private readonly Option<string?> _project = new("--project") { Description = "With --push: the registered project." };
    private readonly Option<string?> _ref = new("--ref") { Description = "With --push: the branch or commit analysed." };
    private readonly Option<string?> _category = new("--category");
    private readonly Option<string> _server = HubClient.ServerOption();
    private readonly Option<string?> _adminKeyFile = HubClient.AdminKeyFileOption();
    private readonly ClientCredentialOptions _client = new();
    private readonly string? _defaultCategory;

    private PushOptions(string? defaultCategory) => _defaultCategory = defaultCategory;

    /// <summary>
    /// Adds the options to <paramref name="command"/>; <paramref name="defaultCategory"/> is the category pushed without
    /// --category, or null for a command that pushes one run per analyzer category (--category is then their prefix).
    /// </summary>
    /// <param name="command">The command.</param>
    /// <param name="defaultCategory">The category of the command's one run, or null when it writes a run per category.</param>
    /// <param name="format">The command's <c>--format</c>: <c>--category</c> without <c>--push</c> needs <c>sarif</c>.</param>
    public static PushOptions AddTo(Command command, string? defaultCategory, Option<string> format)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(format);
        var options = new PushOptions(defaultCategory);
        options._category.Description = defaultCategory is null
            ? "A prefix for the analysis category of each run (C/CATEGORY), in a SARIF report and with --push (default: none)."
            : $"The analysis category, in a SARIF report and with --push (default: {defaultCategory}).";
        options._category.Validators.Add(RefuseMalformedCategory);

        foreach (var option in new Option[] { options._push, options._project, options._ref, options._category, options._server, options._adminKeyFile, options._client.Client, options._client.Key })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            var push = result.GetValue(options._push);
            foreach (var option in new[] { options._project, options._ref })
            {
                var given = result.GetResult(option) is { Implicit: false };
                if (push && !given)
                {
                    result.AddError($"--push needs {option.Name}");
                }
            }

            foreach (var option in new Option[] { options._project, options._ref, options._server, options._adminKeyFile, options._client.Client, options._client.Key })
            {
                // (An empty value has its own error from CliOptions.RefuseEmptyValues.)
                if (!push && result.GetResult(option) is { Implicit: false } given && given.Tokens.All(t => t.Value.Length > 0))
                {
                    result.AddError($"{option.Name} is for --push");
                }
            }

            // A category names a SARIF run (automationDetails) or a pushed analysis: any other report has none, and an
            // option that silently did nothing would leave a user believing their upload was filed under it.
            // (A command's validator sees no value for an option left to its default: that is the default's.)
            var chosenFormat = result.GetValue(format) ?? (string?)format.GetDefaultValue();
            if (!push && chosenFormat != "sarif" && result.GetResult(options._category) is { Implicit: false } category && category.Tokens.All(t => t.Value.Length > 0))
            {
                result.AddError($"--category names the analyses of a SARIF report or of --push: give --format sarif or --push (the {chosenFormat} report has no category)");
            }
        });
        return options;
    }

    /// <summary>
    /// Refuses a <c>--category</c> with a control character or an empty <c>/</c>-separated part (<c>a/</c>, <c>/a</c>,
    /// <c>a//b</c>, a blank one): sfi writes <c>automationDetails.id</c> as the category followed by <c>/</c> and GitHub
    /// reads the category up to the last <c>/</c>, so such a value would not be the category it names, and prefixed
    /// (<c>C/secrets</c>) it would make another.
    /// </summary>
    private static void RefuseMalformedCategory(OptionResult result)
    {
        foreach (var value in result.Tokens.Where(t => t.Type == TokenType.Argument && t.Value.Length > 0).Select(t => t.Value))
        {
            if (value.Any(char.IsControl))
            {
                result.AddError("--category: a category has no control characters");
            }
            else if (value.Split('/').Any(string.IsNullOrWhiteSpace))
            {
                result.AddError($"--category: '{value}' has an empty part: name each part between '/' (no leading, trailing or double '/'; sfi ends automationDetails.id with '/' itself)");
            }
        }
    }

    /// <summary>Whether --push was given (a command that streams its report keeps what it will push only then).</summary>
    public bool IsRequested(ParseResult parse) => parse.GetValue(_push);

    /// <summary>
    /// A run's category as the hub takes it: the command's default for a run without one, and <c>--category C</c> applied
    /// (the category of a command of one category, the prefix of each run's, <c>C/secrets</c> or <c>C/tenant</c>, for a
    /// command that splits). The one rule for what <c>--push</c> sends and what a SARIF report says, with or without
    /// <c>--push</c> (<see cref="WithHubCategory"/>, <see cref="HubRuns"/>), so that a report pushed later with
    /// <c>sfi findings push</c> is the same analysis.
    /// </summary>
    private string? HubCategory(ParseResult parse, string? category) => parse.GetValue(_category) is not { } given ? category ?? _defaultCategory
        : _defaultCategory is null ? $"{given}/{category}"
        : given;

    /// <summary>
    /// <paramref name="run"/> (a report's one run) with the category its push has when <paramref name="categories"/> (the
    /// analysis categories that ran) are one, else none: a SARIF report says it as <c>automationDetails</c>, so that
    /// <c>sfi findings push</c> of the file lands where <c>--push</c> would have. A run of several categories has none (a
    /// command that splits writes its <see cref="HubRuns"/> instead).
    /// </summary>
    public AnalysisRun WithHubCategory(ParseResult parse, AnalysisRun run, IReadOnlyList<string?> categories)
        => run with { Category = categories is [var single] ? HubCategory(parse, single) : null };

    /// <summary>
    /// <paramref name="split"/> (one run per analysis category, <see cref="CategoryRuns"/>) with each run's category as the
    /// hub takes it (<see cref="HubCategory"/>): what <c>--push</c> sends, and what a SARIF report of the same command writes,
    /// so that the report pushed later with <c>sfi findings push</c> (or uploaded to GitHub code scanning) lands each run
    /// in its own analysis.
    /// </summary>
    public IReadOnlyList<AnalysisRun> HubRuns(ParseResult parse, IReadOnlyList<AnalysisRun> split)
    {
        ArgumentNullException.ThrowIfNull(split);
        return [.. split.Select(r => r with { Category = HubCategory(parse, r.Category) })];
    }

    /// <summary>Pushes <paramref name="run"/> when --push was given; returns the exit code of the push (0 when not asked).</summary>
    public Task<int> PushAsync(ParseResult parse, AnalysisRun run, TextWriter stderr, CancellationToken cancellationToken)
        => PushAsync(parse, () => [run], stderr, cancellationToken);

    /// <summary>
    /// Pushes the runs <paramref name="split"/> makes, one per analysis category (<see cref="CategoryRuns"/>), as one SARIF log with each
    /// run's <c>automationDetails</c> (<see cref="HubCategory"/>), when --push was given; returns the exit code of the push (0 when not asked).
    /// </summary>
    public async Task<int> PushAsync(ParseResult parse, Func<IReadOnlyList<AnalysisRun>> split, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!parse.GetValue(_push))
        {
            return ExitCodes.Success;
        }

        var runs = HubRuns(parse, split());
        var project = parse.GetValue(_project)!;
        var hub = await HubClient.ConnectAsync(parse.GetValue(_server)!, parse.GetValue(_adminKeyFile), await _client.ResolveAsync(parse, cancellationToken), FindingsCommand.PushScopes(project), TimeProvider.System, cancellationToken);
        using var sarif = new MemoryStream();
        await SarifWriter.WriteLogAsync(runs, sarif, cancellationToken);
        using var content = new ByteArrayContent(sarif.ToArray());

        // The report owns standard output; what the hub did goes to standard error.
        return await FindingsCommand.PushAsync(hub, content, "push", project, parse.GetValue(_ref)!, null, "text", stderr, stderr, cancellationToken);
    }
}
