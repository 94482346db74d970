using System.CommandLine;
using System.Globalization;
using SecureFuture.Cli.Scan;
using SecureFuture.Core;
using SecureFuture.Scanning.Code;
using SecureFuture.Scanning.Secrets;

namespace SecureFuture.Cli.Rules;

/// <summary>
/// <c>sfi rules test DIR</c>: every rule of a user's rule directory (secret and code rules, as <c>sfi scan --rules</c>
/// reads them) is loaded, checked and run on its own examples through the real analyzers. Exit 0 when every rule
/// loads and every example behaves, 1 when an example does not (or a pattern backtracks catastrophically), 2 when a rule
/// cannot be loaded or the directory holds no rule.
/// </summary>
internal static class RulesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var directory = new Argument<string>("directory") { Description = "A directory of rule files (*.yaml), as for sfi scan --rules." };
        var test = new Command("test", "Run every rule's match and no-match examples (secret rules) and vulnerable and safe examples (code rules) through the real analyzers; list the ones that do not behave.")
        {
            directory,
        };
        test.SetAction((parse, cancellationToken) => TestAsync(parse.GetValue(directory)!, stdout, stderr, cancellationToken));
        return new Command("rules", "Work with your own rules (sfi scan --rules).") { test };
    }

    private static async Task<int> TestAsync(string directory, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var user = UserRules.Read([(directory, "--rules")]);
        var secrets = user.SecretCatalog();
        var code = user.CodeCatalog();

        // Every user rule's examples ran as its catalogue loaded it (as they do in a scan): a rule whose examples do not
        // behave is left out of the catalogue, and its failures are among the problems.
        var userCode = code.Rules.Count(r => user.Code.Any(f => f.Source == r.Source))
            + user.Problems.Where(p => p.Id == CodeRuleCatalog.ExampleFailed && user.Code.Any(f => f.Source == p.Path)).Select(p => p.Path).Distinct(StringComparer.Ordinal).Count();

        foreach (var problem in user.Problems.OrderBy(p => p.Path, StringComparer.Ordinal).ThenBy(p => p.Region?.StartLine ?? 0))
        {
            await stdout.WriteLineAsync(UserRules.Describe(problem));
        }

        var secretRules = secrets.Rules.Count(r => user.Secret.Any(f => r.SourceFile.Contains(f.Source, StringComparison.Ordinal)));
        var files = user.Secret.Count + user.Code.Count;
        var invalid = user.Problems.Count(p => p.Id == SecretRuleCatalog.InvalidRule);
        var misbehaving = user.Problems.Where(p => p.Level == NotificationLevel.Error && p.Id != SecretRuleCatalog.InvalidRule).Select(p => p.RuleId).Distinct(StringComparer.Ordinal).Count();
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{files + user.Problems.Count(p => p.Id == SecretRuleCatalog.InvalidRule && p.RuleId is null)} rule files: {secretRules} secret rules and overrides, {userCode} code rules loaded; "
            + $"{invalid} invalid, {misbehaving} with examples that do not behave"));
        if (invalid > 0)
        {
            await stderr.WriteLineAsync("sfi: some rules could not be loaded (see above)");
            return ExitCodes.UsageError;
        }

        if (secretRules + userCode == 0)
        {
            await stderr.WriteLineAsync($"sfi: {directory}: no rules to test");
            return ExitCodes.UsageError;
        }

        return misbehaving > 0 ? ExitCodes.GateTripped : ExitCodes.Success;
    }
}
