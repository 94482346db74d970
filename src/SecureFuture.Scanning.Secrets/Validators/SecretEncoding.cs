using System.Buffers.Text;
using System.Text;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// Lenient decoding shared by the validators: secrets are copied out of JSON, YAML and XML, so base64 arrives with
/// line breaks, escaped <c>\n</c> sequences and sometimes the URL-safe alphabet. Every method caps its input and
/// reports failure instead of throwing.
/// </summary>
internal static class SecretEncoding
{
    /// <summary>Longest base64 text decoded (a PFX with a certificate chain fits easily).</summary>
    public const int MaxBase64Length = 256 * 1024;

    /// <summary>Decodes base64 in either alphabet, ignoring whitespace, <c>\n</c>/<c>\r</c> escapes and missing padding.</summary>
    public static byte[]? DecodeLenientBase64(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxBase64Length)
        {
            return null;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is 'n' or 'r' or 't' or '/')
            {
                // JSON escapes: "\n" line breaks and "\/" (a slash some serializers escape).
                if (text[i + 1] == '/')
                {
                    builder.Append('/');
                }

                i++;
                continue;
            }

            switch (c)
            {
                case ' ' or '\t' or '\r' or '\n' or '"' or '\'':
                    continue;
                case '-':
                    builder.Append('+');
                    break;
                case '_':
                    builder.Append('/');
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        var trimmed = builder.ToString().TrimEnd('=');
        if (trimmed.Length == 0 || trimmed.Length % 4 == 1)
        {
            return null;
        }

        var padded = trimmed + new string('=', (4 - (trimmed.Length % 4)) % 4);
        var buffer = new byte[padded.Length / 4 * 3];
        return Convert.TryFromBase64String(padded, buffer, out var written) ? buffer[..written] : null;
    }

    /// <summary>Decodes strict standard base64 (padding required, no whitespace).</summary>
    public static byte[]? DecodeStrictBase64(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxBase64Length || text.Length % 4 != 0 || !Base64.IsValid(text.AsSpan()))
        {
            return null;
        }

        var buffer = new byte[text.Length / 4 * 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    /// <summary>Decodes one unpadded base64url segment (a JWT part).</summary>
    public static byte[]? DecodeBase64Url(string segment)
    {
        if (segment.Length == 0 || segment.Length > MaxBase64Length)
        {
            return null;
        }

        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '='))
            {
                return null;
            }
        }

        return DecodeLenientBase64(segment);
    }

    /// <summary>Decodes UTF-8 strictly; null when the bytes are not valid UTF-8.</summary>
    public static string? DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
