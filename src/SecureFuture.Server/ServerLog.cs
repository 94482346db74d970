using Microsoft.Extensions.Logging;

namespace SecureFuture.Server;

/// <summary>Every log message of the server. None carries a key, PIN or request body.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "key service ready: {Hsm}, store {Store}")]
    public static partial void Ready(ILogger logger, string hsm, string store);

    [LoggerMessage(2, LogLevel.Information, "key ring {Ring}: {Action} {Kid}")]
    public static partial void Transition(ILogger logger, string ring, string action, string kid);

    [LoggerMessage(3, LogLevel.Information, "key scheduler recovered")]
    public static partial void Recovered(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "key scheduler: {Problem}; retrying every {Interval}")]
    public static partial void SchedulerProblem(ILogger logger, string problem, TimeSpan interval);

    [LoggerMessage(5, LogLevel.Warning, "{Message}")]
    public static partial void Diagnostic(ILogger logger, string message);

    [LoggerMessage(13, LogLevel.Warning, "signature audit: {Problem}; retrying in 1 s")]
    public static partial void SignatureAuditRetry(ILogger logger, string problem);

    [LoggerMessage(12, LogLevel.Warning, "findings: recording expired acceptances failed, retrying in a minute: {Problem}")]
    public static partial void AcceptanceExpiryRetry(ILogger logger, string problem);

    [LoggerMessage(6, LogLevel.Error, "unhandled error on {Method} {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(7, LogLevel.Warning, "{Method} {Path}: {Message}")]
    public static partial void Unavailable(ILogger logger, string method, string path, string message);

    [LoggerMessage(8, LogLevel.Warning, "refused an unauthenticated admin call: {Method} {Path} from {Remote}")]
    public static partial void Unauthenticated(ILogger logger, string method, string path, string? remote);

    [LoggerMessage(10, LogLevel.Warning, "key cache listener: {Problem}; listening again in 2 s (caches expire after 1 s meanwhile)")]
    public static partial void ListenerProblem(ILogger logger, string problem);

    [LoggerMessage(11, LogLevel.Error, "key scheduler: unexpected failure; retrying at the next pass")]
    public static partial void SchedulerDefect(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "emergency rotation of key ring {Ring} by {Actor}: {Kid} signs from now on")]
    public static partial void EmergencyRotation(ILogger logger, string ring, string actor, string kid);
}
