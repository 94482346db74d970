using System.Formats.Asn1;
using System.Text;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// Structural recognition of private key encodings, without importing anything into a crypto provider: a scanner
/// must recognise a key, never use it. Each check reads just enough ASN.1 to tell a private key from a certificate
/// or a public key.
/// </summary>
internal static class KeyMaterial
{
    /// <summary>The OpenSSH private key container magic (PROTOCOL.key: "openssh-key-v1" and a NUL).</summary>
    public static ReadOnlySpan<byte> OpenSshMagic => "openssh-key-v1\0"u8;

    private const string Pkcs7Data = "1.2.840.113549.1.7.1";
    private const string Pkcs7SignedData = "1.2.840.113549.1.7.2";

    /// <summary>Names the private key encoding of <paramref name="der"/>, or null when it is none.</summary>
    public static string? Identify(ReadOnlySpan<byte> der)
    {
        if (der.StartsWith(OpenSshMagic))
        {
            return "OpenSSH private key";
        }

        if (der.Length < 16 || der[0] != 0x30)
        {
            return null;
        }

        try
        {
            return IdentifyAsn1(der.ToArray());
        }
        catch (AsnContentException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Extracts the base64 body of the first PEM private key block in <paramref name="text"/> (BEGIN/END lines and
    /// RFC 1421 headers removed), or null.
    /// </summary>
    public static string? PemBody(string text, out bool encryptedLegacy)
    {
        encryptedLegacy = false;
        var normalized = text.Replace("\\r", "\n", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        var begin = normalized.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        if (begin < 0)
        {
            return null;
        }

        var afterBegin = normalized.IndexOf("-----", begin + 11, StringComparison.Ordinal);
        var end = afterBegin < 0 ? -1 : normalized.IndexOf("-----END ", afterBegin + 5, StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }

        var label = normalized[(begin + 11)..afterBegin];
        if (!label.EndsWith("PRIVATE KEY", StringComparison.Ordinal))
        {
            return null;
        }

        return StripHeaders(normalized[(afterBegin + 5)..end], out encryptedLegacy);
    }

    /// <summary>Removes RFC 1421 header lines (<c>Proc-Type:</c>, <c>DEK-Info:</c>) and whitespace from a PEM body.</summary>
    public static string StripHeaders(string body, out bool encryptedLegacy)
    {
        encryptedLegacy = false;
        var builder = new StringBuilder(body.Length);
        var normalized = body.Replace("\\r", "\n", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        foreach (var rawLine in normalized.Split('\n'))
        {
            var line = rawLine.Trim();

            // Source-code string concatenation ("MIIE..." +) and JSON arrays of lines ("MIIE...",). A bare '+' is
            // base64 and must stay.
            if (line.Length > 1 && line[^1] is '+' or ',' && line.TrimEnd('+', ',').TrimEnd() is { Length: > 0 } before && before[^1] is '"' or '\'')
            {
                line = before;
            }

            line = line.Trim('"', '\'').Trim();
            if (line.Contains(':', StringComparison.Ordinal))
            {
                if (line.StartsWith("Proc-Type:", StringComparison.OrdinalIgnoreCase) && line.Contains("ENCRYPTED", StringComparison.OrdinalIgnoreCase))
                {
                    encryptedLegacy = true;
                }

                continue;
            }

            builder.Append(line);
        }

        return builder.ToString();
    }

    private static string? IdentifyAsn1(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.BER);
        var outer = reader.ReadSequence();
        var first = outer.PeekTag();
        if (first.HasSameClassAndValue(Asn1Tag.Integer))
        {
            if (!outer.TryReadInt32(out var version))
            {
                return null;
            }

            var second = outer.PeekTag();
            if (second.HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var inner = outer.ReadSequence();
                var oid = inner.ReadObjectIdentifier();
                if (version == 3 && oid is Pkcs7Data or Pkcs7SignedData)
                {
                    return "PKCS#12 (PFX) archive";
                }

                // PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958): version 0 or 1, algorithm, OCTET STRING key.
                if (version is 0 or 1 && outer.HasData && outer.PeekTag().HasSameClassAndValue(Asn1Tag.PrimitiveOctetString))
                {
                    _ = outer.ReadOctetString();
                    return "PKCS#8 private key";
                }

                return null;
            }

            if (second.HasSameClassAndValue(Asn1Tag.PrimitiveOctetString) && version == 1)
            {
                // SEC 1 §C.4 ECPrivateKey: version 1, privateKey OCTET STRING, [0] parameters, [1] publicKey.
                return "SEC1 EC private key";
            }

            if (second.HasSameClassAndValue(Asn1Tag.Integer) && version == 0)
            {
                var integers = 1;
                while (outer.HasData && outer.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
                {
                    _ = outer.ReadIntegerBytes();
                    integers++;
                }

                // RFC 8017 A.1.2 RSAPrivateKey has 9 integers (two-prime); OpenSSL's DSA private key has 6.
                return integers switch
                {
                    >= 9 => "PKCS#1 RSA private key",
                    6 => "DSA private key",
                    _ => null,
                };
            }

            return null;
        }

        if (first.HasSameClassAndValue(Asn1Tag.Sequence))
        {
            // RFC 5958 EncryptedPrivateKeyInfo: exactly { AlgorithmIdentifier, OCTET STRING }. A certificate is
            // { TBSCertificate, AlgorithmIdentifier, BIT STRING } and a public key { AlgorithmIdentifier, BIT STRING }.
            var algorithm = outer.ReadSequence();
            _ = algorithm.ReadObjectIdentifier();
            if (outer.HasData && outer.PeekTag().HasSameClassAndValue(Asn1Tag.PrimitiveOctetString))
            {
                _ = outer.ReadOctetString();
                return outer.HasData ? null : "encrypted PKCS#8 private key";
            }
        }

        return null;
    }
}
