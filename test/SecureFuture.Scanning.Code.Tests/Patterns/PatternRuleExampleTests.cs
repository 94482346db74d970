using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Code.Tests.Patterns;

/// <summary>
/// One data-driven test over every pattern rule of the catalogue: each example (vulnerable and safe) goes through the
/// real analyzer, and every pattern rule's results must land exactly on the lines marked <c>// expect SFI-CODE-1xx</c>
/// in that example: no missing result, no extra one, no result of a neighbouring rule that was not expected.
/// </summary>
public sealed partial class PatternRuleExampleTests
{
    private static readonly IReadOnlyList<CodeRule> PatternRules =
        [.. CodeRuleCatalog.Default.Rules.Where(r => r.Document.Pattern is not null)];

    public static TheoryData<string> RuleIds => [.. PatternRules.Select(r => r.Id)];

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Vulnerable_examples_are_reported_at_the_marked_lines(string id)
    {
        var rule = PatternRules.Single(r => r.Id == id);
        Assert.True(rule.Document.Examples.Vulnerable.Count >= 2, $"{rule.Source}: needs at least two vulnerable examples");
        foreach (var (example, i) in rule.Document.Examples.Vulnerable.Select((e, i) => (e, i + 1)))
        {
            Assert.True(Marked(example, id).Count > 0, $"{rule.Source}: vulnerable example {i} marks no line with '// expect {id}'");
            AssertResultsMatchMarks(example, $"{rule.Source}: vulnerable example {i}");
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Safe_examples_are_not_reported(string id)
    {
        var rule = PatternRules.Single(r => r.Id == id);
        Assert.True(rule.Document.Examples.Safe.Count >= 2, $"{rule.Source}: needs at least two safe look-alikes");
        foreach (var (example, i) in rule.Document.Examples.Safe.Select((e, i) => (e, i + 1)))
        {
            Assert.True(Marked(example, id).Count == 0, $"{rule.Source}: safe example {i} expects its own rule");
            AssertResultsMatchMarks(example, $"{rule.Source}: safe example {i}");
        }
    }

    [Fact]
    public void Every_pattern_rule_has_guidance_a_message_and_CWE_tags()
    {
        Assert.True(PatternRules.Count >= 15, $"only {PatternRules.Count} pattern rules");
        Assert.All(PatternRules, r =>
        {
            Assert.Matches(@"^SFI-CODE-1\d\d$", r.Id);
            Assert.StartsWith($"# {r.Id} ", r.Descriptor.HelpMarkdown, StringComparison.Ordinal);
            Assert.Contains("```csharp", r.Descriptor.HelpMarkdown, StringComparison.Ordinal);
            Assert.Contains(r.Descriptor.Tags, t => t.StartsWith("external/cwe/cwe-", StringComparison.Ordinal));
            Assert.Equal($"rules/code/{r.Id}.{r.Descriptor.Name}.yaml", r.Source);
            Assert.Equal(r.Descriptor.Name, r.Document.Pattern);
        });
        var analyzerRules = new CodeAnalyzer().Rules.Select(r => r.Id).ToHashSet();
        Assert.All(PatternRules, r => Assert.Contains(r.Id, analyzerRules));
    }

    private static void AssertResultsMatchMarks(string example, string what)
    {
        var scan = PatternScan.Run(example);
        foreach (var rule in PatternRules)
        {
            var expected = Marked(example, rule.Id);
            var actual = scan.Of(rule.Id).Select(r => r.Line).Distinct().Order().ToList();
            Assert.True(
                expected.SequenceEqual(actual),
                $"{what}: {rule.Id} expected on line(s) [{string.Join(", ", expected)}], reported on [{string.Join(", ", actual)}]" +
                string.Concat(scan.Of(rule.Id).Select(r => $"{Environment.NewLine}  line {r.Line}: {r.Text}")));
        }
    }

    /// <summary>The 1-based lines that carry <c>// expect &lt;id&gt;</c>.</summary>
    private static List<int> Marked(string example, string id) =>
        [.. example.Split('\n')
            .Select((line, i) => (line, i + 1))
            .Where(x => ExpectMarker().Matches(x.line).Any(m => m.Groups[1].Value == id))
            .Select(x => x.Item2)];

    [GeneratedRegex(@"// expect (SFI-CODE-\d+)")]
    private static partial Regex ExpectMarker();
}
