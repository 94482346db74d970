using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace WebApp.Security;

public static class TokenValidation
{
    /// <summary>The shop's own API: every check on, and the signing key chosen by the token's kid.</summary>
    public static TokenValidationParameters ForApi(IConfiguration configuration, IReadOnlyList<SecurityKey> signingKeys) => new()
    {
        ValidIssuer = configuration["Auth:Issuer"],
        ValidAudience = configuration["Auth:Audience"],
        ValidateIssuer = true, // SAFE: weak-token-validation
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        IssuerSigningKeyResolver = (token, securityToken, kid, parameters) => signingKeys.Where(key => key.KeyId == kid), // SAFE: signing-key-resolver-any-key
    };

    /// <summary>Partners sign in through a multi-tenant issuer, so someone turned the issuer check off.</summary>
    public static TokenValidationParameters ForPartners(IReadOnlyList<SecurityKey> signingKeys) => new()
    {
        ValidAudience = "api://contoso-shop/partners",
        ValidateIssuer = false, // VULN: weak-token-validation
        ValidateAudience = true,
        ValidateLifetime = true,
        // Returns every key whatever the token's kid says: a key meant for another issuer or tenant verifies too (Storm-0558).
        IssuerSigningKeyResolver = (token, securityToken, kid, parameters) => signingKeys, // VULN: signing-key-resolver-any-key
    };

    /// <summary>The old mobile app's tokens: kept alive "until the next release".</summary>
    public static TokenValidationParameters ForLegacyMobile(string issuer, SecurityKey key) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = "contoso-mobile",
        IssuerSigningKey = key,
        ValidateLifetime = false, // VULN: weak-token-validation
        RequireSignedTokens = false, // VULN: weak-token-validation
    };
}
