using SecureFuture.Core;
using SecureFuture.Findings.Sla;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Tests.Sla;

/// <summary>The SLA policy as sfi serve's --sla, --sla-for and --kev-window give it.</summary>
public class SlaPolicyOptionsTests
{
    [Fact]
    public void Given_windows_replace_the_defaults_and_the_rest_keep_theirs()
    {
        var policy = SlaPolicyOptions.Apply(SlaPolicy.Default, "critical=P3D, low=none", "critical:high=P14D,high:medium=PT36H", "P2D");

        Assert.Equal(TimeSpan.FromDays(3), policy.Window(Severity.Critical, Criticality.Medium));
        Assert.Equal(TimeSpan.FromDays(30), policy.Window(Severity.High, Criticality.Medium));
        Assert.Equal(TimeSpan.FromDays(14), policy.Window(Severity.High, Criticality.Critical));
        Assert.Equal(TimeSpan.FromHours(36), policy.Window(Severity.Medium, Criticality.High));
        Assert.Equal(TimeSpan.FromDays(90), policy.Window(Severity.Medium, Criticality.Low));
        Assert.Null(policy.Window(Severity.Low, Criticality.Medium));
        Assert.Equal(TimeSpan.FromDays(2), policy.KevWindow);
        Assert.Equal(SlaPolicy.Default, SlaPolicyOptions.Apply(SlaPolicy.Default, null, null, null));
    }

    [Theory]
    [InlineData("urgent=P1D", null, null, "'urgent' is not a severity")]
    [InlineData("high", null, null, "'high' is not KEY=DURATION")]
    [InlineData("high=30 days", null, null, "'30 days' is not an ISO 8601 duration")]
    [InlineData("high=PT0S", null, null, "'PT0S': a deadline window is longer than nothing")]
    [InlineData(null, "high=P1D", null, "'high' is not CRITICALITY:SEVERITY")]
    [InlineData(null, "severe:high=P1D", null, "'severe:high' is not CRITICALITY:SEVERITY")]
    [InlineData(null, "high:bad=P1D", null, "'bad' is not a severity")]
    [InlineData(null, null, "none", "known-exploited findings always have a deadline")]
    [InlineData(null, null, "P99999D", "at most P3650D")]
    public void A_value_that_is_not_understood_is_refused_by_name(string? windows, string? perCriticality, string? kev, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SlaPolicyOptions.Apply(SlaPolicy.Default, windows, perCriticality, kev));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
