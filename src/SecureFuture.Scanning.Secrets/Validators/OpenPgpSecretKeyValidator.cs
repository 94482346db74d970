namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>openPgpSecretKey</c> — the secret is the body of an ASCII-armored OpenPGP block (RFC 9580 §6.2): optional
/// <c>Key: value</c> header lines, base64 data and an optional <c>=XXXX</c> CRC-24 line. It is accepted when the data
/// decodes to a secret-key or secret-subkey packet (tags 5 and 7) and, when the CRC line is present, the CRC-24 of the
/// data matches it. Public keys exported under the wrong armor label, elided documentation bodies ("...") and mangled
/// copies are rejected.
/// </summary>
public sealed class OpenPgpSecretKeyValidator : ISecretValidator
{
    /// <summary>The shortest body accepted, in base64 characters: an Ed25519 secret key packet alone is longer.</summary>
    public const int MinimumBodyLength = 64;

    private const int SecretKeyTag = 5;
    private const int SecretSubkeyTag = 7;

    public string Name => "openPgpSecretKey";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var body = candidate.Secret;
        if (body.Contains("...", StringComparison.Ordinal) || body.Contains('…', StringComparison.Ordinal))
        {
            return ValidationOutcome.Reject("elided documentation body");
        }

        string? checksum = null;
        var data = new List<string>();
        foreach (var rawLine in body.Replace("\\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = rawLine.Trim().Trim('"', '\'', ',').Trim();
            if (line.Length == 0 || line.Contains(':', StringComparison.Ordinal))
            {
                continue; // blank separator and armor headers (Version:, Comment:)
            }

            if (line.Length == 5 && line[0] == '=')
            {
                checksum = line[1..];
                continue;
            }

            data.Add(line);
        }

        var joined = string.Concat(data);
        if (joined.Length < MinimumBodyLength)
        {
            return ValidationOutcome.Reject("body too short to be a key");
        }

        var bytes = SecretEncoding.DecodeLenientBase64(joined);
        if (bytes is null || bytes.Length == 0)
        {
            return ValidationOutcome.Reject("body is not base64");
        }

        if (checksum is not null
            && (SecretEncoding.DecodeLenientBase64(checksum) is not { Length: 3 } crc || Crc24(bytes) != (uint)((crc[0] << 16) | (crc[1] << 8) | crc[2])))
        {
            return ValidationOutcome.Reject("armor checksum does not match");
        }

        var tag = PacketTag(bytes[0]);
        return tag is SecretKeyTag or SecretSubkeyTag
            ? ValidationOutcome.Accepted
            : ValidationOutcome.Reject(tag < 0 ? "not an OpenPGP packet" : $"first packet is tag {tag}, not a secret key");
    }

    /// <summary>The packet tag of an OpenPGP packet header byte (RFC 9580 §4.2), or -1 when bit 7 is clear.</summary>
    public static int PacketTag(byte header) =>
        (header & 0x80) == 0 ? -1
        : (header & 0x40) != 0 ? header & 0x3F // OpenPGP format
        : (header >> 2) & 0x0F;               // legacy format

    /// <summary>CRC-24 of the armored data (RFC 9580 §6.1.1: initial value 0xB704CE, generator 0x864CFB).</summary>
    public static uint Crc24(ReadOnlySpan<byte> data)
    {
        var crc = 0xB704CEu;
        foreach (var b in data)
        {
            crc ^= (uint)b << 16;
            for (var i = 0; i < 8; i++)
            {
                crc <<= 1;
                if ((crc & 0x1000000) != 0)
                {
                    crc ^= 0x1864CFB;
                }
            }
        }

        return crc & 0xFFFFFF;
    }
}
