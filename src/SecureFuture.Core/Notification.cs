namespace SecureFuture.Core;

public enum NotificationLevel
{
    Note = 0,
    Warning,
    Error,
}

/// <summary>
/// A problem the tool met while running (SARIF §3.58): an unreadable file, a file skipped for size, a rule that
/// failed. A notification never stops the run.
/// </summary>
public sealed record Notification(string Id, NotificationLevel Level, string Message)
{
    public string? Path { get; init; }

    public Region? Region { get; init; }

    /// <summary>The rule the notification concerns, when there is one.</summary>
    public string? RuleId { get; init; }
}
