using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace WebApp.Security;

public static class SigningKeys
{
    public static IReadOnlyList<SecurityKey> Load(IConfiguration configuration) =>
        [.. configuration.GetSection("Auth:Keys").GetChildren().Select(section => Load(section["kid"]!, section["pem"]!))];

    private static RsaSecurityKey Load(string kid, string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return new RsaSecurityKey(rsa) { KeyId = kid };
    }

    /// <summary>Keys for the integration environment, generated at start-up.</summary>
    public static RsaSecurityKey GenerateForIntegration(string kid) =>
        new(RSA.Create(1024)) { KeyId = kid }; // VULN: weak-rsa-key

    public static RsaSecurityKey Generate(string kid) =>
        new(RSA.Create(3072)) { KeyId = kid }; // SAFE: weak-rsa-key

    public static RSACryptoServiceProvider GenerateLegacy() =>
        new(dwKeySize: 512); // VULN: weak-rsa-key

    public static RSA GenerateDefault()
    {
        var rsa = RSA.Create();
        rsa.KeySize = 2048; // SAFE: weak-rsa-key
        return rsa;
    }
}
