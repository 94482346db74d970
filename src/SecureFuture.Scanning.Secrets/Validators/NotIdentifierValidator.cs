namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>notIdentifier</c> — for generic assignment rules: rejects an unquoted value that is a code identifier or
/// member access (<c>password = userInput;</c>, <c>token: request.Token</c>) rather than a literal. A value counts
/// as an identifier when it has only letters, underscores, dots and <c>$</c>, and no quote precedes it in the match.
/// </summary>
public sealed class NotIdentifierValidator : ISecretValidator
{
    public string Name => "notIdentifier";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var secret = candidate.Secret;
        if (secret.Length == 0 || !secret.All(c => char.IsAsciiLetter(c) || c is '_' or '.' or '$'))
        {
            return ValidationOutcome.Accepted;
        }

        var at = candidate.Match.LastIndexOf(secret, StringComparison.Ordinal);
        var quoted = at > 0 && candidate.Match[at - 1] is '"' or '\'' or '`';
        return quoted ? ValidationOutcome.Accepted : ValidationOutcome.Reject("an unquoted code identifier, not a literal");
    }
}
