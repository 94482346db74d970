using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SecureFuture.Core;

/// <summary>
/// What a finding may say about a secret: a short prefix, its length and a hash prefix. The value itself is
/// never kept, so no output, log or store can leak it.
/// </summary>
public sealed record MaskedEvidence(string Prefix, int Length, string HashPrefix)
{
    /// <summary>At most this many characters of a secret are ever shown.</summary>
    public const int MaxPrefixLength = 4;

    /// <summary>
    /// Masks <paramref name="secret"/>: at most 4 characters and never more than a quarter of it. The prefix is
    /// taken after leading whitespace (a PEM body starts with a line break) and never contains control characters.
    /// </summary>
    public static MaskedEvidence FromSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var visible = secret.AsSpan().TrimStart();
        var shown = Math.Min(MaxPrefixLength, secret.Length / 4);
        var end = 0;
        while (end < Math.Min(shown, visible.Length) && !char.IsControl(visible[end]) && !char.IsWhiteSpace(visible[end]))
        {
            end++;
        }

        return new MaskedEvidence(visible[..end].ToString(), secret.Length, Hash(secret)[..8]);
    }

    /// <summary>Hex SHA-256 of a value; used for content fingerprints and evidence.</summary>
    public static string Hash(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}*** ({Length} chars, sha256:{HashPrefix})");
}
