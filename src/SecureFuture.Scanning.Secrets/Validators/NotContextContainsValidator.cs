namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>notContextContains: "..."</c> — the file containing the match does not contain the argument
/// (case-insensitive); the complement of <see cref="ContextContainsValidator"/>.
/// </summary>
public sealed class NotContextContainsValidator : ISecretValidator
{
    public string Name => "notContextContains";

    public string? CheckArgument(string? argument) =>
        string.IsNullOrWhiteSpace(argument) ? "the argument is the literal text the file must not contain" : null;

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return !string.IsNullOrEmpty(candidate.Argument) && candidate.FileText.Contains(candidate.Argument, StringComparison.OrdinalIgnoreCase)
            ? ValidationOutcome.Reject("the file contains the excluding context")
            : ValidationOutcome.Accepted;
    }
}
