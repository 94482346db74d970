using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// <see cref="BuiltInPatterns"/> is generated from the rules: one <c>[GeneratedRegex]</c> per built-in rule pattern, so
/// that the shipped rules run as code compiled with the assembly (ahead of time under ReadyToRun and Native AOT)
/// instead of interpreted. A rule edit that is not regenerated would silently fall back to the slow path, so the
/// file is checked here against the rules, and rewritten here when <see cref="RegenerateVariable"/> is 1.
/// </summary>
public sealed partial class BuiltInPatternsTests
{
    private const string RegenerateVariable = "SFI_REGENERATE";

    internal const string RegenerateCommand =
        "SFI_REGENERATE=1 dotnet test test/SecureFuture.Scanning.Secrets.Tests --filter FullyQualifiedName~BuiltInPatternsTests";

    private static readonly string GeneratedFile = Path.Combine("src", "SecureFuture.Scanning.Secrets", "BuiltInPatterns.g.cs");

    [Fact]
    public void GeneratedFile_IsCurrentWithTheRules()
    {
        var path = Path.Combine(KeywordSearchTests.RepositoryRoot(), GeneratedFile);
        var expected = Render(SecretRuleCatalog.Default.Rules);
        var actual = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        if (actual == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1")
        {
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, expected, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, path, overwrite: true);
            return;
        }

        Assert.Fail($"{GeneratedFile} is out of date with rules/secrets/: the changed rules would run interpreted. Regenerate it with:\n  {RegenerateCommand}");
    }

    [Fact]
    public void EveryBuiltInRule_RunsItsSourceGeneratedPattern_WithTheRulesOptionsAndTimeout()
    {
        foreach (var rule in SecretRuleCatalog.Default.Rules)
        {
            if (!CanBeGenerated(rule))
            {
                Assert.False(rule.IsSourceGenerated);
                continue;
            }

            Assert.True(rule.IsSourceGenerated, $"{rule.SourceFile}: its pattern is not in {GeneratedFile}; regenerate it with:\n  {RegenerateCommand}");
            var regex = rule.Regex;
            Assert.Equal(rule.Pattern, regex.ToString());
            Assert.Equal(rule.Options, regex.Options);
            Assert.Equal(SecretRule.MatchTimeout, regex.MatchTimeout);

            // The generator falls back to constructing a plain (interpreted) Regex for a pattern it cannot generate.
            Assert.True(regex.GetType() != typeof(Regex), $"{rule.SourceFile}: the regex source generator did not generate code for its pattern");
            Assert.Equal(new Regex(rule.Pattern, rule.Options).GetGroupNames(), regex.GetGroupNames());
        }
    }

    [Fact]
    public void ABuiltInPatternWithOtherOptions_IsNotTakenFromTheTable()
    {
        // Case-insensitive and case-sensitive matching of one text are different patterns: the lookup is by both.
        var rule = SecretRuleCatalog.Default.Rules.First(r => (r.Options & RegexOptions.IgnoreCase) != 0);
        var otherOptions = rule.Options & ~RegexOptions.IgnoreCase;
        Assert.DoesNotContain(SecretRuleCatalog.Default.Rules, r => r.Pattern == rule.Pattern && r.Options == otherOptions);
        Assert.NotNull(BuiltInPatterns.Find(rule.Pattern, rule.Options));
        Assert.Null(BuiltInPatterns.Find(rule.Pattern, otherOptions));
        Assert.Null(BuiltInPatterns.Find(rule.Pattern + "x", rule.Options));
    }

    [Fact]
    public void AUserRulePatternNotInTheTable_RunsInterpreted_AndStillFindsItsSecret()
    {
        var catalog = SecretRuleCatalog.Load(
            [("SFI-SEC-901.Tok.yaml", """
                id: SFI-SEC-901
                name: Tok
                title: Tok
                description: A tok.
                severity: high
                confidence: high
                keywords: [tok_]
                pattern: 'TOK_(?<secret>[0-9]{6})'
                """)],
            _ => "# guidance");
        var rule = Assert.Single(catalog.Rules);
        Assert.False(rule.IsSourceGenerated);
        Assert.Equal(typeof(Regex), rule.Regex.GetType());
        var detection = Assert.Single(RuleExampleTests.ScanBothWays(new SecretAnalyzer(catalog), "x = TOK_123456", "a.txt"));
        Assert.Equal("123456", detection.Secret);
    }

    [Fact]
    public void OnlyCaseInsensitiveBackreferences_AreLeftToTheInterpreter()
    {
        // The one built-in pattern the generator cannot compile keeps today's path (interpreted, then compiled under JIT).
        var interpreted = SecretRuleCatalog.Default.Rules.Where(r => !CanBeGenerated(r)).Select(r => r.Id).ToList();
        Assert.True(
            interpreted.SequenceEqual(["SFI-SEC-111"]),
            $"{string.Join(", ", interpreted)}: a case-insensitive backreference (\\k<name> with ignoreCase: true) cannot be source-generated, so the rule " +
            "runs interpreted (always, under Native AOT). Spell out the alternatives instead of the backreference, or, if it must stay, list the rule here.");
        Assert.True(CanBeGenerated(SecretRuleCatalog.Default.Rules.Single(r => r.Id == "SFI-SEC-298")), "a case-sensitive backreference is generated");
        Assert.Equal(
            [true, true, true, false, false],
            new[] { @"<(?<t>a)>\k<t>", @"(a)\1", @"\\\k't'", @"(a)\\1", @"\d\k" }.Select(p => CaseInsensitiveBackreference().IsMatch(p)));
    }

    /// <summary>
    /// Whether the regex source generator compiles this rule's pattern: it cannot compile a backreference matched
    /// case-insensitively (it then emits a plain, interpreted <see cref="Regex"/>, which the catalogue's own path
    /// does as well and, under JIT, compiles once the rule is busy).
    /// </summary>
    private static bool CanBeGenerated(SecretRule rule) =>
        (rule.Options & RegexOptions.IgnoreCase) == 0 || !CaseInsensitiveBackreference().IsMatch(rule.Pattern);

    /// <summary>A <c>\k&lt;name&gt;</c>, <c>\k'name'</c> or <c>\1</c>-<c>\9</c> not itself escaped (an even run of backslashes before it).</summary>
    [GeneratedRegex(@"(?<!\\)(?:\\\\)*\\(?:k[<']|[1-9])", RegexOptions.CultureInvariant)]
    private static partial Regex CaseInsensitiveBackreference();

    /// <summary>The C# file: one constant and one <c>[GeneratedRegex]</c> per distinct (pattern, options) the generator can compile, and the lookup.</summary>
    internal static string Render(IEnumerable<SecretRule> rules)
    {
        var patterns = rules
            .Where(CanBeGenerated)
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .GroupBy(r => (r.Pattern, r.Options))
            .Select(g => (Name: MemberName(g.First()), g.Key.Pattern, g.Key.Options, Rules: g.Select(r => r.Id).ToList()))
            .ToList();
        var code = new StringBuilder();
        code.Append($$"""
            // <auto-generated>
            // Generated from rules/secrets/*.yaml by BuiltInPatternsTests. Do not edit: after changing a rule's pattern or
            // ignoreCase, regenerate with
            //   {{RegenerateCommand}}
            // A rule whose pattern is missing here still runs, interpreted (slowly, and always so under Native AOT); a test fails.
            // </auto-generated>
            #nullable enable
            using System.Text.RegularExpressions;

            namespace SecureFuture.Scanning.Secrets;

            /// <summary>
            /// The built-in rules' patterns as source-generated regular expressions, compiled with this assembly: Native AOT
            /// ignores <see cref="RegexOptions.Compiled"/> and would interpret them otherwise. Same options
            /// (<see cref="SecretRule.OptionsFor"/>) and timeout (<see cref="SecretRule.MatchTimeout"/>) as any other rule.
            /// </summary>
            internal static partial class BuiltInPatterns
            {
                /// <summary>The source-generated regex for exactly this pattern text and these options; null for any other.</summary>
                internal static Regex? Find(string pattern, RegexOptions options) => (pattern, options) switch
                {

            """);
        foreach (var p in patterns)
        {
            code.Append(CultureInfo.InvariantCulture, $"        ({p.Name}Pattern, {OptionsExpression(p.Options)}) => {p.Name}(),\n");
        }

        code.Append("""
                    _ => null,
                };

            """);
        foreach (var p in patterns)
        {
            code.Append(CultureInfo.InvariantCulture, $"""

                    // {string.Join(", ", p.Rules)}
                    private const string {p.Name}Pattern = {Literal(p.Pattern)};

                    [GeneratedRegex({p.Name}Pattern, {OptionsExpression(p.Options)}, SecretRule.MatchTimeoutMilliseconds)]
                    private static partial Regex {p.Name}();

                """);
        }

        code.Append("}\n");
        return code.ToString();
    }

    /// <summary><c>SFI-SEC-001</c> <c>RsaPrivateKey</c>: <c>Sec001RsaPrivateKey</c>.</summary>
    private static string MemberName(SecretRule rule) => "Sec" + rule.Id["SFI-SEC-".Length..].Replace("-", string.Empty, StringComparison.Ordinal) + rule.Descriptor.Name;

    private static string OptionsExpression(RegexOptions options) =>
        string.Join(" | ", Enum.GetValues<RegexOptions>().Where(o => o != RegexOptions.None && options.HasFlag(o)).Select(o => "RegexOptions." + o));

    /// <summary>A verbatim string when the pattern is printable ASCII (readable), an escaped one otherwise.</summary>
    private static string Literal(string pattern)
    {
        if (pattern.All(c => c is >= ' ' and <= '~'))
        {
            return "@\"" + pattern.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        }

        var literal = new StringBuilder("\"");
        foreach (var c in pattern)
        {
            literal.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                >= ' ' and <= '~' => c.ToString(),
                _ => $"\\u{(int)c:X4}",
            });
        }

        return literal.Append('"').ToString();
    }
}
