using System.Security.Cryptography;

namespace SecureFuture.Keys;

/// <summary>The two key families an HSM generates for JWS signing.</summary>
public enum KeyFamily
{
    /// <summary>ECDSA over a NIST prime curve.</summary>
    EllipticCurve,

    /// <summary>RSA (PKCS#1 v1.5 or PSS signatures).</summary>
    Rsa,
}

/// <summary>
/// A JWS signing algorithm together with the key that serves it: ES256 (P-256, the default), ES384 (P-384), and
/// PS256 or RS256 with a 2048- or 3072-bit RSA key. <see cref="Id"/> is the stable name stored with a key
/// (<c>ES256</c>, <c>PS256-3072</c>); <see cref="Name"/> is the JWS <c>alg</c>.
/// </summary>
public sealed class SigningAlgorithm : IEquatable<SigningAlgorithm>
{
    public static readonly SigningAlgorithm ES256 = new("ES256", KeyFamily.EllipticCurve, 256, HashAlgorithmName.SHA256, "P-256");
    public static readonly SigningAlgorithm ES384 = new("ES384", KeyFamily.EllipticCurve, 384, HashAlgorithmName.SHA384, "P-384");
    public static readonly SigningAlgorithm PS256 = new("PS256", KeyFamily.Rsa, 2048, HashAlgorithmName.SHA256, null);
    public static readonly SigningAlgorithm PS256With3072 = new("PS256", KeyFamily.Rsa, 3072, HashAlgorithmName.SHA256, null);
    public static readonly SigningAlgorithm RS256 = new("RS256", KeyFamily.Rsa, 2048, HashAlgorithmName.SHA256, null);
    public static readonly SigningAlgorithm RS256With3072 = new("RS256", KeyFamily.Rsa, 3072, HashAlgorithmName.SHA256, null);

    private static readonly SigningAlgorithm[] All = [ES256, ES384, PS256, PS256With3072, RS256, RS256With3072];

    private SigningAlgorithm(string name, KeyFamily family, int keySizeBits, HashAlgorithmName hash, string? curve)
    {
        Name = name;
        Family = family;
        KeySizeBits = keySizeBits;
        Hash = hash;
        Curve = curve;
    }

    /// <summary>The JWS <c>alg</c> value.</summary>
    public string Name { get; }

    public KeyFamily Family { get; }

    /// <summary>The curve size or RSA modulus size in bits.</summary>
    public int KeySizeBits { get; }

    public HashAlgorithmName Hash { get; }

    /// <summary>The JWK <c>crv</c> for elliptic-curve keys.</summary>
    public string? Curve { get; }

    /// <summary>The stable identifier stored with a key: the JWS name, with the modulus size for RSA.</summary>
    public string Id => Family == KeyFamily.Rsa ? $"{Name}-{KeySizeBits}" : Name;

    /// <summary>The length in bytes of the digest a caller must send.</summary>
    public int DigestLength => Hash == HashAlgorithmName.SHA384 ? 48 : 32;

    /// <summary>The length in bytes of a JWS signature: r||s for ECDSA, the modulus length for RSA.</summary>
    public int SignatureLength => Family == KeyFamily.EllipticCurve ? 2 * ((KeySizeBits + 7) / 8) : KeySizeBits / 8;

    /// <summary>The names accepted by <see cref="TryParse"/>, for error messages and help.</summary>
    public static string Supported => "ES256, ES384, PS256, RS256 (RSA keySize 2048 or 3072)";

    /// <summary>Parses a JWS algorithm name (optionally with an RSA key size) or a stored <see cref="Id"/>.</summary>
    public static bool TryParse(string? name, int? keySize, out SigningAlgorithm algorithm, out string error)
    {
        algorithm = ES256;
        var text = (name ?? "ES256").Trim();
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && int.TryParse(text.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var embedded))
        {
            if (keySize is not null && keySize != embedded)
            {
                error = $"algorithm '{text}' and keySize {keySize} disagree";
                return false;
            }

            keySize = embedded;
            text = text[..dash];
        }

        var candidates = All.Where(a => string.Equals(a.Name, text, StringComparison.Ordinal)).ToArray();
        if (candidates.Length == 0)
        {
            error = $"unknown algorithm '{name}'; supported: {Supported}";
            return false;
        }

        var chosen = keySize is null ? candidates[0] : candidates.FirstOrDefault(a => a.KeySizeBits == keySize);
        if (chosen is null)
        {
            error = candidates[0].Family == KeyFamily.Rsa
                ? $"keySize {keySize} is not supported for {text}; use 2048 or 3072"
                : $"{text} has a fixed key size; omit keySize";
            return false;
        }

        algorithm = chosen;
        error = string.Empty;
        return true;
    }

    /// <summary>Parses a stored <see cref="Id"/>.</summary>
    public static SigningAlgorithm FromId(string id)
        => TryParse(id, null, out var algorithm, out var error) ? algorithm : throw new FormatException(error);

    public bool Equals(SigningAlgorithm? other) => other is not null && other.Id == Id;

    public override bool Equals(object? obj) => Equals(obj as SigningAlgorithm);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Id);

    public override string ToString() => Id;

    /// <summary>Hashes a payload with this algorithm's hash.</summary>
    public byte[] HashData(ReadOnlySpan<byte> payload)
        => Hash == HashAlgorithmName.SHA384 ? SHA384.HashData(payload) : SHA256.HashData(payload);
}
