using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>A public key from an issuer's JWKS, pinned to one algorithm and, when the JWK says so, to a validity window.</summary>
internal sealed class VerificationKey : IDisposable
{
    // Group orders of P-256 and P-384: an ECDSA signature with r or s outside [1, n-1] is refused before any
    // arithmetic (CVE-2022-21449 accepted r = s = 0).
    private static readonly BigInteger P256Order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    private static readonly BigInteger P384Order = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

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

                        var ec = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Bytes(Member("x")), Y = Bytes(Member("y")) } });
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
                    var size = Algorithm == "ES256" ? 32 : 48;
                    if (signature.Length != 2 * size || !InRange(signature[..size], Algorithm == "ES256" ? P256Order : P384Order) || !InRange(signature[size..], Algorithm == "ES256" ? P256Order : P384Order))
                    {
                        return false;
                    }

                    return _ec!.VerifyData(signingInput, signature, Algorithm == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
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

    private static bool InRange(ReadOnlySpan<byte> value, BigInteger order)
    {
        var number = new BigInteger(value, isUnsigned: true, isBigEndian: true);
        return number > BigInteger.Zero && number < order;
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
