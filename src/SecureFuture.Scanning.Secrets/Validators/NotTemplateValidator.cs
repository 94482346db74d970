namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>notTemplate</c> — for credential files, where any real value is a leak however weak: rejects only what stands
/// for a value instead of being one (<c>${VAR}</c>, <c>&lt;password&gt;</c>, <c>%PASSWORD%</c>, <c>changeme</c>,
/// <c>your_password</c>, masks such as <c>***</c> or <c>xxxx</c>, environment and vault references). Unlike
/// <c>notPlaceholder</c> it keeps weak passwords (<c>123456</c>, <c>letmein</c>); pair it with <c>weakPassword</c>,
/// which raises their severity. A value the rule marks as base64 (a named group <c>encoding</c> matching
/// <c>base64</c>, as in FileZilla's <c>&lt;Pass encoding="base64"&gt;</c>) is judged decoded. The argument, when
/// given, is a minimum length (default 1).
/// </summary>
public sealed class NotTemplateValidator : ISecretValidator
{
    public string Name => "notTemplate";

    public string? CheckArgument(string? argument) =>
        string.IsNullOrEmpty(argument) || (int.TryParse(argument, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64)
            ? null
            : "the optional argument is a minimum length between 1 and 64";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var minimum = int.TryParse(candidate.Argument, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 1;
        return Placeholders.IsTemplate(CredentialValue.Plain(candidate), minimum, out var reason)
            ? ValidationOutcome.Reject("placeholder: " + reason)
            : ValidationOutcome.Accepted;
    }
}
