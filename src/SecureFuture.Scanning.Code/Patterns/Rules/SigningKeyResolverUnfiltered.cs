using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-109: an <c>IssuerSigningKeyResolver</c> that returns keys without looking at the token: what it returns
/// does not depend on the token, the security token or the <c>kid</c> it is given (only, at most, on the validation
/// parameters). Every key it knows, from every issuer or tenant, then verifies every token: the Storm-0558 mistake,
/// where a consumer signing key was accepted for enterprise tokens.
/// </summary>
internal sealed class SigningKeyResolverUnfiltered : CodePattern
{
    public override IReadOnlyCollection<string> Triggers { get; } = ["IssuerSigningKeyResolver", "IssuerSigningKeyResolverUsingConfiguration"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.AssignmentTo(name) is not { } assignment || DelegateBody.Of(assignment.Right, context) is not { } body)
        {
            return;
        }

        // (string token, SecurityToken securityToken, string kid, TokenValidationParameters parameters[, configuration])
        var tokenParameters = body.Parameters.Take(3)
            .Select(p => p.Identifier.ValueText)
            .Where(n => n != "_")
            .ToHashSet(StringComparer.Ordinal);
        var returns = body.Returns();
        if (returns.Count == 0 || returns.All(r => IsEmpty(r) || Filtered(r, body, tokenParameters)))
        {
            return;
        }

        if (TokenValidationParametersSyntax.Targets(assignment, context) is { } basis)
        {
            context.Report(assignment.Right, name.Identifier.ValueText, basis);
        }
    }

    /// <summary>
    /// A returned value is filtered when it is computed from the token's parameters (<c>keys.Where(k =&gt; k.KeyId == kid)</c>,
    /// a dictionary looked up by kid) or returned only under a condition on them (<c>if (kid == Expected) return [key];</c>).
    /// </summary>
    private static bool Filtered(ExpressionSyntax returned, DelegateBody body, IReadOnlySet<string> tokenParameters) =>
        body.DependsOn(returned, tokenParameters)
        || returned.Ancestors().TakeWhile(a => a != body.Body).Any(a => a switch
        {
            IfStatementSyntax i => body.DependsOn(i.Condition, tokenParameters),
            SwitchStatementSyntax s => body.DependsOn(s.Expression, tokenParameters),
            SwitchExpressionSyntax s => body.DependsOn(s.GoverningExpression, tokenParameters),
            ConditionalExpressionSyntax c => body.DependsOn(c.Condition, tokenParameters),
            _ => false,
        })
        || PrecededByGuard(returned, body, tokenParameters);

    /// <summary>An earlier <c>if (kid != Expected) return ...;</c>/<c>throw</c> in the same block also filters what follows.</summary>
    private static bool PrecededByGuard(ExpressionSyntax returned, DelegateBody body, IReadOnlySet<string> tokenParameters) =>
        returned.FirstAncestorOrSelf<StatementSyntax>() is { Parent: BlockSyntax block } statement
        && block.Statements.TakeWhile(s => s != statement).OfType<IfStatementSyntax>().Any(i =>
            body.DependsOn(i.Condition, tokenParameters)
            && i.Statement.DescendantNodesAndSelf().Any(n => n is ReturnStatementSyntax or ThrowStatementSyntax));

    /// <summary>Returning nothing (<c>null</c>, <c>[]</c>, <c>Array.Empty&lt;SecurityKey&gt;()</c>) accepts no token.</summary>
    private static bool IsEmpty(ExpressionSyntax returned) => returned.WalkDownParentheses() switch
    {
        LiteralExpressionSyntax l => l.IsKind(SyntaxKind.NullLiteralExpression),
        CollectionExpressionSyntax c => c.Elements.Count == 0,
        InvocationExpressionSyntax i => Syntax.LastName(i.Expression) == "Empty",
        ArrayCreationExpressionSyntax a => a.Initializer is null or { Expressions.Count: 0 }
            && a.Type.RankSpecifiers.SelectMany(r => r.Sizes).All(s => s is OmittedArraySizeExpressionSyntax or LiteralExpressionSyntax { Token.ValueText: "0" }),
        _ => false,
    };
}
