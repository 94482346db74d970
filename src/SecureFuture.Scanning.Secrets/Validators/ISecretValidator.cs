using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// A check that a regular-expression match really is a secret: a checksum, a structure, an entropy floor, a
/// placeholder filter. A rule lists its validators by <see cref="Name"/> in its YAML file, each with an optional
/// scalar argument (<c>entropy: 3.5</c>). All of a rule's validators must accept a candidate.
/// </summary>
public interface ISecretValidator
{
    /// <summary>The key that names this validator in a rule file (camelCase).</summary>
    string Name { get; }

    /// <summary>Checks the rule file's argument once, at load time; returns an error message or null.</summary>
    string? CheckArgument(string? argument) => null;

    ValidationOutcome Validate(SecretCandidate candidate);
}

/// <summary>What a validator sees of a match.</summary>
/// <param name="Secret">The secret value: the rule's <c>secret</c> group, else the whole match.</param>
/// <param name="Match">The whole matched text.</param>
/// <param name="Groups">Every named group of the match, by name (unmatched groups absent).</param>
/// <param name="Path">The file's path relative to the scan root, with '/'.</param>
/// <param name="FileText">The whole text of the file, for validators that need context.</param>
/// <param name="Index">Offset of the match in <paramref name="FileText"/>.</param>
/// <param name="Argument">The validator's argument from the rule file, or null.</param>
/// <param name="Settings">Scan-wide settings (clock, thresholds).</param>
public sealed record SecretCandidate(
    string Secret,
    string Match,
    IReadOnlyDictionary<string, string> Groups,
    string Path,
    string FileText,
    int Index,
    string? Argument,
    SecretScanSettings Settings);

/// <summary>A validator's verdict. A validator may raise or lower the severity and add facts to the finding.</summary>
public sealed record ValidationOutcome
{
    public static ValidationOutcome Accepted { get; } = new() { Accept = true };

    public required bool Accept { get; init; }

    /// <summary>Why the candidate was rejected (for tests and debugging; never shown with the secret).</summary>
    public string? Reason { get; init; }

    /// <summary>Replaces the rule's severity for this finding.</summary>
    public Severity? Severity { get; init; }

    /// <summary>Added to the finding's message, e.g. "expires 2031-01-01 (2,191 days)".</summary>
    public string? Detail { get; init; }

    /// <summary>Facts added to the finding's properties. Never the secret.</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    public static ValidationOutcome Reject(string reason) => new() { Accept = false, Reason = reason };
}

/// <summary>Settings that tune validators for a whole scan.</summary>
public sealed record SecretScanSettings
{
    /// <summary>A SAS token valid for longer than this is raised to critical.</summary>
    public TimeSpan SasMaxLifetime { get; init; } = TimeSpan.FromDays(30);

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// How many layers of base64, hex and percent-encoding are decoded and scanned (0 turns decoding off). Two
    /// covers the common nestings (a base64 Basic header of a percent-encoded password, a hex dump of base64).
    /// </summary>
    public int DecodeDepth { get; init; } = 2;

    /// <summary>Decoded characters scanned per file, all layers together: a file of encoded values cannot stall a scan.</summary>
    public long MaxDecodedChars { get; init; } = 4L * 1024 * 1024;
}
