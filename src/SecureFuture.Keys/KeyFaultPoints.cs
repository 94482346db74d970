namespace SecureFuture.Keys;

/// <summary>
/// The named steps of a key's creation and destruction at which a crash leaves the HSM and the store disagreeing, in
/// the order they happen. Tests end the process at each (<see cref="KeyServiceOptions.FaultPoint"/>; <c>sfi serve
/// --dev</c> with <c>SFI_FAULT_EXIT_AT=&lt;name&gt;</c>) and check that a restart reconciles the two.
/// </summary>
public static class KeyFaultPoints
{
    /// <summary>The intent to create a key is in the audit log; the HSM has not generated it yet.</summary>
    public const string IntentRecorded = "key.intent-recorded";

    /// <summary>The HSM holds the new key; the store does not know it (an orphan after a crash).</summary>
    public const string Generated = "key.generated";

    /// <summary>The store records the new key as pending; it does not sign yet.</summary>
    public const string Recorded = "key.recorded";

    /// <summary>The new key is active in the store; the caller has not been answered.</summary>
    public const string Activated = "key.activated";

    /// <summary>The HSM destroyed a retired key; the store still says retired.</summary>
    public const string DestroyedInHsm = "key.destroyed-in-hsm";

    public static IReadOnlyList<string> All { get; } = [IntentRecorded, Generated, Recorded, Activated, DestroyedInHsm];
}
