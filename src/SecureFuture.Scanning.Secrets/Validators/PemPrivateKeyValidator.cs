namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>pemPrivateKey</c> — the secret is the body of a PEM private key block (RFC 7468). It is accepted when it
/// decodes to DER (a SEQUENCE, tag 0x30) or to the OpenSSH container (<c>openssh-key-v1\0</c>); for legacy
/// encrypted PEM (RFC 1421 <c>Proc-Type: 4,ENCRYPTED</c>) the body is ciphertext and only its block alignment is
/// checked. Documentation bodies such as <c>MIIE...</c> and truncated bodies are rejected.
/// </summary>
public sealed class PemPrivateKeyValidator : ISecretValidator
{
    /// <summary>The shortest body accepted, in base64 characters; a real key is far longer.</summary>
    public const int MinimumBodyLength = 64;

    public string Name => "pemPrivateKey";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var text = candidate.Secret.Contains("-----BEGIN ", StringComparison.Ordinal)
            ? KeyMaterial.PemBody(candidate.Secret, out var legacyFromBlock)
            : KeyMaterial.StripHeaders(candidate.Secret, out legacyFromBlock);
        var encryptedLegacy = legacyFromBlock || candidate.Match.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.OrdinalIgnoreCase);
        return Check(text, encryptedLegacy);
    }

    internal static ValidationOutcome Check(string? body, bool encryptedLegacy)
    {
        if (body is null)
        {
            return ValidationOutcome.Reject("no PEM private key body");
        }

        if (body.Contains("...", StringComparison.Ordinal) || body.Contains('…', StringComparison.Ordinal))
        {
            return ValidationOutcome.Reject("elided documentation body");
        }

        if (body.Length < MinimumBodyLength)
        {
            return ValidationOutcome.Reject("body too short to be a key");
        }

        var bytes = SecretEncoding.DecodeLenientBase64(body);
        if (bytes is null)
        {
            return ValidationOutcome.Reject("body is not base64");
        }

        if (encryptedLegacy)
        {
            // DES-EDE3-CBC and AES-CBC ciphertext is a whole number of 8- or 16-byte blocks.
            return bytes.Length % 8 == 0 ? ValidationOutcome.Accepted : ValidationOutcome.Reject("encrypted body is not block aligned");
        }

        return bytes.AsSpan().StartsWith(KeyMaterial.OpenSshMagic) || bytes[0] == 0x30
            ? ValidationOutcome.Accepted
            : ValidationOutcome.Reject("body is not DER or an OpenSSH key");
    }
}
