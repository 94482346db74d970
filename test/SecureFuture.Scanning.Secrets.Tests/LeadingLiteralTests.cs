namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// <see cref="LeadingLiteral"/>: the literal a pattern's matches certainly start with after a token boundary, which lets
/// the analyzer pass over keyword hits inside identifiers (<c>pre_</c> for Resend's <c>re_</c>) without running the
/// pattern; and anything it cannot be sure of gives no literal.
/// </summary>
public class LeadingLiteralTests
{
    private const string B = LeadingLiteral.Boundary;

    [Theory]
    [InlineData(B + "(?<secret>re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24})(?:[^A-Za-z0-9_-]|$)", "re_")]
    [InlineData(B + "ghp_[A-Za-z0-9]{36}", "ghp_")]
    [InlineData(B + "(?<secret>sk-ant-api03-[A-Za-z0-9_-]{93})", "sk-ant-api03-")]
    [InlineData(B + "(?<secret>abcd?x)", "abc")] // the quantified 'd' may be absent
    [InlineData(B + "(?<secret>abcd+x)", "abc")]
    [InlineData(B + "(?<secret>ab{2}c)", null)] // 'a' alone is too short to be worth it
    [InlineData(B + "(?<secret>re_x|other)", null)] // the secret group may be the other branch
    [InlineData(B + "re_x|other", null)]
    [InlineData(B + "(?<secret>re_x)?[a-z]+", null)] // the group may be absent
    [InlineData(B + "(?<secret>re_x)*", null)]
    [InlineData(B + "(?i:re_x)", null)] // inline options could change how it reads
    [InlineData(B + "re_x(?i)[a-z]", null)]
    [InlineData("(?:^|[^A-Za-z0-9])re_x", null)] // another boundary: '-' or '_' could come before
    [InlineData("re_[a-z]+", null)]
    [InlineData(B + "(re_x)", null)] // not the secret group
    [InlineData(B + @"\x41bc", null)]
    [InlineData(B + "(?<secret>re_[|a-z]+)", "re_")] // a '|' in a class is a character
    [InlineData(B + "(?<secret>re_(?:a|b))", "re_")] // an alternation inside a nested group is after the literal
    [InlineData(B + "(?<secret>re_x)(?:[^A-Za-z0-9_-]|$)", "re_x")]
    public void Literal_is_read_only_when_every_match_certainly_starts_with_it(string pattern, string? literal)
        => Assert.Equal(literal, LeadingLiteral.Of(pattern, ignoreCase: false));

    [Fact]
    public void A_case_insensitive_pattern_has_no_literal()
        => Assert.Null(LeadingLiteral.Of(B + "ghp_[A-Za-z0-9]{36}", ignoreCase: true));

    [Fact]
    public void Every_shipped_literal_is_where_each_of_the_rules_match_examples_starts()
    {
        var withLiteral = SecretRuleCatalog.Default.Rules.Where(r => r.LeadingLiteral is not null).ToList();
        Assert.True(withLiteral.Count >= 50, $"only {withLiteral.Count} rules have a leading literal");
        foreach (var rule in withLiteral)
        {
            foreach (var example in rule.Examples.Match)
            {
                foreach (System.Text.RegularExpressions.Match m in rule.Regex.Matches(example.Text ?? string.Empty))
                {
                    var at = m.Value.IndexOf(rule.LeadingLiteral!, StringComparison.Ordinal);
                    Assert.True(at is 0 or 1, $"{rule.Id}: a match of its example does not start with '{rule.LeadingLiteral}': {m.Value}");
                }
            }
        }
    }

    /// <summary>
    /// The analyzer passes over hits that cannot start a match, and finds the same secrets as the pattern alone would:
    /// a key after a token boundary (anywhere on its line, after another hit inside an identifier, at the line's start,
    /// after a non-ASCII character), not one glued to an identifier or in another case.
    /// </summary>
    [Fact]
    public void Hits_inside_identifiers_are_passed_over_and_every_key_after_a_boundary_is_found()
    {
        var key = "re_" + "Ab3dEf7h" + "_" + "Kx9TqW2mZp4LrV8sNc6YbH1e";
        var text = string.Join('\n',
            $"store_value(pre_{key[3..]}); token = {key}", // a hit inside an identifier first, the key later on the line
            $"{key}",                                      // at the start of a line
            $"clé={key}",                                  // after a non-ASCII character
            $"pre_{key[3..]}",                             // glued to an identifier: no match for the pattern either
            $"RE_{key[3..]}");                             // another case: the pattern is case-sensitive
        var rule = SecretRuleCatalog.Default.Rules.Single(r => r.LeadingLiteral == "re_");
        var expected = text.Split('\n').Select((line, n) => rule.Regex.Count(line)).ToArray();
        Assert.Equal([1, 1, 1, 0, 0], expected);

        var found = RuleExampleTests.Scan(text, "app.env").Where(d => d.RuleId == rule.Id).ToList();
        Assert.Equal(3, found.Count);
    }
}
