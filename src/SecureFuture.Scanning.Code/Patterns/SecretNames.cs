namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// Whether an identifier names a secret: a password, token, key, salt or nonce. Identifiers are split into words
/// (<c>resetToken</c> → reset, token; <c>API_KEY</c> → api, key) so that <c>keyboard</c> or <c>tokenizer</c> are not
/// secrets, and a <c>CancellationToken</c> is not one either.
/// </summary>
internal static class SecretNames
{
    private static readonly HashSet<string> Words = new(StringComparer.Ordinal)
    {
        "password", "passwords", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "tokens", "credential",
        "credentials", "salt", "nonce", "otp", "pin", "iv",
    };

    /// <summary>Words that make a following <c>key</c>/<c>code</c>/<c>id</c> a secret: <c>apiKey</c>, <c>resetCode</c>, <c>sessionId</c>.</summary>
    private static readonly HashSet<string> Qualifiers = new(StringComparer.Ordinal)
    {
        "api", "signing", "encryption", "private", "secret", "session", "hmac", "aes", "master", "access", "refresh",
        "reset", "verification", "confirmation", "recovery", "activation", "auth", "mfa", "invite", "invitation",
        "login", "logon", "signin", "unlock", "pairing", "magic",
    };

    public static bool IsSecret(string identifier)
    {
        var words = Split(identifier);
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "token" or "tokens" && i > 0 && words[i - 1] == "cancellation")
            {
                continue;
            }

            if (Words.Contains(word))
            {
                return true;
            }

            if (word is "key" or "keys" or "code" or "id" && (words.Count == 1 ? word is "key" or "keys" : i > 0 && Qualifiers.Contains(words[i - 1])))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Splits camelCase, PascalCase, snake_case and digits into lower-case words.</summary>
    internal static List<string> Split(string identifier)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= identifier.Length; i++)
        {
            var c = i < identifier.Length ? identifier[i] : '_';
            var boundary = !char.IsLetter(c)
                || (start >= 0 && char.IsUpper(c) && (char.IsLower(identifier[i - 1]) || (i + 1 < identifier.Length && char.IsLower(identifier[i + 1]))));
            if (boundary && start >= 0)
            {
                words.Add(identifier[start..i].ToLowerInvariant());
                start = -1;
            }

            if (char.IsLetter(c) && start < 0)
            {
                start = i;
            }

            // "SignIn" is one word, as "signin" is: NewSignInCode names a sign-in code.
            if (words is [.., "sign", "in"])
            {
                words.RemoveAt(words.Count - 1);
                words[^1] = "signin";
            }
        }

        return words;
    }
}
