using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// The token checks a project performs itself, found from syntax: a token library (OpenIddict) switches a
/// <c>TokenValidationParameters</c> check off because a handler of its own makes it, with its own errors, after the
/// signature is verified. A switched-off check is excused only in a project that validates tokens itself (it calls
/// <c>ValidateToken</c>/<c>ValidateTokenAsync</c>, rather than handing the parameters to ASP.NET Core's handlers) and
/// shows that very check; everywhere else it is still a finding.
/// </summary>
internal sealed class TokenSelfChecks
{
    /// <summary>An identifier that names an expiry: <c>GetExpirationDate()</c>, <c>ExpiresAt</c>, <c>ValidTo</c>, <c>NotAfter</c>.</summary>
    private static readonly Regex Expiry = new("(?i)expir|^validto$|^notafter$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Identifiers that name the audience or issuer of a token, not the flags and expected values of the parameters.</summary>
    private static readonly Regex Audience = new("(?i)audience", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static readonly Regex Issuer = new("(?i)issuer", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static readonly HashSet<string> ParameterNames = new(StringComparer.Ordinal)
    {
        "ValidateAudience", "RequireAudience", "ValidAudience", "ValidAudiences", "AudienceValidator",
        "ValidateIssuer", "ValidIssuer", "ValidIssuers", "IssuerValidator", "ValidateIssuerSigningKey", "IssuerSigningKey",
        "IssuerSigningKeys", "IssuerSigningKeyResolver", "IssuerSigningKeyValidator", "TokenValidationParameters",
    };

    private TokenSelfChecks(bool validates, bool lifetime, bool audience, bool issuer)
    {
        ValidatesTokens = validates;
        ChecksLifetime = lifetime;
        ChecksAudience = audience;
        ChecksIssuer = issuer;
    }

    /// <summary>The project calls a token handler's <c>ValidateToken</c> or <c>ValidateTokenAsync</c> itself.</summary>
    public bool ValidatesTokens { get; }

    /// <summary>A method reads a token's expiry and compares a value with the clock (<c>date &lt; DateTimeOffset.UtcNow</c>).</summary>
    public bool ChecksLifetime { get; }

    /// <summary>An <c>if</c> condition tests a token's audience (<c>!principal.HasAudience(clientId)</c>).</summary>
    public bool ChecksAudience { get; }

    /// <summary>An <c>if</c> condition tests a token's issuer (<c>!string.Equals(issuer, subject)</c>).</summary>
    public bool ChecksIssuer { get; }

    /// <summary>Whether the project makes the check that the <c>TokenValidationParameters</c> flag <paramref name="flag"/> turns off.</summary>
    public bool Covers(string flag) => ValidatesTokens && flag switch
    {
        "ValidateLifetime" or "RequireExpirationTime" => ChecksLifetime,
        "ValidateAudience" or "RequireAudience" => ChecksAudience,
        "ValidateIssuer" => ChecksIssuer,
        // Signatures and signing keys: nothing a project adds afterwards makes an unsigned token trustworthy.
        _ => false,
    };

    public static TokenSelfChecks Gather(CodeCompilation compilation)
    {
        bool validates = false, lifetime = false, audience = false, issuer = false;
        foreach (var tree in compilation.Trees.Where(t => compilation.PathOf(t) is not null))
        {
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                switch (node)
                {
                    case BinaryExpressionSyntax b when !lifetime && IsRelational(b) && (ReadsClock(b.Left) || ReadsClock(b.Right)):
                        lifetime = Syntax.EnclosingBody(b) is { } body && NamesAny(body, Expiry);
                        break;
                    case InvocationExpressionSyntax call when Taint.TaintEngine.InvokedName(call) is "ValidateToken" or "ValidateTokenAsync":
                        validates = true;
                        break;
                    case IfStatementSyntax i:
                        audience |= NamesAny(i.Condition, Audience);
                        issuer |= NamesAny(i.Condition, Issuer);
                        break;
                }
            }

            if (validates && lifetime && audience && issuer)
            {
                break;
            }
        }

        return new TokenSelfChecks(validates, lifetime, audience, issuer);
    }

    private static bool IsRelational(BinaryExpressionSyntax b) =>
        b.Kind() is SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression
            or SyntaxKind.GreaterThanExpression or SyntaxKind.GreaterThanOrEqualExpression;

    private static bool ReadsClock(ExpressionSyntax side) =>
        side.DescendantNodesAndSelf().OfType<SimpleNameSyntax>().Any(n => n.Identifier.ValueText is "UtcNow" or "GetUtcNow" or "Now");

    private static bool NamesAny(SyntaxNode node, Regex pattern) =>
        node.DescendantNodesAndSelf().OfType<SimpleNameSyntax>()
            .Any(n => !ParameterNames.Contains(n.Identifier.ValueText) && pattern.IsMatch(n.Identifier.ValueText));
}
