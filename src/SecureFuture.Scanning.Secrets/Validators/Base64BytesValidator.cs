using System.Globalization;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>base64Bytes: "64"</c> — the secret is standard, padded base64 that decodes to exactly that many bytes
/// (an Azure storage account key is 64 random bytes, 88 characters).
/// </summary>
public sealed class Base64BytesValidator : ISecretValidator
{
    public string Name => "base64Bytes";

    public string? CheckArgument(string? argument) =>
        TryParse(argument, out _) ? null : "the argument must be a byte count between 1 and 4096, e.g. \"64\"";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (!TryParse(candidate.Argument, out var expected))
        {
            return ValidationOutcome.Reject("invalid base64Bytes argument");
        }

        if (candidate.Secret.Length > 8192)
        {
            return ValidationOutcome.Reject("too long");
        }

        var bytes = SecretEncoding.DecodeStrictBase64(candidate.Secret);
        if (bytes is null)
        {
            return ValidationOutcome.Reject("not standard base64");
        }

        return bytes.Length == expected
            ? ValidationOutcome.Accepted
            : ValidationOutcome.Reject(string.Create(CultureInfo.InvariantCulture, $"decodes to {bytes.Length} bytes, not {expected}"));
    }

    private static bool TryParse(string? argument, out int value) =>
        int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value is >= 1 and <= 4096;
}
