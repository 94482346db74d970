using System.Text;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// The value a credential file really stores. Some formats encode it without protecting it: FileZilla writes
/// <c>&lt;Pass encoding="base64"&gt;</c>. A rule marks such a value with a named group <c>encoding</c> whose text is
/// <c>base64</c>; validators that judge the password itself (placeholder, strength) look at the decoded text.
/// </summary>
internal static class CredentialValue
{
    public static string Plain(SecretCandidate candidate)
    {
        var value = candidate.Secret.Trim();
        if (candidate.Groups.TryGetValue("encoding", out var encoding)
            && string.Equals(encoding, "base64", StringComparison.OrdinalIgnoreCase)
            && SecretEncoding.DecodeLenientBase64(value) is { } bytes)
        {
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return value; // not text: judge the encoded form
            }
        }

        return value;
    }
}
