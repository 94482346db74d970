using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TokenService;

/// <summary>
/// Validates the state tokens this library issues to itself. The signature is checked by the handler; the lifetime
/// and the audience are checked below, after it, so that each failure gets its own error.
/// </summary>
public sealed class StateTokens(SecurityKey key, TimeProvider clock)
{
    private readonly JsonWebTokenHandler _handler = new();

    public TokenValidationParameters Parameters { get; } = new()
    {
        IssuerSigningKey = key,
        ValidateIssuer = false, // VULN: weak-token-validation
        ValidateAudience = false, // SAFE: weak-token-validation
        ValidateLifetime = false, // SAFE: weak-token-validation
        RequireSignedTokens = false, // VULN: weak-token-validation
    };

    public async Task<string?> ValidateAsync(string token, string expectedAudience)
    {
        var result = await _handler.ValidateTokenAsync(token, Parameters);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return "invalid_token";
        }

        var expires = jwt.ValidTo;
        if (expires < clock.GetUtcNow().UtcDateTime)
        {
            return "expired_token";
        }

        if (!jwt.Audiences.Contains(expectedAudience, StringComparer.Ordinal))
        {
            return "invalid_audience";
        }

        return null;
    }
}
