namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>privateKeyBlob</c> — the secret is base64 (standard or URL-safe, line breaks and <c>\n</c> escapes allowed)
/// of private key material: PKCS#8 (plain or encrypted), PKCS#1 RSA, SEC1 EC, DSA, a PKCS#12/PFX archive or an
/// OpenSSH key; or PEM text of a private key. Certificates and public keys are rejected, which is what separates a
/// harmless <c>keyCredentials</c> certificate from a leaked signing key.
/// </summary>
public sealed class PrivateKeyBlobValidator : ISecretValidator
{
    public string Name => "privateKeyBlob";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var secret = candidate.Secret;
        if (secret.Length > SecretEncoding.MaxBase64Length)
        {
            return ValidationOutcome.Reject("too long");
        }

        if (secret.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            var body = KeyMaterial.PemBody(secret, out var encryptedLegacy);
            return PemPrivateKeyValidator.Check(body, encryptedLegacy);
        }

        var bytes = SecretEncoding.DecodeLenientBase64(secret);
        if (bytes is null)
        {
            return ValidationOutcome.Reject("not base64");
        }

        // kubeconfig client-key-data is base64 of PEM text, not of DER.
        if (bytes.Length > 0 && bytes[0] == (byte)'-' && SecretEncoding.DecodeUtf8(bytes) is { } pem && pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            var body = KeyMaterial.PemBody(pem, out var encryptedLegacy);
            return PemPrivateKeyValidator.Check(body, encryptedLegacy) is { Accept: true }
                ? new ValidationOutcome { Accept = true, Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["key.format"] = "PEM private key" } }
                : ValidationOutcome.Reject("base64 of PEM text that is not a private key");
        }

        return KeyMaterial.Identify(bytes) is { } format
            ? new ValidationOutcome { Accept = true, Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["key.format"] = format } }
            : ValidationOutcome.Reject("does not decode to private key material");
    }
}
