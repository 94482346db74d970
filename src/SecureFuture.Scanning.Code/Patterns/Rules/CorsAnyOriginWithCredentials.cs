using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-112: a CORS policy that lets any origin make credentialed requests: <c>AllowCredentials()</c> on a policy
/// that also calls <c>AllowAnyOrigin()</c>, <c>WithOrigins("*")</c> or <c>SetIsOriginAllowed(_ =&gt; true)</c> (in the
/// same fluent chain or on the same builder in the same method). Any site can then read the user's responses.
/// </summary>
internal sealed class CorsAnyOriginWithCredentials : CodePattern
{
    public override IReadOnlyCollection<string> Triggers { get; } = ["AllowCredentials"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.InvocationOf(name) is not { } call || name.Parent is not MemberAccessExpressionSyntax access)
        {
            return;
        }

        var chain = Chain(call).ToList();
        var policyCalls = new List<InvocationExpressionSyntax>(chain);
        if (RootOf(access.Expression) is IdentifierNameSyntax builder && chain[0].Parent is ExpressionStatementSyntax { Parent: BlockSyntax block })
        {
            // builder.AllowAnyOrigin(); builder.AllowCredentials(); as separate statements of one block
            policyCalls.AddRange(block.Statements.OfType<ExpressionStatementSyntax>()
                .Where(s => s.Expression is InvocationExpressionSyntax i && RootOf(i) is IdentifierNameSyntax r && r.Identifier.ValueText == builder.Identifier.ValueText)
                .SelectMany(s => Chain((InvocationExpressionSyntax)s.Expression)));
        }

        var anyOrigin = policyCalls.FirstOrDefault(i => AllowsAnyOrigin(i, context));
        if (anyOrigin is null)
        {
            return;
        }

        var method = Symbols.SymbolOf(context.Model, call) as IMethodSymbol;
        var basis = method is null ? MatchBasis.Name : Symbols.IsType(method.ContainingType, "Microsoft.AspNetCore.Cors.Infrastructure.CorsPolicyBuilder");
        if (basis is { } b)
        {
            context.Report(Syntax.NameThroughArguments(name, call), call, Syntax.LastName(anyOrigin.Expression), b);
        }
    }

    /// <summary>Every invocation of the fluent chain <paramref name="call"/> is part of, outermost first.</summary>
    private static IEnumerable<InvocationExpressionSyntax> Chain(InvocationExpressionSyntax call)
    {
        SyntaxNode top = call;
        while (top.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax outer })
        {
            top = outer;
        }

        for (var node = top as ExpressionSyntax; node is not null;)
        {
            if (node is InvocationExpressionSyntax invocation)
            {
                yield return invocation;
                node = invocation.Expression;
            }
            else
            {
                node = node is MemberAccessExpressionSyntax m ? m.Expression : null;
            }
        }
    }

    private static ExpressionSyntax RootOf(ExpressionSyntax expression)
    {
        while (true)
        {
            switch (expression)
            {
                case InvocationExpressionSyntax i:
                    expression = i.Expression;
                    break;
                case MemberAccessExpressionSyntax m:
                    expression = m.Expression;
                    break;
                default:
                    return expression;
            }
        }
    }

    private static bool AllowsAnyOrigin(InvocationExpressionSyntax invocation, PatternContext context) =>
        Syntax.LastName(invocation.Expression) switch
        {
            "AllowAnyOrigin" => true,
            "WithOrigins" => invocation.ArgumentList.Arguments.Any(a => context.Model.GetConstantValue(a.Expression) is { HasValue: true, Value: "*" }),
            "SetIsOriginAllowed" => invocation.ArgumentList.Arguments is [var predicate]
                && DelegateBody.Of(predicate.Expression, context) is { } body && body.AlwaysReturnsTrue(),
            _ => false,
        };
}
