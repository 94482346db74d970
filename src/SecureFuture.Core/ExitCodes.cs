namespace SecureFuture.Core;

/// <summary>The process exit codes every <c>sfi</c> command uses (DESIGN.md, CLI conventions).</summary>
public static class ExitCodes
{
    /// <summary>The command ran and the gate was not tripped.</summary>
    public const int Success = 0;

    /// <summary>Findings at or above <c>--fail-on</c> were reported.</summary>
    public const int GateTripped = 1;

    /// <summary>Usage or input error; the message names the file, line and column where it can.</summary>
    public const int UsageError = 2;

    /// <summary>An internal error (a bug): the message says so.</summary>
    public const int InternalError = 70;
}
