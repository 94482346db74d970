using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>weakPassword</c> — never rejects. A weak password stored in a credential file is still a leak, and an easier
/// one to exploit: it is probably reused and guessable even where the file never went. When the value is short,
/// a trivial sequence or one of the most common passwords, the finding is raised to critical and says why (never
/// repeating the value). Base64-marked values are judged decoded, as with <c>notTemplate</c>.
/// </summary>
public sealed class WeakPasswordValidator : ISecretValidator
{
    /// <summary>Passwords shorter than this are weak whatever they contain (NIST SP 800-63B's minimum is 8).</summary>
    public const int MinimumLength = 8;

    public string Name => "weakPassword";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var reason = Weakness(CredentialValue.Plain(candidate).Trim('"', '\''));
        return reason is null
            ? ValidationOutcome.Accepted
            : new ValidationOutcome
            {
                Accept = true,
                Severity = Severity.Critical,
                Detail = "weak password: " + reason,
                Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["weakPassword"] = reason },
            };
    }

    /// <summary>Why <paramref name="value"/> is weak, or null when it is not obviously so.</summary>
    public static string? Weakness(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Placeholders.IsCommonPassword(value))
        {
            return "one of the most common passwords";
        }

        if (Placeholders.IsTrivialSequence(value))
        {
            return "a repeated or sequential run of characters";
        }

        return value.Length < MinimumLength ? $"shorter than {MinimumLength} characters" : null;
    }
}
