namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>base64Credentials</c> — the secret is base64 of <c>user:password</c> in UTF-8 (HTTP Basic, RFC 7617 §2), as
/// in a Docker <c>config.json</c> <c>auths</c> entry or an <c>.npmrc</c> <c>_auth</c> line. The password must be
/// present and not a placeholder.
/// </summary>
public sealed class Base64CredentialsValidator : ISecretValidator
{
    public string Name => "base64Credentials";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Secret.Length is < 8 or > 4096)
        {
            return ValidationOutcome.Reject("length outside a credential's range");
        }

        var bytes = SecretEncoding.DecodeLenientBase64(candidate.Secret);
        var text = bytes is null ? null : SecretEncoding.DecodeUtf8(bytes);
        if (text is null)
        {
            return ValidationOutcome.Reject("not base64 of UTF-8 text");
        }

        if (text.Any(char.IsControl))
        {
            return ValidationOutcome.Reject("decoded text has control characters");
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            return ValidationOutcome.Reject("not user:password");
        }

        return Placeholders.IsPlaceholder(text[(colon + 1)..], minLength: 1, out var reason)
            ? ValidationOutcome.Reject("password is a placeholder: " + reason)
            : ValidationOutcome.Accepted;
    }
}
