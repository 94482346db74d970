using SecureFuture.Core;

namespace SecureFuture.Scanning.Tests;

public sealed class SuppressionTests
{
    private static readonly DateOnly Today = new(2026, 11, 28);
    private readonly List<Notification> _notifications = [];

    private Suppression? Find(string text, int line, string rule = "SFI-SEC-001") =>
        InlineSuppressions.Find(new TextIndex(text), line, rule, Today, "f.cs", _notifications.Add);

    [Fact]
    public void OnTheSameLine_Applies() =>
        Assert.Equal("test fixture", Find("key = \"v\" // sfi:ignore SFI-SEC-001 until 2027-01-01 test fixture", 1)?.Justification);

    [Fact]
    public void OnTheLineAbove_Applies() =>
        Assert.NotNull(Find("# sfi:ignore SFI-SEC-002,SFI-SEC-001 rotated, kept for docs\nkey = v", 2));

    [Fact]
    public void TwoLinesAbove_DoesNotApply() =>
        Assert.Null(Find("# sfi:ignore SFI-SEC-001 reason\n\nkey = v", 3));

    [Fact]
    public void ForAnotherRule_DoesNotApply() =>
        Assert.Null(Find("key = v # sfi:ignore SFI-SEC-009 reason", 1));

    [Fact]
    public void Expired_DoesNotApply_AndIsReported()
    {
        Assert.Null(Find("key = v # sfi:ignore SFI-SEC-001 until 2026-11-27 temporary", 1));
        Assert.Equal("suppression-expired", Assert.Single(_notifications).Id);
    }

    [Fact]
    public void ExpiringToday_StillApplies() =>
        Assert.Equal(new DateOnly(2026, 11, 28), Find("key = v # sfi:ignore SFI-SEC-001 until 2026-11-28 last day", 1)?.Expires);

    [Fact]
    public void WithoutReason_DoesNotApply()
    {
        Assert.Null(Find("key = v # sfi:ignore SFI-SEC-001", 1));
        Assert.Equal("suppression-without-reason", Assert.Single(_notifications).Id);
    }

    [Fact]
    public void CommentCloser_IsNotPartOfTheReason() =>
        Assert.Equal("docs sample", Find("<add key=\"k\" value=\"v\" /> <!-- sfi:ignore SFI-SEC-001 docs sample -->", 1)?.Justification);
}
