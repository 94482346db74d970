using System.Globalization;
using System.Security.Cryptography;

namespace WebApp.Security;

public static class TokenGenerator
{
    public static string NewRememberMeToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)); // SAFE: insecure-random

    public static string NewPasswordResetToken()
    {
        var bytes = new byte[32];
        new Random().NextBytes(bytes); // VULN: insecure-random
        return Convert.ToHexString(bytes);
    }

    public static string NewSignInCode() =>
        Random.Shared.Next(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture); // VULN: insecure-random

    public static string NewSignInCodeSecurely() =>
        RandomNumberGenerator.GetInt32(100_000, 1_000_000).ToString(CultureInfo.InvariantCulture); // SAFE: insecure-random

    /// <summary>Jitter between retries of the partner webhook: nothing secret depends on it.</summary>
    public static TimeSpan RetryJitter() =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(50, 250)); // SAFE: insecure-random
}
