using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Secrets.Validators;

/// <summary>
/// <c>literalAssignment</c> — for generic <c>name = value</c> rules: accepts only what the file's language says is a
/// literal assigned to a credential-named variable, and rejects the shapes that only look like one:
/// <list type="bullet">
/// <item>a type declaration read as <c>name: value</c> (<c>class ValidateClientSecret : IHandler</c>);</item>
/// <item>a file name read as <c>key: value</c>, as changelogs and file lists write them (<c>* man/passwd.1.xml: cleanups</c>,
/// <c>src/token.c: fix a leak</c>): a name ending in a source, document or man-page extension is a file, not a setting;</item>
/// <item>an assembly-qualified type name's <c>PublicKeyToken=b77a5c561934e089</c> (.resx, web.config): a public key
/// token is the hash of a public key, not a secret;</item>
/// <item>a member whose qualifying type holds the keyword (<c>VaultSecrets.UserConfig = "..."</c>);</item>
/// <item>an unquoted value in a programming language (<c>ClientSecret = context.Registration.ClientSecret</c>,
/// <c>password: request.Password</c>) or after a <c>$variable</c> (PowerShell, PHP: <c>$token = Invoke-RestMethod
/// ...</c>), where a literal string is always quoted;</item>
/// <item>a value that runs on into another credential's <c>key:</c> or <c>key=</c>, which a literal does not hold:
/// prose or an edit command that quotes settings (<c>s#password: cvs#password: [empty]#</c> in a changelog);</item>
/// <item>a value that is a name rather than a secret: one that names the credential itself
/// (<c>AccessTokenPrincipal = ".access_token_principal"</c>, <c>Password = "gt:password"</c>) or a path of three or
/// more words (<c>urn:ietf:params:oauth:grant-type:jwt-bearer</c>, <c>Owin.Security.OpenIdConnect.Server</c>).</item>
/// </list>
/// Configuration formats (.env, YAML, .properties, .ini, JSON) keep unquoted values: there they are literals.
/// </summary>
public sealed partial class LiteralAssignmentValidator : ISecretValidator
{
    /// <summary>Languages in which a string literal is always quoted, so an unquoted value is an expression.</summary>
    private static readonly HashSet<string> CodeExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".csx", ".vb", ".fs", ".java", ".kt", ".kts", ".scala", ".groovy", ".gradle", ".js", ".jsx", ".mjs", ".cjs",
        ".ts", ".tsx", ".py", ".rb", ".go", ".rs", ".php", ".swift", ".m", ".mm", ".c", ".cc", ".cpp", ".cxx", ".h", ".hpp",
        ".ps1", ".psm1", ".psd1", ".pl", ".pm", ".lua", ".dart", ".razor", ".cshtml", ".vue", ".svelte",
    };

    /// <summary>Words that name a credential: a value made of them names the setting, it does not hold a secret.</summary>
    private static readonly HashSet<string> CredentialWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passwd", "pwd", "pass", "passphrase", "secret", "secrets", "token", "tokens", "key", "keys", "apikey",
        "auth", "access", "refresh", "bearer", "credential", "credentials", "principal", "client", "session", "jwt",
    };

    public string Name => "literalAssignment";

    public ValidationOutcome Validate(SecretCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var text = candidate.FileText;
        var lineStart = candidate.Index <= 0 ? 0 : text.LastIndexOfAny(['\n', '\r'], candidate.Index - 1) + 1;
        var before = text.AsSpan(lineStart, candidate.Index - lineStart);

        if (DeclarationBefore().IsMatch(before))
        {
            return ValidationOutcome.Reject("a type declaration, not an assignment");
        }

        // The whole identifier the keyword sits in: "jobToken" in "$jobToken = ...", "PublicKeyToken" in "PublicKeyToken=...".
        // A pattern may match from the character before the keyword ("/passwd"): the identifier starts after it.
        var keywordAt = candidate.Index;
        while (keywordAt < text.Length - 1 && !IsNameChar(text[keywordAt]))
        {
            keywordAt++;
        }

        var nameStart = keywordAt;
        while (nameStart > lineStart && IsNameChar(text[nameStart - 1]))
        {
            nameStart--;
        }

        var nameEnd = keywordAt;
        while (nameEnd < text.Length && IsNameChar(text[nameEnd]))
        {
            nameEnd++;
        }

        if (IsFileNameKey(text, nameEnd, candidate.Index + candidate.Match.Length))
        {
            return ValidationOutcome.Reject("a file name followed by a colon (a changelog or file list), not a setting");
        }

        if (text.AsSpan(nameStart, nameEnd - nameStart).Equals("PublicKeyToken", StringComparison.OrdinalIgnoreCase))
        {
            return ValidationOutcome.Reject("the public key token of an assembly-qualified type name");
        }

        // "KeyVaultSecrets.UserB2C = ...": the keyword names the type that qualifies the member, not the member.
        if (char.IsAsciiLetterUpper(text[nameStart]) && nameEnd + 1 < text.Length && text[nameEnd] == '.' && char.IsAsciiLetterUpper(text[nameEnd + 1]))
        {
            return ValidationOutcome.Reject("the keyword is in the type qualifying the member assigned, not in its name");
        }

        var secretAt = candidate.Match.LastIndexOf(candidate.Secret, StringComparison.Ordinal);
        var quoted = secretAt > 0 && candidate.Match[secretAt - 1] is '"' or '\'' or '`';
        if (!quoted)
        {
            if (CodeExtensions.Contains(Path.GetExtension(candidate.Path)))
            {
                return ValidationOutcome.Reject("an unquoted expression in a programming language, not a string literal");
            }

            if (nameStart > lineStart && text[nameStart - 1] == '$')
            {
                return ValidationOutcome.Reject("a $variable assigned a command or expression, not a string literal");
            }
        }

        if (AnotherAssignment().IsMatch(candidate.Secret))
        {
            return ValidationOutcome.Reject("the value runs on into another credential's key: text about settings, not one literal");
        }

        return IsName(candidate.Secret)
            ? ValidationOutcome.Reject("a name made of words, not a secret")
            : ValidationOutcome.Accepted;
    }

    /// <summary>
    /// A value made only of words joined by <c>. _ : / -</c> that either names a credential
    /// (".access_token_principal", "gt:password") or has three or more parts ("urn:ietf:params:oauth:...").
    /// </summary>
    public static bool IsName(string value)
    {
        var match = WordPath().Match(value);
        if (!match.Success)
        {
            return false;
        }

        var words = match.Groups["word"].Captures.Select(c => c.Value).ToList();
        return words.Count >= 3 || (words.Count >= 2 && words.Any(CredentialWords.Contains));
    }

    /// <summary>
    /// Whether the identifier that ends at <paramref name="nameEnd"/> goes on as a file name, <c>.ext</c> parts of
    /// which the last is a file extension or a man-page section (<c>passwd.1</c>, <c>passwd.1.xml</c>, <c>token.c</c>),
    /// followed by a colon (<c>* man/passwd.1, man/passwd.1.xml: cleanups</c>). An assignment with <c>=</c> or
    /// <c>:=</c> keeps its dotted key (<c>spring.datasource.password=</c>, <c>password.1=</c> in a .properties list).
    /// </summary>
    internal static bool IsFileNameKey(string text, int nameEnd, int limit)
    {
        var end = nameEnd;
        var lastDot = -1;
        while (end < limit && end < text.Length && (IsNameChar(text[end]) || text[end] is '.' or '-'))
        {
            if (text[end] == '.')
            {
                lastDot = end;
            }

            end++;
        }

        if (lastDot < 0 || lastDot == end - 1)
        {
            return false;
        }

        var after = end;
        while (after < text.Length && text[after] is ' ' or '\t')
        {
            after++;
        }

        return after < text.Length && text[after] == ':' && (after + 1 == text.Length || text[after + 1] != '=')
            && FileExtensions.Contains(text[(lastDot + 1)..end]);
    }

    /// <summary>
    /// Extensions that end a file name in a changelog or file list: man-page sections and the source and document
    /// formats projects list. Not <c>key</c>, <c>pem</c> or <c>json</c>: <c>app.secret.key: value</c> is a setting.
    /// </summary>
    private static readonly HashSet<string> FileExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "1p", "3p", "8p", "xml", "htm", "html", "md", "txt", "rst", "c", "h", "cc",
        "cpp", "hpp", "py", "js", "ts", "cs", "java", "go", "rs", "rb", "sh", "in", "am", "ac", "po", "pot", "pl", "pm",
        "php", "tex", "texi", "sgml", "y", "l",
    };

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    // A credential word used as a key inside the value: "cvs#password:" is the end of one setting and the start of another.
    // Not after a letter, digit, '+' or '/': base64 or random text can end in "...Pwd=" by chance.
    [GeneratedRegex(@"(?<![A-Za-z0-9+/])(?:password|passwd|pwd|secret|token|api_?key)[""']?\s*(?:=|:(?!//))", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, 250)]
    private static partial Regex AnotherAssignment();

    // "class X", "public sealed record Y", "interface IZ", "enum E" right before the keyword's identifier.
    [GeneratedRegex(@"\b(?:class|interface|struct|record|enum|namespace|trait|object|type)\s+[A-Za-z0-9_.]*$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex DeclarationBefore();

    // A word is lower case, Capitalised, PascalCase or UPPER case, with at most a two-digit suffix ("v1", "oauth2"):
    // random text ("OhX6aTdP62T") is not. Each word has one way to split into humps (a capital only starts a new one),
    // so a long lower-case run that fails at its end is not retried in every split: (?:[A-Z]?[a-z]+)+ was exponential.
    // The letter runs are atomic: what may follow one is never a letter of its case, so giving letters back cannot
    // help a match, and without that a 5,000-letter run that fails at its end was still backtracked letter by letter.
    [GeneratedRegex(@"^[.:/_-]?(?<word>[A-Z]?(?>[a-z]+)(?:[A-Z](?>[a-z]+))*[0-9]{0,2}|(?>[A-Z]+)[0-9]{0,2})(?:[._:/-]+(?<word>[A-Z]?(?>[a-z]+)(?:[A-Z](?>[a-z]+))*[0-9]{0,2}|(?>[A-Z]+)[0-9]{0,2}))+[.:/_-]?$", RegexOptions.CultureInvariant, 250)]
    private static partial Regex WordPath();
}
