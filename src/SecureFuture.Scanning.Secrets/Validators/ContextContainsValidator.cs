namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>contextContains: "service_account"</c> — the file containing the match also contains the argument
/// (case-insensitive). Ties a generic shape, such as a PEM key in JSON, to the document type that makes it a
/// credential.
/// </summary>
public sealed class ContextContainsValidator : ISecretValidator
{
    public string Name => "contextContains";

    public string? CheckArgument(string? argument) =>
        string.IsNullOrWhiteSpace(argument) ? "the argument is the literal text the file must contain" : null;

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return !string.IsNullOrEmpty(candidate.Argument) && candidate.FileText.Contains(candidate.Argument, StringComparison.OrdinalIgnoreCase)
            ? ValidationOutcome.Accepted
            : ValidationOutcome.Reject("the file does not contain the required context");
    }
}
