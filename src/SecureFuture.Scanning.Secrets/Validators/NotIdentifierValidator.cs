using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>notIdentifier</c> — for generic assignment rules: rejects a value that is code rather than a literal.
/// <list type="bullet">
/// <item>An unquoted identifier or member access (<c>password = userInput;</c>, <c>token: request.Token</c>,
/// <c>private_key: ed25519.Ed25519PrivateKey</c> as a type annotation).</item>
/// <item>A camelCase, PascalCase or snake_case name even when quoted (<c>"challengePassword"</c>,
/// <c>"_EllipticCurvePrivateKey"</c>): generated secrets do not spell words with word-shaped capitals.</item>
/// </list>
/// A single quoted word (<c>"correcthorse"</c>) is still accepted: people do choose those as passwords.
/// </summary>
public sealed partial class NotIdentifierValidator : ISecretValidator
{
    public string Name => "notIdentifier";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var secret = candidate.Secret;
        if (secret.Length == 0)
        {
            return ValidationOutcome.Accepted;
        }

        if (NamePattern().IsMatch(secret))
        {
            return ValidationOutcome.Reject("a camelCase, PascalCase or snake_case name, not a literal");
        }

        // Unquoted: letters and '_' alone (userInput), or a member access whose parts are identifiers
        // (request.Token, ed25519.Ed25519PrivateKey). An unquoted run with digits and no dot is a literal in .env files.
        var code = secret.All(c => char.IsAsciiLetter(c) || c is '_' or '$')
            || (secret.Contains('.', StringComparison.Ordinal) && DottedIdentifierPattern().IsMatch(secret));
        if (!code)
        {
            return ValidationOutcome.Accepted;
        }

        var at = candidate.Match.LastIndexOf(secret, StringComparison.Ordinal);
        var quoted = at > 0 && candidate.Match[at - 1] is '"' or '\'' or '`';
        return quoted ? ValidationOutcome.Accepted : ValidationOutcome.Reject("an unquoted code identifier, not a literal");
    }

    [GeneratedRegex(@"^(?:_?(?:[A-Z][a-z]+){2,}|_?[a-z]+(?:[A-Z][a-z]+)+|_?[a-z]+(?:_[a-z]+)+)$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex NamePattern();

    // Dotted identifiers: letters, digits, '_' and '$', no part starting with a digit.
    [GeneratedRegex(@"^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex DottedIdentifierPattern();
}
