using SecureFuture.Findings.Lifecycle;

namespace SecureFuture.Findings.Tests.Lifecycle;

public class TransitionsTests
{
    [Theory]
    [InlineData(FindingState.Open, null)]
    [InlineData(FindingState.Fixed, FindingState.Reopened)]
    [InlineData(FindingState.Reopened, null)]
    [InlineData(FindingState.Dismissed, null)]
    [InlineData(FindingState.Accepted, null)]
    public void Reported_again(FindingState current, FindingState? next) => Assert.Equal(next, Transitions.OnReported(current));

    [Theory]
    [InlineData(FindingState.Open, FindingState.Fixed)]
    [InlineData(FindingState.Reopened, FindingState.Fixed)]
    [InlineData(FindingState.Accepted, FindingState.Fixed)]
    [InlineData(FindingState.Dismissed, null)]
    [InlineData(FindingState.Fixed, null)]
    public void Missing_from_a_complete_analysis(FindingState current, FindingState? next) => Assert.Equal(next, Transitions.OnMissingFromCompleteAnalysis(current));

    [Fact]
    public void An_acceptance_reads_open_from_its_expiry_on()
    {
        var until = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(FindingState.Accepted, Transitions.Effective(FindingState.Accepted, until, until.AddTicks(-1)));
        Assert.Equal(FindingState.Open, Transitions.Effective(FindingState.Accepted, until, until));
        Assert.Equal(FindingState.Dismissed, Transitions.Effective(FindingState.Dismissed, until, until.AddDays(1)));
    }

    [Fact]
    public void Tokens_round_trip()
    {
        foreach (var state in Enum.GetValues<FindingState>())
        {
            Assert.True(FindingStateTokens.TryParseState(state.ToToken().ToUpperInvariant(), out var parsed));
            Assert.Equal(state, parsed);
        }

        Assert.True(FindingStateTokens.TryParseReason("wont-fix", out var reason));
        Assert.Equal(DismissReason.WontFix, reason);
        Assert.False(FindingStateTokens.TryParseState("closed", out _));
    }
}
