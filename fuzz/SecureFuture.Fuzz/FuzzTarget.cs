namespace SecureFuture.Fuzz;

/// <summary>
/// One parser of untrusted input under fuzzing. <see cref="Run"/> feeds it one input and returns normally when the
/// parser either accepted the input or refused it the documented way (its own exception type, or a refusal value);
/// anything else that escapes (another exception, a failed invariant) is a finding, and so is a hang or a crash of the
/// process.
/// </summary>
/// <param name="Name">The name on the command line and of the corpus folder, <c>fuzz/corpus/NAME/</c>.</param>
/// <param name="Parser">What is fuzzed: the entry point a user's file or a request reaches.</param>
/// <param name="Run">Feeds one input.</param>
internal sealed record FuzzTarget(string Name, string Parser, Action<byte[]> Run);

/// <summary>A parser broke its contract on an input: the harness reports it as a crash (AFL++ saves the input).</summary>
internal sealed class InvariantViolationException : Exception
{
    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
