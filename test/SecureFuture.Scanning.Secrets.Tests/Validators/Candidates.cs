using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets.Tests.Validators;

/// <summary>Builds the candidate a validator sees, with only the parts a test cares about.</summary>
internal static class Candidates
{
    public static SecretCandidate For(string secret, string? argument = null, string? match = null, string? fileText = null, SecretScanSettings? settings = null) =>
        new(secret, match ?? secret, new Dictionary<string, string>(StringComparer.Ordinal), "src/app.config", fileText ?? match ?? secret, 0, argument, settings ?? new SecretScanSettings());
}
