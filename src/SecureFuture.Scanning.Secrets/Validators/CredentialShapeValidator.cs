namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>credentialShape</c> — sets the severity of a generic finding from the value itself: <c>high</c> when it looks
/// like a credential (long and random, such as a generated key, or a password with three kinds of character), else
/// <c>medium</c>. A generic rule only knows that a credential-named setting holds some literal; without a credential-
/// shaped value that is worth a look, not a failed build. Documentation files (.md, .rst, .adoc) never go above
/// medium: their assignments are examples far more often than leaks.
/// </summary>
public sealed class CredentialShapeValidator : ISecretValidator
{
    private static readonly HashSet<string> DocumentationExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".md", ".markdown", ".rst", ".adoc", ".asciidoc",
    };

    public string Name => "credentialShape";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var high = LooksLikeCredential(candidate.Secret) && !DocumentationExtensions.Contains(Path.GetExtension(candidate.Path));
        return new ValidationOutcome { Accept = true, Severity = high ? Core.Severity.High : Core.Severity.Medium };
    }

    /// <summary>
    /// At least 10 characters mixing three of lower case, upper case, digits and symbols ("HEBnmewJUNJ4oZ_3"), or at
    /// least 20 characters mixing letters and digits with the entropy of generated text (a hex or base64 key).
    /// </summary>
    internal static bool LooksLikeCredential(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var lower = value.Any(char.IsAsciiLetterLower);
        var upper = value.Any(char.IsAsciiLetterUpper);
        var digit = value.Any(char.IsAsciiDigit);
        var symbol = value.Any(c => !char.IsAsciiLetterOrDigit(c));
        var kinds = (lower ? 1 : 0) + (upper ? 1 : 0) + (digit ? 1 : 0) + (symbol ? 1 : 0);
        if (value.Length >= 10 && kinds >= 3)
        {
            return true;
        }

        return value.Length >= 20 && (lower || upper) && digit && EntropyValidator.ShannonEntropy(value) >= 3.0;
    }
}
