using System.Security.Cryptography;
using System.Text;

namespace SecureFuture.Server;

/// <summary>
/// Who may read <c>/metrics</c>: its counters name registered clients and key rings, so it is not public. A scraper
/// sends <c>Authorization: Bearer</c> with the metrics token read from <c>--metrics-token-file</c> (Prometheus:
/// <c>authorization.credentials_file</c>), which grants nothing else; an admin key is accepted too. Without a token
/// file only admin keys read metrics.
/// </summary>
internal sealed class MetricsAuthentication
{
    private const int MinimumLength = 24;
    private readonly byte[]? _tokenHash;
    private readonly AdminAuthentication _admin;

    public MetricsAuthentication(byte[]? tokenHash, AdminAuthentication admin)
    {
        _tokenHash = tokenHash;
        _admin = admin;
    }

    /// <summary>The SHA-256 of the token on the first line of <paramref name="tokenFile"/> (at least 24 characters); null without a file.</summary>
    public static byte[]? ReadTokenHash(string? tokenFile)
    {
        if (tokenFile is null)
        {
            return null;
        }

        string token;
        try
        {
            token = File.ReadLines(tokenFile).FirstOrDefault()?.Trim() ?? string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ServerStartException($"--metrics-token-file: cannot read {tokenFile}: {e.Message}", e);
        }

        return token.Length < MinimumLength
            ? throw new ServerStartException($"--metrics-token-file: {tokenFile}: the token on its first line must be at least {MinimumLength} characters")
            : Hash(token);
    }

    public async Task<bool> AllowsAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return (_tokenHash is not null && CryptographicOperations.FixedTimeEquals(Hash(authorization["Bearer ".Length..].Trim()), _tokenHash))
            || await _admin.AuthenticateAsync(authorization, cancellationToken) is not null;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
