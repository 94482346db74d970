using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-114: <c>UseDeveloperExceptionPage()</c> that is not guarded by a Development-environment check: not in the
/// true branch of <c>if (env.IsDevelopment())</c> (or the else branch of <c>if (!...IsDevelopment())</c>), not after an
/// early <c>if (!env.IsDevelopment()) return;</c>, and not in a <c>ConfigureDevelopment</c> startup method. In
/// production it shows stack traces, source lines, headers and cookies to anyone who triggers an error.
/// </summary>
internal sealed class DeveloperExceptionPageUnguarded : CodePattern
{
    public override IReadOnlyCollection<string> Triggers { get; } = ["UseDeveloperExceptionPage"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.InvocationOf(name) is not { } call || IsGuarded(call))
        {
            return;
        }

        var method = Symbols.SymbolOf(context.Model, call) as IMethodSymbol;
        var basis = method is null ? MatchBasis.Name
            : Symbols.IsType(method.ContainingType, "Microsoft.AspNetCore.Builder.DeveloperExceptionPageExtensions");
        if (basis is { } b)
        {
            context.Report(call, "UseDeveloperExceptionPage()", b);
        }
    }

    private static bool IsGuarded(SyntaxNode call)
    {
        if (Syntax.EnclosingMemberName(call).Contains("Development", StringComparison.Ordinal))
        {
            return true; // convention-based Startup.ConfigureDevelopment runs only in Development
        }

        for (SyntaxNode? node = call; node is not null and not MemberDeclarationSyntax; node = node.Parent)
        {
            switch (node.Parent)
            {
                case IfStatementSyntax i when i.Statement == node && Says(i.Condition) == Environment.Development:
                case ElseClauseSyntax { Parent: IfStatementSyntax e } when Says(e.Condition) == Environment.NotDevelopment:
                case ConditionalExpressionSyntax c when (c.WhenTrue == node && Says(c.Condition) == Environment.Development)
                                                      || (c.WhenFalse == node && Says(c.Condition) == Environment.NotDevelopment):
                    return true;
                case BlockSyntax block when node is StatementSyntax statement && EarlyExitUnlessDevelopment(block, statement):
                    return true;
            }
        }

        return false;
    }

    /// <summary><c>if (!env.IsDevelopment()) return;</c> (or throw) before the statement in the same block.</summary>
    private static bool EarlyExitUnlessDevelopment(BlockSyntax block, StatementSyntax statement) =>
        block.Statements.TakeWhile(s => s != statement).OfType<IfStatementSyntax>().Any(i =>
            Says(i.Condition) == Environment.NotDevelopment
            && i.Statement.DescendantNodesAndSelf().Any(n => n is ReturnStatementSyntax or ThrowStatementSyntax));

    private enum Environment
    {
        Unknown,
        Development,
        NotDevelopment,
    }

    /// <summary>What a condition says about the environment: <c>IsDevelopment()</c>, <c>IsEnvironment("Development")</c>, <c>EnvironmentName == "Development"</c>, negations, and <c>&amp;&amp;</c>.</summary>
    private static Environment Says(ExpressionSyntax condition)
    {
        // Conditions nest as deep as the scanned code likes: fail this rule (PatternCheck reports it), never the process.
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        condition = condition.WalkDownParentheses();
        switch (condition)
        {
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not:
                return Negate(Says(not.Operand));
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } and:
                var left = Says(and.Left);
                return left == Environment.Development ? left : Says(and.Right) == Environment.Development ? Environment.Development : Environment.Unknown;
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } or:
                // IsDevelopment() || EnvironmentName == "Docker": every alternative is Development or a named non-production environment
                return IsDevelopmentOrNamedEnvironment(or.Left) && IsDevelopmentOrNamedEnvironment(or.Right) ? Environment.Development : Environment.Unknown;
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } comparison:
                var says = IsDevelopmentLiteral(comparison.Right) || IsDevelopmentLiteral(comparison.Left) ? Environment.Development
                    : Syntax.IsTrue(comparison.Right) ? Says(comparison.Left)
                    : comparison.Right.IsKind(SyntaxKind.FalseLiteralExpression) ? Negate(Says(comparison.Left))
                    : Environment.Unknown;
                return comparison.IsKind(SyntaxKind.NotEqualsExpression) ? Negate(says) : says;
            case InvocationExpressionSyntax call:
                return Syntax.LastName(call.Expression) switch
                {
                    "IsDevelopment" => Environment.Development,
                    "IsEnvironment" when call.ArgumentList.Arguments is [var env] && IsDevelopmentLiteral(env.Expression) => Environment.Development,
                    _ => Environment.Unknown,
                };
            default:
                return Environment.Unknown;
        }
    }

    /// <summary>A Development check, or a check for one named environment other than Production or Staging.</summary>
    private static bool IsDevelopmentOrNamedEnvironment(ExpressionSyntax condition)
    {
        if (Says(condition) == Environment.Development)
        {
            return true;
        }

        var named = condition.WalkDownParentheses() switch
        {
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } c when Syntax.LastName(c.Left) == "EnvironmentName" => c.Right,
            InvocationExpressionSyntax { ArgumentList.Arguments: [var env] } call when Syntax.LastName(call.Expression) == "IsEnvironment" => env.Expression,
            _ => null,
        };
        return named is LiteralExpressionSyntax { Token.Value: string name } && name is not ("Production" or "Staging");
    }

    private static Environment Negate(Environment says) => says switch
    {
        Environment.Development => Environment.NotDevelopment,
        Environment.NotDevelopment => Environment.Development,
        _ => Environment.Unknown,
    };

    private static bool IsDevelopmentLiteral(ExpressionSyntax expression) =>
        expression is LiteralExpressionSyntax { Token.ValueText: "Development" }
        || (expression is MemberAccessExpressionSyntax m && m.Name.Identifier.ValueText == "Development" && Syntax.LastName(m.Expression) == "Environments");
}
