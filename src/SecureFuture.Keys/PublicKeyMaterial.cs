using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureFuture.Keys;

/// <summary>
/// The public half of an HSM-held key, as read from the token (EC point or RSA modulus and exponent). Verification
/// happens here, in process, with the public key only; the private half never leaves the HSM.
/// </summary>
public sealed class PublicKeyMaterial
{
    private PublicKeyMaterial(SigningAlgorithm algorithm, byte[]? x, byte[]? y, byte[]? modulus, byte[]? exponent)
    {
        Algorithm = algorithm;
        X = x;
        Y = y;
        Modulus = modulus;
        Exponent = exponent;
    }

    public SigningAlgorithm Algorithm { get; }

    public byte[]? X { get; }

    public byte[]? Y { get; }

    public byte[]? Modulus { get; }

    public byte[]? Exponent { get; }

    public static PublicKeyMaterial EllipticCurve(SigningAlgorithm algorithm, byte[] x, byte[] y)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        var size = (algorithm.KeySizeBits + 7) / 8;
        if (algorithm.Family != KeyFamily.EllipticCurve || x.Length != size || y.Length != size)
        {
            throw new CryptographicException($"an EC point for {algorithm} needs {size}-byte coordinates");
        }

        return new PublicKeyMaterial(algorithm, x, y, null, null);
    }

    public static PublicKeyMaterial Rsa(SigningAlgorithm algorithm, byte[] modulus, byte[] exponent)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        modulus = TrimLeadingZeros(modulus);
        exponent = TrimLeadingZeros(exponent);
        if (algorithm.Family != KeyFamily.Rsa || modulus.Length != algorithm.KeySizeBits / 8)
        {
            throw new CryptographicException($"an RSA modulus for {algorithm} needs {algorithm.KeySizeBits} bits");
        }

        return new PublicKeyMaterial(algorithm, null, null, modulus, exponent);
    }

    /// <summary>The RFC 7638 JWK thumbprint (base64url SHA-256 of the required members in lexicographic order).</summary>
    public string Thumbprint()
    {
        var canonical = Algorithm.Family == KeyFamily.EllipticCurve
            ? $"{{\"crv\":\"{Algorithm.Curve}\",\"kty\":\"EC\",\"x\":\"{Base64Url.Encode(X!)}\",\"y\":\"{Base64Url.Encode(Y!)}\"}}"
            : $"{{\"e\":\"{Base64Url.Encode(Exponent!)}\",\"kty\":\"RSA\",\"n\":\"{Base64Url.Encode(Modulus!)}\"}}";
        return Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>The public JWK (RFC 7517) with <c>kid</c>, <c>alg</c> and <c>use: sig</c>.</summary>
    public JsonObject ToJwk(string kid)
    {
        var jwk = new JsonObject();
        if (Algorithm.Family == KeyFamily.EllipticCurve)
        {
            jwk["kty"] = "EC";
            jwk["crv"] = Algorithm.Curve;
            jwk["x"] = Base64Url.Encode(X!);
            jwk["y"] = Base64Url.Encode(Y!);
        }
        else
        {
            jwk["kty"] = "RSA";
            jwk["n"] = Base64Url.Encode(Modulus!);
            jwk["e"] = Base64Url.Encode(Exponent!);
        }

        jwk["kid"] = kid;
        jwk["use"] = "sig";
        jwk["alg"] = Algorithm.Name;
        return jwk;
    }

    /// <summary>Reads back a JWK written by <see cref="ToJwk"/> (as stored with each key version).</summary>
    public static PublicKeyMaterial FromJwk(SigningAlgorithm algorithm, string json)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        string Member(string name) => root.GetProperty(name).GetString() ?? throw new FormatException($"JWK member '{name}' is null");
        return Member("kty") switch
        {
            "EC" => EllipticCurve(algorithm, Base64Url.Decode(Member("x")), Base64Url.Decode(Member("y"))),
            "RSA" => Rsa(algorithm, Base64Url.Decode(Member("n")), Base64Url.Decode(Member("e"))),
            var other => throw new FormatException($"unsupported JWK kty '{other}'"),
        };
    }

    /// <summary>Verifies a JWS-form signature (r||s for ECDSA) over a digest.</summary>
    public bool VerifyDigest(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        if (digest.Length != Algorithm.DigestLength || signature.Length != Algorithm.SignatureLength)
        {
            return false;
        }

        if (Algorithm.Family == KeyFamily.EllipticCurve)
        {
            using var ec = ECDsa.Create(new ECParameters
            {
                Curve = Algorithm.KeySizeBits == 384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = X, Y = Y },
            });
            return ec.VerifyHash(digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        using var rsa = RSA.Create(new RSAParameters { Modulus = Modulus, Exponent = Exponent });
        var padding = Algorithm.Name == "PS256" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        return rsa.VerifyHash(digest, signature, Algorithm.Hash, padding);
    }

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }

        return start == 0 ? value : value[start..];
    }
}

/// <summary>base64url without padding (RFC 4648 section 5), strict on decode.</summary>
public static class Base64Url
{
    private const string AlphabetText = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly System.Buffers.SearchValues<char> Alphabet = System.Buffers.SearchValues.Create(AlphabetText);

    private static readonly System.Buffers.SearchValues<byte> Utf8Alphabet = System.Buffers.SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(AlphabetText));

    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    /// <summary>Decodes base64url; throws <see cref="FormatException"/> on padding, whitespace or foreign characters.</summary>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Check(text.AsSpan().IndexOfAnyExcept(Alphabet), text.Length);
        return System.Buffers.Text.Base64Url.DecodeFromChars(text);
    }

    /// <summary>The same, from UTF-8 bytes (a JWS signing input as it is signed), without making a string of them.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> utf8)
    {
        Check(utf8.IndexOfAnyExcept(Utf8Alphabet), utf8.Length);
        return System.Buffers.Text.Base64Url.DecodeFromUtf8(utf8);
    }

    /// <summary>The one rule of both: the alphabet alone (no padding, no whitespace) and a length base64 can have.</summary>
    private static void Check(int foreignAt, int length)
    {
        if (foreignAt >= 0)
        {
            throw new FormatException("not base64url (RFC 4648 section 5, without padding)");
        }

        if (length % 4 == 1)
        {
            throw new FormatException("not base64url: impossible length");
        }
    }
}
