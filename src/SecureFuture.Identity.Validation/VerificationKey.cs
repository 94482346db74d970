using System.Security.Cryptography;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>A public key from an issuer's JWKS, pinned to one algorithm and, when the JWK says so, to a validity window.</summary>
internal sealed class VerificationKey : IDisposable
{
    // Group orders of P-256 and P-384, big-endian: an ECDSA signature with r or s outside [1, n-1] is refused before
    // any arithmetic (CVE-2022-21449 accepted r = s = 0).
    private static readonly byte[] P256Order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    private static readonly byte[] P384Order = Convert.FromHexString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973");

    /// <summary>A P-384 signature in DER: a SEQUENCE of two INTEGERs of at most 48 bytes and a sign byte each.</summary>
    private const int MaxDerSignature = 2 + (2 * (2 + 1 + 48));

    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;

    private VerificationKey(string kid, string algorithm, ECDsa? ec, RSA? rsa, DateTimeOffset? notBefore, DateTimeOffset? expires)
    {
        Kid = kid;
        Algorithm = algorithm;
        _ec = ec;
        _rsa = rsa;
        NotBefore = notBefore;
        Expires = expires;
    }

    public string Kid { get; }

    /// <summary>The one JWS algorithm this key verifies.</summary>
    public string Algorithm { get; }

    public DateTimeOffset? NotBefore { get; }

    public DateTimeOffset? Expires { get; }

    /// <summary>
    /// Reads one JWK. Returns null (with the reason) for keys that must never be used: private keys, symmetric keys,
    /// keys for encryption, unknown curves, RSA under 2048 bits, an algorithm that does not fit the key, an RSA key
    /// without an explicit <c>alg</c> (RS256 or PS256 cannot be guessed), and keys without a <c>kid</c>.
    /// </summary>
    public static VerificationKey? TryCreate(JsonElement jwk, IReadOnlyList<string> allowed, out string? reason)
    {
        reason = null;
        string? Member(string name) => jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var kid = Member("kid");
        var kty = Member("kty");
        if (string.IsNullOrEmpty(kid))
        {
            reason = "a key without kid";
            return null;
        }

        if (jwk.TryGetProperty("d", out _) || jwk.TryGetProperty("k", out _) || jwk.TryGetProperty("p", out _))
        {
            reason = $"key {kid} carries private or symmetric key material";
            return null;
        }

        if (Member("use") is { } use && use != "sig")
        {
            reason = $"key {kid} is for '{use}', not signatures";
            return null;
        }

        var alg = Member("alg");
        try
        {
            switch (kty)
            {
                case "EC":
                    {
                        var (curve, expected) = Member("crv") switch
                        {
                            "P-256" => (ECCurve.NamedCurves.nistP256, "ES256"),
                            "P-384" => (ECCurve.NamedCurves.nistP384, "ES384"),
                            var other => throw new FormatException($"unsupported curve '{other}'"),
                        };
                        alg ??= expected;
                        if (alg != expected)
                        {
                            throw new FormatException($"alg {alg} does not fit curve {Member("crv")}");
                        }

                        var ec = CreateEcdsa(new ECParameters { Curve = curve, Q = new ECPoint { X = Bytes(Member("x")), Y = Bytes(Member("y")) } });
                        return Allowed(alg, allowed, kid, out reason) ? new VerificationKey(kid, alg, ec, null, Date(jwk, "nbf"), Date(jwk, "exp")) : Dispose(ec);
                    }

                case "RSA":
                    {
                        if (alg is not ("RS256" or "PS256"))
                        {
                            throw new FormatException(alg is null ? "an RSA key must name its alg (RS256 or PS256)" : $"alg {alg} does not fit an RSA key");
                        }

                        var rsa = RSA.Create(new RSAParameters { Modulus = Bytes(Member("n")), Exponent = Bytes(Member("e")) });
                        if (rsa.KeySize < 2048)
                        {
                            rsa.Dispose();
                            throw new FormatException($"RSA key of {rsa.KeySize} bits");
                        }

                        return Allowed(alg, allowed, kid, out reason) ? new VerificationKey(kid, alg, null, rsa, Date(jwk, "nbf"), Date(jwk, "exp")) : Dispose(rsa);
                    }

                default:
                    reason = $"key {kid} has unsupported kty '{kty}'";
                    return null;
            }
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            reason = $"key {kid}: {e.Message}";
            return null;
        }
    }

    /// <summary>Verifies a JWS signature over the ASCII signing input.</summary>
    public bool Verify(ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        switch (Algorithm)
        {
            case "ES256":
            case "ES384":
                {
                    var order = Algorithm == "ES256" ? P256Order : P384Order;
                    var size = order.Length;
                    if (signature.Length != 2 * size || !InRange(signature[..size], order) || !InRange(signature[size..], order))
                    {
                        return false;
                    }

                    // JWS carries r and s side by side (RFC 7518 §3.4); OpenSSL verifies their DER form (RFC 3279), made
                    // here on the stack: .NET's own conversion allocates an ASN.1 writer for every verification.
                    Span<byte> der = stackalloc byte[MaxDerSignature];
                    var length = WriteDer(signature[..size], signature[size..], der);
                    return _ec!.VerifyData(signingInput, der[..length], Algorithm == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);
                }

            case "PS256":
                return signature.Length == _rsa!.KeySize / 8 && _rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
            case "RS256":
                return signature.Length == _rsa!.KeySize / 8 && _rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            default:
                return false;
        }
    }

    public void Dispose()
    {
        _ec?.Dispose();
        _rsa?.Dispose();
    }

    /// <summary>Whether a big-endian integer of the order's length is in [1, order - 1].</summary>
    private static bool InRange(ReadOnlySpan<byte> value, ReadOnlySpan<byte> order)
        => value.Length == order.Length && value.ContainsAnyExcept((byte)0) && value.SequenceCompareTo(order) < 0;

    /// <summary>
    /// The DER encoding of (r, s), both in [1, n-1]: <c>SEQUENCE { INTEGER r, INTEGER s }</c>, each INTEGER without
    /// leading zero bytes and with one zero byte before a first byte of 0x80 or more (DER integers are signed).
    /// </summary>
    private static int WriteDer(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s, Span<byte> der)
    {
        var length = 2;
        length += WriteDerInteger(r, der[length..]);
        length += WriteDerInteger(s, der[length..]);
        der[0] = 0x30;
        der[1] = (byte)(length - 2); // at most 102: a length's short form
        return length;
    }

    private static int WriteDerInteger(ReadOnlySpan<byte> value, Span<byte> der)
    {
        value = value[value.IndexOfAnyExcept((byte)0)..];
        var sign = value[0] >= 0x80 ? 1 : 0;
        der[0] = 0x02;
        der[1] = (byte)(sign + value.Length);
        der[2] = 0;
        value.CopyTo(der[(2 + sign)..]);
        return 2 + sign + value.Length;
    }

    /// <summary>
    /// An ECDSA public key. On Linux, OpenSSL's implementation itself: what <c>ECDsa.Create</c> returns there wraps it
    /// and copies every signature into new arrays on its way (about 1.4 KB per verification).
    /// </summary>
    private static ECDsa CreateEcdsa(ECParameters parameters)
    {
        if (!OperatingSystem.IsLinux())
        {
            return ECDsa.Create(parameters);
        }

        var ec = new ECDsaOpenSsl();
        try
        {
            ec.ImportParameters(parameters);
            return ec;
        }
        catch
        {
            ec.Dispose();
            throw;
        }
    }

    private static bool Allowed(string alg, IReadOnlyList<string> allowed, string kid, out string? reason)
    {
        reason = allowed.Contains(alg, StringComparer.Ordinal) ? null : $"key {kid}: algorithm {alg} is not accepted here";
        return reason is null;
    }

    private static VerificationKey? Dispose(IDisposable key)
    {
        key.Dispose();
        return null;
    }

    private static byte[] Bytes(string? value) => value is null ? throw new FormatException("a required key member is missing") : Base64UrlStrict.Decode(value);

    private static DateTimeOffset? Date(JsonElement jwk, string name)
        => jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}

/// <summary>base64url without padding; anything else (padding, whitespace, '+', '/') is refused.</summary>
internal static class Base64UrlStrict
{
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new FormatException("not base64url");
            }
        }

        if (text.Length % 4 == 1)
        {
            throw new FormatException("not base64url");
        }

        return System.Buffers.Text.Base64Url.DecodeFromChars(text);
    }

    public static string Encode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
