using Microsoft.Extensions.Logging;

namespace SecureFuture.Keys;

/// <summary>
/// Every log message of the key service, as structured templates. None carries key material, a PIN or a payload.
/// Defined with <see cref="LoggerMessage.Define{T1}(LogLevel, EventId, string)"/>: the logging abstractions reach this
/// project through Npgsql, without their source generator.
/// </summary>
internal static class KeysLog
{
    private static readonly Action<ILogger, string, string, Exception?> OrphanDestroyedMessage = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(101, nameof(OrphanDestroyed)), "key ring {Ring}: destroyed HSM key {Label} that was never recorded (a rotation was interrupted)");

    private static readonly Action<ILogger, string, string, string, Exception?> OverdueMessage = LoggerMessage.Define<string, string, string>(
        LogLevel.Warning, new EventId(102, nameof(Overdue)), "key ring {Ring}: key {Kid} is past its rotation time; the next key signs from {NextActivation}");

    private static readonly Action<ILogger, string, string, string, string, Exception?> KeyLostMessage = LoggerMessage.Define<string, string, string, string>(
        LogLevel.Warning, new EventId(103, nameof(KeyLost)), "key ring {Ring}: the token does not hold the {State} key {Kid} (HSM object {HsmId}); it is retired and the ring moves to another key");

    private static readonly Action<ILogger, string, string, Exception?> RingUnhealthyMessage = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(104, nameof(RingUnhealthy)), "key ring {Ring}: scheduled work failed and is retried every pass; the other rings are not affected: {Problem}");

    private static readonly Action<ILogger, string, string, Exception?> AuditUnwritableMessage = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(105, nameof(AuditUnwritable)), "key ring {Ring}: could not record the failure in the audit log: {Problem}");

    public static void OrphanDestroyed(ILogger logger, string ring, string label) => OrphanDestroyedMessage(logger, ring, label, null);

    public static void Overdue(ILogger logger, string ring, string kid, string nextActivation) => OverdueMessage(logger, ring, kid, nextActivation, null);

    public static void KeyLost(ILogger logger, string ring, string state, string kid, string hsmId) => KeyLostMessage(logger, ring, state, kid, hsmId, null);

    public static void RingUnhealthy(ILogger logger, string ring, string problem) => RingUnhealthyMessage(logger, ring, problem, null);

    public static void AuditUnwritable(ILogger logger, string ring, string problem) => AuditUnwritableMessage(logger, ring, problem, null);
}
