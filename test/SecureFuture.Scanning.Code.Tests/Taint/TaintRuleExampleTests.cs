using SecureFuture.Scanning.Code.Taint;

namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>Every taint rule's own examples, through the real analyzer: vulnerable ones are found, safe look-alikes are not.</summary>
public sealed class TaintRuleExampleTests
{
    public static TheoryData<string> TaintRuleIds() => [.. TaintModel.Default.Rules.Select(r => r.Id)];

    [Fact]
    public void Catalogue_ships_the_taint_rules_with_the_analyzer()
    {
        var ids = new CodeAnalyzer().Rules.Select(r => r.Id).ToHashSet();
        Assert.True(TaintModel.Default.Rules.Count >= 14, "expected a data-flow rule per sink family");
        Assert.All(TaintModel.Default.Rules, r => Assert.Contains(r.Id, ids));
    }

    [Theory]
    [MemberData(nameof(TaintRuleIds))]
    public void Vulnerable_examples_are_reported(string id)
    {
        var rule = TaintModel.Default.Rules.Single(r => r.Id == id);
        foreach (var (example, i) in rule.Document.Examples.Vulnerable.Select((e, i) => (e, i)))
        {
            var sink = RecordingSink.Analyze(($"src/Example{i}.cs", example));
            Assert.True(sink.Of(id).Count > 0, $"{rule.Source}: vulnerable example {i} was not reported{Environment.NewLine}{sink.Describe()}");
            Assert.DoesNotContain(sink.Notifications, n => n.Id == "code-check-failed");
        }
    }

    [Theory]
    [MemberData(nameof(TaintRuleIds))]
    public void Safe_examples_are_not_reported(string id)
    {
        var rule = TaintModel.Default.Rules.Single(r => r.Id == id);
        foreach (var (example, i) in rule.Document.Examples.Safe.Select((e, i) => (e, i)))
        {
            var sink = RecordingSink.Analyze(($"src/Example{i}.cs", example));
            Assert.True(sink.Of(id).Count == 0, $"{rule.Source}: safe example {i} was reported{Environment.NewLine}{sink.Describe()}");
            Assert.DoesNotContain(sink.Notifications, n => n.Id == "code-check-failed");
        }
    }
}
