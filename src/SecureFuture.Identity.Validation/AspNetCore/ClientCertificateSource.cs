using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace SecureFuture.Identity.Validation.AspNetCore;

/// <summary>The client certificate of a request, or why the one that was sent cannot be read.</summary>
public sealed record PresentedCertificate(X509Certificate2? Certificate, string? Error)
{
    public static readonly PresentedCertificate None = new(null, null);
}

/// <summary>
/// Where a request's TLS client certificate comes from: the TLS connection (Kestrel with client certificates allowed),
/// or, behind a TLS-terminating proxy, a request header the proxy fills in. With a header configured the connection's
/// own certificate is ignored: behind a proxy it is the proxy's, shared by every client.
/// </summary>
/// <remarks>
/// A header is only as trustworthy as the proxy: it must remove the header from every client request and be the only
/// way to reach this server. Otherwise anyone can claim any certificate, and since a thumbprint is public (it is in
/// the token), binding tokens to certificates would protect nothing.
/// </remarks>
public static class ClientCertificateSource
{
    /// <summary>Longest header value read (a certificate, URL-encoded PEM, with room for a long chain of extensions).</summary>
    public const int MaxHeaderLength = 16 * 1024;

    /// <summary>The request's client certificate: from <paramref name="headerName"/> when given, else from the TLS connection.</summary>
    public static PresentedCertificate Read(HttpContext context, string? headerName)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(headerName))
        {
            return context.Connection.ClientCertificate is { } certificate ? new PresentedCertificate(certificate, null) : PresentedCertificate.None;
        }

        var values = context.Request.Headers[headerName];
        if (values.Count == 0 || (values.Count == 1 && string.IsNullOrEmpty(values[0])))
        {
            return PresentedCertificate.None;
        }

        if (values.Count > 1)
        {
            return new PresentedCertificate(null, $"send one {headerName} header");
        }

        var outcome = Parse(values[0]!);
        if (outcome.Certificate is { } parsed)
        {
            context.Response.RegisterForDispose(parsed);
        }

        return outcome.Error is null ? outcome : outcome with { Error = $"the {headerName} header: {outcome.Error}" };
    }

    /// <summary>
    /// Reads one certificate from a proxy header: URL-encoded PEM (nginx <c>$ssl_client_escaped_cert</c>, Envoy and
    /// AWS ALB style), plain PEM, or base64 DER. Anything else is an error value, never an exception.
    /// </summary>
    public static PresentedCertificate Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxHeaderLength)
        {
            return new PresentedCertificate(null, "too long");
        }

        var text = value.Trim();
        if (text.Contains('%', StringComparison.Ordinal))
        {
            text = Uri.UnescapeDataString(text); // leaves invalid escapes as they are; the parse below refuses them
        }

        byte[] der;
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            if (!PemEncoding.TryFind(text, out var fields) || !text.AsSpan()[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                return new PresentedCertificate(null, "not a PEM certificate");
            }

            if (fields.Location.Start.Value != 0 || !text.AsSpan(fields.Location.End.Value).IsWhiteSpace())
            {
                return new PresentedCertificate(null, "text around the PEM certificate; send the client certificate alone");
            }

            der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(text.AsSpan()[fields.Base64Data], der, out var written) || written != der.Length)
            {
                return new PresentedCertificate(null, "not a PEM certificate");
            }
        }
        else
        {
            der = new byte[(text.Length * 3 / 4) + 3];
            if (!Convert.TryFromBase64String(text, der, out var written))
            {
                return new PresentedCertificate(null, "neither PEM nor base64 DER");
            }

            der = der[..written];
        }

        try
        {
            // X509CertificateLoader reads exactly one X.509 certificate: no PKCS#12, no PKCS#7, no key material.
            return new PresentedCertificate(X509CertificateLoader.LoadCertificate(der), null);
        }
        catch (CryptographicException)
        {
            return new PresentedCertificate(null, "not an X.509 certificate");
        }
    }
}
