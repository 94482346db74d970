namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>notPlaceholder</c> — rejects values that stand for a secret instead of being one: <c>&lt;password&gt;</c>,
/// <c>${DB_PASSWORD}</c>, <c>{{ .Values.key }}</c>, <c>%TOKEN%</c>, <c>$(Secret)</c>, <c>changeme</c>,
/// <c>your_api_key</c>, <c>xxxx</c>, references such as <c>process.env.TOKEN</c> or
/// <c>@Microsoft.KeyVault(...)</c>, trivial sequences, and anything shorter than six characters. The argument, when
/// given, overrides that minimum length.
/// </summary>
public sealed class NotPlaceholderValidator : ISecretValidator
{
    public const int DefaultMinimumLength = 6;

    public string Name => "notPlaceholder";

    public string? CheckArgument(string? argument) =>
        string.IsNullOrEmpty(argument) || (int.TryParse(argument, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64)
            ? null
            : "the optional argument is a minimum length between 1 and 64";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var minimum = int.TryParse(candidate.Argument, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : DefaultMinimumLength;
        return Placeholders.IsPlaceholder(candidate.Secret, minimum, out var reason)
            ? ValidationOutcome.Reject("placeholder: " + reason)
            : ValidationOutcome.Accepted;
    }
}
