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
    public void YamlSyntaxError_NamesFileLineAndColumn()
    {
        var e = Assert.Throws<InputException>(() => Load(Valid + "\n  bad: [unclosed"));
        Assert.Matches(@"rules/secrets/SFI-SEC-999\.TestToken\.yaml:\d+:\d+:", e.Message);
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
