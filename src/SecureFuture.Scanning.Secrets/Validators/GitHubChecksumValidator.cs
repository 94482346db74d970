namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>gitHubChecksum</c> — GitHub's token format (<c>ghp_</c>, <c>gho_</c>, <c>ghu_</c>, <c>ghs_</c>, <c>ghr_</c>) and
/// npm's (<c>npm_</c>): a prefix, 30 random base62 characters, then 6 characters of checksum, the CRC-32 (IEEE 802.3)
/// of the random part in base62 (<c>0-9A-Za-z</c>), left-padded with '0'. A wrong checksum means the text was
/// made up or mangled, never issued.
/// </summary>
public sealed class GitHubChecksumValidator : ISecretValidator
{
    public const int RandomLength = 30;
    public const int ChecksumLength = 6;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly uint[] CrcTable = BuildCrcTable();

    public string Name => "gitHubChecksum";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var secret = candidate.Secret;
        var separator = secret.LastIndexOf('_');
        var body = separator < 0 ? secret : secret[(separator + 1)..];
        if (body.Length != RandomLength + ChecksumLength || !body.All(char.IsAsciiLetterOrDigit))
        {
            return ValidationOutcome.Reject("not a prefix, 30 random and 6 checksum characters");
        }

        var expected = Checksum(body[..RandomLength]);
        return string.Equals(expected, body[RandomLength..], StringComparison.Ordinal)
            ? ValidationOutcome.Accepted
            : ValidationOutcome.Reject("checksum does not match");
    }

    /// <summary>The 6-character checksum GitHub appends to <paramref name="random"/>.</summary>
    public static string Checksum(string random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var crc = Crc32(random);
        Span<char> digits = stackalloc char[ChecksumLength];
        digits.Fill('0');
        var position = ChecksumLength;
        var value = (ulong)crc;
        while (value > 0 && position > 0)
        {
            digits[--position] = Base62[(int)(value % 62)];
            value /= 62;
        }

        return new string(digits);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of the ASCII text.</summary>
    public static uint Crc32(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var crc = 0xFFFFFFFFu;
        foreach (var c in text)
        {
            crc = CrcTable[(crc ^ (byte)c) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
