using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// A match whose allow-list (or validator) pattern runs out of time is met again by the retry, not passed over as
/// already seen: before, the retry skipped it, so the finding was lost without the <c>rule-timeout</c> notice that says a
/// part of the file went unchecked (on a loaded machine, any rule's validators could lose a finding that way).
/// </summary>
public sealed class MatchTimeoutRetryTests
{
    [Fact]
    public void A_match_whose_allow_list_times_out_twice_is_reported_as_unchecked_not_silently_dropped()
    {
        // An override whose allow-list pattern backtracks catastrophically on this secret: it times out on every attempt.
        const string rule = "id: SFI-SEC-041\nallowList:\n  values: ['^(a|aa)+$']\n";
        var problems = new List<Notification>();
        var catalog = SecretRuleCatalog.Default.WithUserRules([("/team/rules/slow-allow.yaml", rule)], problems);
        Assert.DoesNotContain(problems, p => p.Level == NotificationLevel.Error);

        var sink = new RuleExampleTests.CollectingSink();
        new SecretAnalyzer(catalog).Analyze(new ScanTarget("config/app.env", "aws_secret_access_key = " + new string('a', 39) + "/\n"), sink, CancellationToken.None);

        Assert.DoesNotContain(sink.Detections, d => d.RuleId == "SFI-SEC-041");
        var timeout = Assert.Single(sink.Notifications, n => n.RuleId == "SFI-SEC-041");
        Assert.Equal("rule-timeout", timeout.Id);
    }
}
