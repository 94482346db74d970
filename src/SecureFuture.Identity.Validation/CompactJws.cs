using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>
/// One compact JWS (RFC 7515 §7.1) read strictly: the one reader of access tokens, DPoP proofs and security event
/// tokens in this library. The parts are found by the offsets of the two dots (nothing is split or copied as text),
/// the header and the claims are parsed once into JSON objects, and the signature is verified over the signing input
/// (the header and claims as sent, RFC 7515 §5.2) in a pooled buffer.
/// </summary>
internal sealed class CompactJws
{
    private readonly string _compact;
    private readonly int _signingInputLength;

    private CompactJws(string compact, int signingInputLength, JsonElement header, JsonElement claims, byte[] signature)
    {
        _compact = compact;
        _signingInputLength = signingInputLength;
        Header = header;
        Claims = claims;
        Signature = signature;
    }

    /// <summary>The protected header, a JSON object.</summary>
    public JsonElement Header { get; }

    /// <summary>The payload, a JSON object (the claims of a JWT).</summary>
    public JsonElement Claims { get; }

    /// <summary>The decoded signature.</summary>
    public byte[] Signature { get; }

    /// <summary>
    /// Reads <paramref name="compact"/>, or says why it cannot: <paramref name="parts"/> is the number of dot-separated
    /// parts when it is not three (five is a JWE, RFC 7516 §7.1), and <paramref name="malformed"/> names the part that
    /// is not base64url or not a strict JSON object. Both are unset when a JWS is returned.
    /// </summary>
    public static CompactJws? Read(string compact, out int parts, out string? malformed)
    {
        ArgumentNullException.ThrowIfNull(compact);
        malformed = null;
        var first = compact.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : compact.IndexOf('.', first + 1);
        if (second < 0 || compact.IndexOf('.', second + 1) >= 0)
        {
            parts = compact.AsSpan().Count('.') + 1;
            return null;
        }

        parts = 3;
        try
        {
            var header = ParseObject(compact.AsSpan(0, first));
            var claims = ParseObject(compact.AsSpan(first + 1, second - first - 1));
            var signature = Base64UrlStrict.Decode(compact.AsSpan(second + 1));
            return new CompactJws(compact, second, header, claims, signature);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            malformed = e.Message;
            return null;
        }
    }

    /// <summary>Whether <paramref name="key"/> verifies the signature over the signing input.</summary>
    public bool IsSignedBy(VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        // Every character of the signing input was checked as base64url or a dot above, so it is ASCII.
        var buffer = ArrayPool<byte>.Shared.Rent(_signingInputLength);
        try
        {
            var length = Encoding.ASCII.GetBytes(_compact.AsSpan(0, _signingInputLength), buffer);
            return key.Verify(buffer.AsSpan(0, length), Signature);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A string member of the header or of the claims; null when it is absent or not a string.</summary>
    public static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// Reads one part (header or claims) as a JSON object. A member named twice, at any depth, is refused. RFC 7515 §4
    /// and RFC 7519 §4 let a parser either refuse duplicate names or keep the last; keeping one means that two readers
    /// of the same signed document (a gateway, this library, the issuer's own checks) can each see a different
    /// <c>sub</c>, <c>aud</c> or <c>alg</c>. sfi refuses them when signing (<c>StrictJson</c> in SecureFuture.Core) and
    /// when receiving.
    /// </summary>
    private static JsonElement ParseObject(ReadOnlySpan<char> part)
    {
        using var document = JsonDocument.Parse(Base64UrlStrict.Decode(part), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a JWS part is not a JSON object");
        }

        try
        {
            ReadEveryString(document.RootElement);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException("a JWS part holds a string that is not well-formed Unicode (invalid UTF-8 or a lone surrogate)", e);
        }

        return document.RootElement.Clone();
    }

    /// <summary>
    /// JsonDocument does not check the strings it parses: invalid UTF-8 or an escaped lone surrogate (<c>"\ud800"</c>)
    /// throws InvalidOperationException only when the value is read, which was a crash of whichever check read it
    /// first (<c>kid</c>, <c>iss</c>, a DPoP <c>jwk</c>). Reading each once here refuses such a token as malformed.
    /// (SecureFuture.Core's StrictJson does the same for sfi's other readers; this library depends on none of them.)
    /// Found by fuzzing (docs/fuzzing.md). Only a string with a backslash escape or a byte past ASCII can be either, so
    /// only those are decoded; the others, nearly all, are taken as they are, without making a .NET string of each.
    /// </summary>
    private static void ReadEveryString(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    if (!IsPlainAscii(JsonMarshal.GetRawUtf8PropertyName(member)))
                    {
                        _ = member.Name;
                    }

                    ReadEveryString(member.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    ReadEveryString(item);
                }

                break;
            case JsonValueKind.String:
                if (!IsPlainAscii(JsonMarshal.GetRawUtf8Value(element)))
                {
                    _ = element.GetString();
                }

                break;
        }
    }

    /// <summary>A JSON string as sent (quotes included or not) that is ASCII without escapes: well-formed, whatever it holds.</summary>
    private static bool IsPlainAscii(ReadOnlySpan<byte> raw) => Ascii.IsValid(raw) && !raw.Contains((byte)'\\');
}
