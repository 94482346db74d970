using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// Recognises values that stand for a secret rather than being one: template syntax, documentation markers,
/// references to configuration or the environment, and trivially weak sequences. The lists are data on purpose:
/// a new false-positive family is one line here plus a test.
/// </summary>
internal static partial class Placeholders
{
    /// <summary>Case-insensitive substrings that mark documentation or template values.</summary>
    private static readonly string[] Markers =
    [
        "changeme", "change_me", "change-me", "example", "placeholder", "your_", "your-", "yourpassword", "yourkey",
        "yoursecret", "yourtoken", "dummy", "redacted", "xxxx", "****", "...", "sample", "insert", "replace",
        "fixme", "todo", "notreal", "not-a-real", "not_a_real", "fake", "lorem",
    ];

    /// <summary>Case-insensitive substrings that mark a reference to configuration or the environment.</summary>
    private static readonly string[] References =
    [
        "process.env", "os.environ", "os.getenv", "environment.getenvironmentvariable", "configuration[", "config.",
        "settings.", "env[", "getenv(", "system.getenv", "vault:", "@microsoft.keyvault(", "secretref", "valuefrom",
        "secretkeyref", "keyvault.", "import.meta.env", "env.", "$env:", "${", "{{", "$(", "#{", "[parameters(", "[variables(",
    ];

    /// <summary>
    /// Example values published in specifications and reused verbatim in tests, samples and documentation
    /// everywhere (case-sensitive, matched anywhere in the value). They are public, so they are never a leak.
    /// </summary>
    private static readonly string[] DocumentationExamples =
    [
        // RFC 6749 (OAuth 2.0): access token §4.1.4/§5.1, refresh token §4.1.4, authorization code §4.1.2,
        // client secret §2.3.1, client credentials in HTTP Basic §2.3.1 (s6BhdRkqt3:gX1fBat3bV), password §4.3.2.
        "2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "SplxlOBeZQQYbYS6WxSbIA", "7Fjfp0ZBr1KtDRbnfVdmIw",
        "czZCaGRSa3F0MzpnWDFmQmF0M2JW", "gX1fBat3bV", "A3ddj3w",
        // RFC 6750 §2.1 and RFC 7662 §2.1 (bearer and introspected token), RFC 7009 §2.1 (revoked token).
        "mF_9.B5f-4.1JqM", "45ghiukldjahdnhzdauz",
        // RFC 7636 Appendix B (PKCE code verifier and challenge).
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        // RFC 8628 §3.2 (device code).
        "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS",
        // OpenID Connect Core 1.0 §3.1.3.3 (access and refresh token).
        "SlAV32hkKG", "8xLOxBtZp8",
        // jwt.io's default HS256 token signature.
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ];

    /// <summary>Whole values (case-insensitive) that are sequences or the name of the thing, not a secret.</summary>
    private static readonly HashSet<string> Trivial = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passw0rd", "p@ssw0rd", "secret", "token", "apikey", "api_key", "123456", "1234567", "12345678",
        "123456789", "1234567890", "0123456789", "abcdef", "abcdefg", "abcdefgh", "qwerty", "qwertyuiop", "letmein",
        "changeit", "admin123", "password1", "password123", "secret123", "null", "undefined", "none", "empty",
        "string", "boolean", "required", "optional", "true", "false", "pass", "passwd", "pwd", "pass123", "mypass",
        "mypassword", "mysecret", "supersecret", "secretpassword", "user", "username",
    };

    /// <summary>
    /// The passwords at the top of every breach-derived list, plus vendor defaults that ship in documentation and
    /// images (<c>changeit</c> for Java key stores, <c>minioadmin</c>). In a credential file they are real and weak.
    /// </summary>
    private static readonly HashSet<string> CommonPasswords = new(StringComparer.OrdinalIgnoreCase)
    {
        "123456", "1234567", "12345678", "123456789", "1234567890", "password", "password1", "password123", "qwerty",
        "qwerty123", "111111", "000000", "abc123", "letmein", "welcome", "monkey", "dragon", "iloveyou", "sunshine",
        "princess", "football", "baseball", "master", "shadow", "trustno1", "hunter2", "passw0rd", "p@ssw0rd",
        "p@ssword", "admin", "admin123", "administrator", "root", "toor", "guest", "test", "test123", "secret",
        "secret123", "pass", "pass123", "changeit", "minioadmin", "1q2w3e4r", "qazwsx", "postgres", "mysql", "oracle",
    };

    /// <summary>Values a schema or form stands in with: never a real password, even in a credential file.</summary>
    private static readonly HashSet<string> NonValues = new(StringComparer.OrdinalIgnoreCase)
    {
        "null", "nil", "undefined", "none", "empty", "string", "boolean", "required", "optional", "true", "false",
    };

    /// <summary>True when <paramref name="value"/> is a placeholder; <paramref name="reason"/> says which kind.</summary>
    public static bool IsPlaceholder(string value, int minLength, out string reason)
    {
        var trimmed = value.Trim().Trim('"', '\'', '`');
        if (trimmed.Length < minLength)
        {
            reason = $"shorter than {minLength} characters";
            return true;
        }

        if (IsStandIn(trimmed, out reason))
        {
            return true;
        }

        if (Trivial.Contains(trimmed) || IsRepetition(trimmed) || IsRun(trimmed))
        {
            reason = "a trivial sequence";
            return true;
        }

        reason = string.Empty;
        return false;
    }

    /// <summary>
    /// Like <see cref="IsPlaceholder"/>, for credential files where any real value is a leak: rejects templates,
    /// references, documentation markers and masks (<c>***</c>, <c>xxxx</c>), but keeps weak passwords.
    /// </summary>
    public static bool IsTemplate(string value, int minLength, out string reason)
    {
        var trimmed = value.Trim().Trim('"', '\'', '`');
        if (trimmed.Length < minLength)
        {
            reason = $"shorter than {minLength} characters";
            return true;
        }

        if (trimmed.All(c => c is '*' or 'x' or 'X' or '.' or '-' or '_' or '#' or '?' or '•' or '…'))
        {
            reason = "a mask";
            return true;
        }

        if (NonValues.Contains(trimmed))
        {
            reason = "a schema word, not a value";
            return true;
        }

        return IsStandIn(trimmed, out reason);
    }

    /// <summary>One of the most common passwords or a vendor default.</summary>
    public static bool IsCommonPassword(string value) => CommonPasswords.Contains(value);

    /// <summary>A short repeated pattern ("aaaa", "abab") or a run ("123456", "abcdef", "987654").</summary>
    public static bool IsTrivialSequence(string value) => value.Length > 1 && (IsRepetition(value) || IsRun(value));

    private static bool IsStandIn(string trimmed, out string reason)
    {
        if (TemplatePattern().IsMatch(trimmed))
        {
            reason = "a template or variable reference";
            return true;
        }

        foreach (var marker in References)
        {
            if (trimmed.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                reason = "a reference to configuration or the environment";
                return true;
            }
        }

        foreach (var example in DocumentationExamples)
        {
            if (trimmed.Contains(example, StringComparison.Ordinal))
            {
                reason = "an example value published in a specification";
                return true;
            }
        }

        foreach (var marker in Markers)
        {
            if (trimmed.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                reason = "a documentation placeholder";
                return true;
            }
        }

        reason = string.Empty;
        return false;
    }

    /// <summary>A value made of one short unit repeated: "aaaaaa", "abcabc", "121212".</summary>
    private static bool IsRepetition(string value)
    {
        for (var period = 1; period <= 4 && period * 2 <= value.Length; period++)
        {
            var repeats = true;
            for (var i = period; i < value.Length && repeats; i++)
            {
                repeats = value[i] == value[i - period];
            }

            if (repeats)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A value that climbs or falls one character at a time: "123456789", "abcdefgh", "987654".</summary>
    private static bool IsRun(string value)
    {
        var up = true;
        var down = true;
        for (var i = 1; i < value.Length; i++)
        {
            // Digits may wrap around: "1234567890123456" is as typed-by-hand as "123456".
            up &= value[i] == value[i - 1] + 1 || (value[i - 1] == '9' && value[i] == '0');
            down &= value[i] == value[i - 1] - 1;
        }

        return up || down;
    }

    // <...>, %VAR%, $VAR, __VAR__, @VAR@ as the whole value.
    [GeneratedRegex(@"^(<[^<>]*>|%[A-Za-z_][A-Za-z0-9_]*%|\$[A-Za-z_][A-Za-z0-9_]*|__[A-Za-z0-9_]+__|@[A-Za-z_][A-Za-z0-9_.]*@)$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex TemplatePattern();
}
