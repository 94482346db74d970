using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>A broken rule file must fail loudly with its file, line and column, never load half a rule.</summary>
public sealed class CatalogueLoadingTests
{
    private const string Valid = """
        id: SFI-SEC-999
        name: TestToken
        title: Test token
        description: A token used only by this test.
        severity: high
        confidence: high
        keywords: [tst_]
        pattern: 'tst_(?<secret>[a-z0-9]{20})'
        examples:
          match:
            - text: tst_abcdefghij0123456789
        """;

    private static SecretRuleCatalog Load(string yaml, string file = "SFI-SEC-999.TestToken.yaml") =>
        SecretRuleCatalog.Load([(file, yaml)], _ => "# SFI-SEC-999: Test token");

    [Fact]
    public void ValidRule_Loads() => Assert.Single(Load(Valid).Rules);

    [Fact]
    public void ShippedCatalogue_ReadLazily_IsTheCatalogueCheckedInFull()
    {
        // The shipped catalogue parses patterns and reads examples on first use; this loads the same files through
        // the checking path (every pattern parsed, every example read) and compares everything a scan uses.
        var full = SecretRuleCatalog.Load(SecretRuleCatalog.EmbeddedFiles(), SecretRuleCatalog.EmbeddedGuidance);
        var shipped = SecretRuleCatalog.Default;
        Assert.Equal(full.Rules.Select(r => r.Id), shipped.Rules.Select(r => r.Id));
        foreach (var (a, b) in full.Rules.Zip(shipped.Rules))
        {
            Assert.Equal(a.Pattern, b.Pattern);
            Assert.Equal(a.Keywords, b.Keywords);
            Assert.Equal(a.SecretGroup, b.SecretGroup);
            Assert.Equal(a.Descriptor.HelpMarkdown, b.Descriptor.HelpMarkdown);
            Assert.Equal(a.Descriptor.Name, b.Descriptor.Name);
            Assert.Equal(a.ExtraLines, b.ExtraLines);
            Assert.Equal(a.Validators.Select(v => $"{v.Validator.Name}={v.Argument}"), b.Validators.Select(v => $"{v.Validator.Name}={v.Argument}"));
            Assert.Equal(Examples(a), Examples(b));
            Assert.NotEmpty(b.Examples.Match);
        }

        static IEnumerable<string> Examples(SecretRule rule) =>
            rule.Examples.Match.Concat(rule.Examples.NoMatch).Select(e => $"{e.Path}|{e.Severity}|{e.Secret}|{e.Text}");
    }

    [Fact]
    public void ManyFiles_ReadOnEveryCore_GiveRulesAndProblemsInFileNameOrder()
    {
        // The files are read in parallel: what comes out must not depend on which finished first.
        var files = Enumerable.Range(100, 200).Select(n =>
        {
            var yaml = Valid.Replace("SFI-SEC-999", $"SFI-SEC-{n}", StringComparison.Ordinal).Replace("TestToken", $"TestToken{n}", StringComparison.Ordinal);
            return (FileName: $"SFI-SEC-{n}.TestToken{n}.yaml", Yaml: n % 37 == 0 ? yaml + "\n  bad: [unclosed" : yaml);
        }).Reverse().ToList();

        var e = Assert.Throws<InputException>(() => SecretRuleCatalog.Load(files, _ => "# guidance"));
        var broken = files.Where(f => f.Yaml.Contains("[unclosed", StringComparison.Ordinal)).Select(f => f.FileName).Order(StringComparer.Ordinal).ToList();
        var named = e.Message.Split('\n').Skip(1).Select(l => l[(l.IndexOf('/', StringComparison.Ordinal) + 1)..]).Select(l => l[(l.IndexOf('/', StringComparison.Ordinal) + 1)..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.Equal(broken, named);

        var good = files.Where(f => !f.Yaml.Contains("[unclosed", StringComparison.Ordinal)).ToList();
        var catalogue = SecretRuleCatalog.Load(good, _ => "# guidance");
        Assert.Equal(good.Select(f => f.FileName[..11]).Order(StringComparer.Ordinal), catalogue.Rules.Select(r => r.Id));
    }

    [Fact]
    public void ExamplesCutOutOfARuleFile_LeaveEveryOtherLineWhereItWas()
    {
        const string Yaml = "id: X\nexamples:\n  match:\n    - text: |-\n        a: b\n\n        c\n# note\npattern: 'p'\nseverity: high\n";
        var (rest, examples) = RuleExampleText.Split(Yaml)!.Value;
        Assert.Equal(Yaml.Split('\n').Length, rest.Split('\n').Length);
        Assert.Equal("pattern: 'p'", rest.Split('\n')[8]);
        Assert.Equal("id: X", rest.Split('\n')[0]);
        Assert.DoesNotContain("a: b", rest, StringComparison.Ordinal);
        Assert.Equal("a: b\n\nc", RuleExampleText.Read(examples).Match.Single().Text);
        Assert.Null(RuleExampleText.Split("id: X\npattern: 'examples:'\n"));
    }

    [Fact]
    public void YamlSyntaxError_NamesFileLineAndColumn()
    {
        var e = Assert.Throws<InputException>(() => Load(Valid + "\n  bad: [unclosed"));
        Assert.Matches(@"rules/secrets/SFI-SEC-999\.TestToken\.yaml:\d+:\d+:", e.Message);
    }

    [Theory]
    [InlineData("extraLines: many", 9)]
    [InlineData("keywords: { a: b }", 7)]
    [InlineData("allowList: [x]", 9)]
    public void ValueOfTheWrongType_NamesFileLineAndColumn(string line, int expectedLine)
    {
        // The deserializer is generated at build time (RuleYamlContext); a value it cannot convert must still be an
        // input error at its position, not an internal error.
        var yaml = line.StartsWith("keywords:", StringComparison.Ordinal)
            ? Valid.Replace("keywords: [tst_]", line, StringComparison.Ordinal)
            : Valid.Replace("examples:", line + "\nexamples:", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => Load(yaml));
        Assert.Matches($@"rules/secrets/SFI-SEC-999\.TestToken\.yaml:{expectedLine}:\d+:", e.Message);
    }

    [Fact]
    public void EveryValidatorClass_CanBeNamedByARule()
    {
        // Validators are listed, not discovered (Native AOT trims types nothing names): a new one must be in the list.
        var classes = typeof(SecretRuleCatalog).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && typeof(SecureFuture.Scanning.Secrets.Validators.ISecretValidator).IsAssignableFrom(t))
            .Select(t => t.FullName)
            .Order(StringComparer.Ordinal);
        Assert.Equal(classes, SecretRuleCatalog.Validators.Values.Select(v => v.GetType().FullName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void UnknownField_IsRejected() =>
        Assert.Throws<InputException>(() => Load(Valid + "\nseverty: low"));

    [Theory]
    [InlineData("pattern: 'tst_(?<secret>[a-z'", "not a valid regular expression")]
    [InlineData("severity: urgent", "'severity'")]
    [InlineData("keywords: []", "'keywords' is required")]
    public void InvalidField_IsReportedWithTheReason(string replacement, string expected)
    {
        var field = replacement[..replacement.IndexOf(':', StringComparison.Ordinal)];
        var yaml = string.Join('\n', Valid.Split('\n').Select(l => l.StartsWith(field + ":", StringComparison.Ordinal) ? replacement : l));
        var e = Assert.Throws<InputException>(() => Load(yaml));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileNameMustCarryIdAndName()
    {
        var e = Assert.Throws<InputException>(() => Load(Valid, "token.yaml"));
        Assert.Contains("SFI-SEC-999.TestToken.yaml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownValidator_IsRejected()
    {
        var e = Assert.Throws<InputException>(() => Load(Valid + "\nvalidators:\n  crystalBall: '1'"));
        Assert.Contains("unknown validator 'crystalBall'", e.Message, StringComparison.Ordinal);
    }
}
