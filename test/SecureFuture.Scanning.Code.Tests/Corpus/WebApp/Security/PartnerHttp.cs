using System.Net.Security;

namespace WebApp.Security;

/// <summary>HTTP handlers for calls to partner systems.</summary>
public static class PartnerHttp
{
    private const string PartnerIssuer = "CN=Contoso Partner CA, O=Contoso";

    /// <summary>A partner's staging server has a self-signed certificate.</summary>
    public static HttpClientHandler ForStaging() => new()
    {
        ServerCertificateCustomValidationCallback = (message, certificate, chain, errors) => true, // VULN: cert-validation-disabled
    };

    public static HttpClientHandler ForSandbox() => new()
    {
        ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator, // VULN: cert-validation-disabled
    };

    /// <summary>Production: the platform's chain validation must pass, and the partner CA must have issued the certificate.</summary>
    public static HttpClientHandler ForProduction() => new()
    {
        ServerCertificateCustomValidationCallback = (message, certificate, chain, errors) => errors == SslPolicyErrors.None && certificate?.Issuer == PartnerIssuer, // SAFE: cert-validation-disabled
    };
}
