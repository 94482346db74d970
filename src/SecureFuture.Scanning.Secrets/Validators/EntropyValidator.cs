using System.Globalization;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>entropy: "3.5"</c> — the secret's Shannon entropy, in bits per character, is at least the argument. Random
/// keys score 4.5–6; words, repeated characters and sequences score low.
/// </summary>
public sealed class EntropyValidator : ISecretValidator
{
    public string Name => "entropy";

    public string? CheckArgument(string? argument) =>
        TryParse(argument, out _) ? null : "the argument must be a number of bits per character between 0 and 8, e.g. \"3.5\"";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (!TryParse(candidate.Argument, out var minimum))
        {
            return ValidationOutcome.Reject("invalid entropy argument");
        }

        var entropy = ShannonEntropy(candidate.Secret);
        return entropy >= minimum
            ? ValidationOutcome.Accepted
            : ValidationOutcome.Reject(string.Create(CultureInfo.InvariantCulture, $"entropy {entropy:0.00} is below {minimum:0.00} bits per character"));
    }

    /// <summary>Bits per character: -Σ p·log2(p) over the characters of <paramref name="value"/>.</summary>
    public static double ShannonEntropy(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return 0;
        }

        var counts = new Dictionary<char, int>();
        foreach (var c in value)
        {
            counts[c] = counts.GetValueOrDefault(c) + 1;
        }

        var entropy = 0.0;
        foreach (var count in counts.Values)
        {
            var p = (double)count / value.Length;
            entropy -= p * Math.Log2(p);
        }

        return entropy;
    }

    private static bool TryParse(string? argument, out double value) =>
        double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is >= 0 and <= 8;
}
