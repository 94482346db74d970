using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>What a token's <c>cnf</c> claim (RFC 7800) binds it to.</summary>
/// <param name="JwkThumbprint">RFC 9449 §6.1 <c>cnf.jkt</c>: the DPoP key's RFC 7638 thumbprint.</param>
/// <param name="CertificateThumbprint">RFC 8705 §3.1 <c>cnf.x5t#S256</c>: base64url SHA-256 of the client certificate's DER.</param>
public sealed record TokenConfirmation(string? JwkThumbprint, string? CertificateThumbprint)
{
    /// <summary>No <c>cnf</c>: a plain Bearer token.</summary>
    public static readonly TokenConfirmation None = new(null, null);

    public bool IsBound => JwkThumbprint is not null || CertificateThumbprint is not null;
}

/// <summary>
/// Certificate-bound access tokens (RFC 8705 §3): the token carries the SHA-256 thumbprint of the client's TLS
/// certificate, and a resource server accepts it only over a connection where that same certificate was presented.
/// Only the thumbprint matters; the certificate is not checked against any CA (self-signed certificates are the norm,
/// RFC 8705 §2.2).
/// </summary>
public static class CertificateBinding
{
    /// <summary>The <c>cnf</c> member of RFC 8705 §3.1.</summary>
    public const string ThumbprintMember = "x5t#S256";

    /// <summary>base64url(SHA-256(DER of <paramref name="certificate"/>)), the value of <c>cnf.x5t#S256</c>.</summary>
    public static string Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Base64UrlStrict.Encode(SHA256.HashData(certificate.RawData));
    }

    /// <summary>
    /// Whether <paramref name="presented"/> is the certificate named by <paramref name="thumbprint"/>. The comparison
    /// takes the same time wherever the digests differ; a thumbprint that is not 32 bytes of base64url never matches.
    /// </summary>
    public static bool Matches(string thumbprint, X509Certificate2? presented)
    {
        ArgumentNullException.ThrowIfNull(thumbprint);
        if (presented is null || !TryDecodeThumbprint(thumbprint, out var expected))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(presented.RawData));
    }

    /// <summary>
    /// Reads <c>cnf</c> from validated claims. A <c>cnf</c> this library cannot enforce (not an object, a member of the
    /// wrong type or length, or only confirmation methods other than <c>jkt</c> and <c>x5t#S256</c>) is an error: a
    /// token that says only a key holder may use it must never be accepted from anyone because the key was not understood.
    /// </summary>
    public static bool TryReadConfirmation(JsonElement claims, out TokenConfirmation confirmation, out string? error)
    {
        confirmation = TokenConfirmation.None;
        error = null;
        if (claims.ValueKind != JsonValueKind.Object || !claims.TryGetProperty("cnf", out var cnf))
        {
            return true;
        }

        if (cnf.ValueKind != JsonValueKind.Object)
        {
            error = "claim 'cnf' is not an object";
            return false;
        }

        string? jkt = null;
        string? x5t = null;
        var members = 0;
        foreach (var member in cnf.EnumerateObject())
        {
            members++;
            switch (member.Name)
            {
                case "jkt" when member.Value.ValueKind == JsonValueKind.String && member.Value.GetString() is { Length: > 0 } value:
                    jkt = value;
                    break;
                case ThumbprintMember when member.Value.ValueKind == JsonValueKind.String && member.Value.GetString() is { } value && TryDecodeThumbprint(value, out _):
                    x5t = value;
                    break;
                case "jkt" or ThumbprintMember:
                    error = $"claim 'cnf.{member.Name}' is malformed";
                    return false;
                default:
                    break; // other confirmation methods are refused below unless a known one is present too
            }
        }

        if (jkt is null && x5t is null)
        {
            error = members == 0 ? "claim 'cnf' is empty" : "claim 'cnf' names no confirmation method this resource server can check (jkt, x5t#S256)";
            return false;
        }

        confirmation = new TokenConfirmation(jkt, x5t);
        return true;
    }

    private static bool TryDecodeThumbprint(string thumbprint, out byte[] digest)
    {
        digest = [];
        if (thumbprint.Length != 43)
        {
            return false; // 32 bytes are 43 base64url characters without padding
        }

        try
        {
            digest = Base64UrlStrict.Decode(thumbprint);
            return digest.Length == 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
