using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-110: an email-like claim (<c>email</c>, <c>preferred_username</c>, <c>upn</c>) used as the key that finds
/// the local user: <c>FindByEmailAsync(User.FindFirstValue(ClaimTypes.Email))</c>, or a query comparing a user column
/// to it. Those claims are mutable and, in multi-tenant identity providers, settable by whoever controls a tenant, so
/// an attacker who sets a victim's address in their own tenant signs in as the victim. The reported expression is the
/// lookup; the claim may reach it directly or through one local variable.
/// </summary>
internal sealed class EmailClaimAsIdentity : CodePattern
{
    private static readonly HashSet<string> EmailClaimValues = new(StringComparer.Ordinal)
    {
        "email", "emails", "preferred_username", "upn", "unique_name",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
    };

    private static readonly HashSet<string> EmailClaimMembers = new(StringComparer.Ordinal)
    {
        "Email", "PreferredUsername", "Upn", "UniqueName",
    };

    private static readonly HashSet<string> ClaimTypeHolders = new(StringComparer.Ordinal)
    {
        "ClaimTypes", "JwtRegisteredClaimNames", "JwtClaimTypes", "Claims", "OpenIddictConstants",
    };

    private static readonly HashSet<string> QueryOperators = new(StringComparer.Ordinal)
    {
        "First", "FirstOrDefault", "Single", "SingleOrDefault", "Where", "Any", "Find",
        "FirstAsync", "FirstOrDefaultAsync", "SingleAsync", "SingleOrDefaultAsync", "AnyAsync", "FindAsync",
    };

    private static readonly HashSet<string> ValueTransforms = new(StringComparer.Ordinal)
    {
        "Value", "ToLower", "ToLowerInvariant", "ToUpper", "ToUpperInvariant", "Trim", "Normalize", "ToString",
    };

    public override IReadOnlyCollection<string> Triggers { get; } = ["FindFirst", "FindFirstValue", "Type"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (ClaimRead(name, context) is not { } read)
        {
            return;
        }

        foreach (var lookup in Lookups(read.Expression, followLocals: true))
        {
            context.Report(lookup, read.ClaimType, read.Basis);
        }
    }

    /// <summary><c>User.FindFirst(ClaimTypes.Email)</c>, <c>FindFirstValue("email")</c>, or <c>claims.First(c =&gt; c.Type == "email")</c>.</summary>
    private static (ExpressionSyntax Expression, string ClaimType, MatchBasis Basis)? ClaimRead(SimpleNameSyntax name, PatternContext context)
    {
        if (name.Identifier.ValueText == "Type")
        {
            if (name.Parent is MemberAccessExpressionSyntax { Parent: BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } comparison } access
                && (comparison.Left == access ? comparison.Right : comparison.Left) is var other
                && EmailClaimType(other, context) is { } basis
                && comparison.Ancestors().OfType<AnonymousFunctionExpressionSyntax>().FirstOrDefault() is { Parent: ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax query } }
                && QueryOperators.Contains(Syntax.LastName(query.Expression)))
            {
                return (query, other.ToString(), basis);
            }

            return null;
        }

        if (Syntax.InvocationOf(name) is { ArgumentList.Arguments: [var claimType, ..] } call
            && EmailClaimType(claimType.Expression, context) is { } readBasis)
        {
            return (call, claimType.Expression.ToString(), readBasis);
        }

        return null;
    }

    private static MatchBasis? EmailClaimType(ExpressionSyntax expression, PatternContext context)
    {
        if (expression is MemberAccessExpressionSyntax access
            && !(EmailClaimMembers.Contains(access.Name.Identifier.ValueText) && ClaimTypeHolders.Contains(Syntax.LastName(access.Expression))))
        {
            return null; // syntax first: only ClaimTypes.Email-like members or literals are worth binding
        }

        if (expression is not (MemberAccessExpressionSyntax or LiteralExpressionSyntax))
        {
            return null;
        }

        if (Syntax.ConstantString(expression, context.Model) is { } value)
        {
            return EmailClaimValues.Contains(value) ? MatchBasis.Symbol : null;
        }

        return expression is MemberAccessExpressionSyntax ? MatchBasis.Name : null;
    }

    /// <summary>The lookups the claim's value reaches: as an argument, compared in a query's lambda, or through a local.</summary>
    private static IEnumerable<InvocationExpressionSyntax> Lookups(ExpressionSyntax read, bool followLocals)
    {
        var value = ValueOf(read);
        switch (value.Parent)
        {
            case ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax call } when IsUserLookup(Syntax.LastName(call.Expression)):
                yield return call;
                break;
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } comparison
                when comparison.Ancestors().OfType<AnonymousFunctionExpressionSyntax>().FirstOrDefault() is { Parent: ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax query } }
                    && QueryOperators.Contains(Syntax.LastName(query.Expression)):
                yield return query;
                break;
            case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax local } when followLocals && Syntax.EnclosingBody(local) is { } body:
                var uses = body.DescendantNodes().OfType<IdentifierNameSyntax>()
                    .Where(id => id.Identifier.ValueText == local.Identifier.ValueText && id.SpanStart > local.Span.End);
                foreach (var use in uses)
                {
                    foreach (var lookup in Lookups(use, followLocals: false))
                    {
                        yield return lookup;
                    }
                }

                break;
        }
    }

    /// <summary>Walks up from the claim through <c>?.Value</c>, <c>!</c>, <c>?? ""</c>, <c>await</c> and case/trim normalisation.</summary>
    private static ExpressionSyntax ValueOf(ExpressionSyntax read)
    {
        var current = read;
        while (true)
        {
            switch (current.Parent)
            {
                case MemberAccessExpressionSyntax m when m.Expression == current && ValueTransforms.Contains(m.Name.Identifier.ValueText):
                    current = m.Parent is InvocationExpressionSyntax i && i.Expression == m ? i : m;
                    break;
                case ConditionalAccessExpressionSyntax c when c.Expression == current:
                    current = c;
                    break;
                case PostfixUnaryExpressionSyntax or ParenthesizedExpressionSyntax or AwaitExpressionSyntax or CastExpressionSyntax:
                    current = (ExpressionSyntax)current.Parent;
                    break;
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression } b when b.Left == current:
                    current = b;
                    break;
                default:
                    return current;
            }
        }
    }

    /// <summary><c>FindByEmailAsync</c>, <c>FindByNameAsync</c>, <c>GetUserByEmail</c>, <c>LoadAccount</c>...: a call that finds a user by a key.</summary>
    private static bool IsUserLookup(string method) =>
        method.StartsWith("FindBy", StringComparison.Ordinal)
        || ((method.StartsWith("Find", StringComparison.Ordinal) || method.StartsWith("Get", StringComparison.Ordinal)
                || method.StartsWith("Load", StringComparison.Ordinal) || method.StartsWith("Lookup", StringComparison.Ordinal))
            && (method.Contains("User", StringComparison.Ordinal) || method.Contains("Account", StringComparison.Ordinal)
                || method.Contains("Member", StringComparison.Ordinal) || method.Contains("Customer", StringComparison.Ordinal)
                || method.Contains("ByEmail", StringComparison.Ordinal)))
        || QueryOperators.Contains(method) && method.StartsWith("Find", StringComparison.Ordinal);
}
