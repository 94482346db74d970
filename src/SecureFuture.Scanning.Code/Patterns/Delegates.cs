using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// What a delegate assigned to a callback property does: the lambda, anonymous method or method (through a method
/// group or <c>new Callback(M)</c>) behind it, its parameters and the expressions it returns.
/// </summary>
internal sealed record DelegateBody(SyntaxNode Body, IReadOnlyList<ParameterSyntax> Parameters)
{
    /// <summary>Resolves a callback value to its body; null for anything else (a field, a call's result...).</summary>
    public static DelegateBody? Of(ExpressionSyntax value, PatternContext context)
    {
        value = value.WalkDownParentheses();
        switch (value)
        {
            case SimpleLambdaExpressionSyntax simple:
                return new DelegateBody(simple.Body, [simple.Parameter]);
            case ParenthesizedLambdaExpressionSyntax lambda:
                return new DelegateBody(lambda.Body, lambda.ParameterList.Parameters);
            case AnonymousMethodExpressionSyntax anonymous:
                return new DelegateBody(anonymous.Body, anonymous.ParameterList?.Parameters ?? []);
            case ObjectCreationExpressionSyntax { ArgumentList.Arguments: [var only] }:
                return Of(only.Expression, context);
            case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                var method = Symbols.SymbolOf(context.ModelOf(value), value) as IMethodSymbol;
                var declaration = method?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
                return declaration switch
                {
                    MethodDeclarationSyntax m when (m.Body ?? (SyntaxNode?)m.ExpressionBody) is { } body => new DelegateBody(body, m.ParameterList.Parameters),
                    LocalFunctionStatementSyntax l when (l.Body ?? (SyntaxNode?)l.ExpressionBody) is { } body => new DelegateBody(body, l.ParameterList.Parameters),
                    _ => null,
                };
            default:
                return null;
        }
    }

    /// <summary>Every expression the body returns (its own returns, not those of nested lambdas or local functions).</summary>
    public IReadOnlyList<ExpressionSyntax> Returns()
    {
        switch (Body)
        {
            case ArrowExpressionClauseSyntax arrow:
                return [arrow.Expression];
            case ExpressionSyntax expression:
                return [expression];
        }

        return [.. Body.DescendantNodes(n => n == Body || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            .OfType<ReturnStatementSyntax>()
            .Where(r => r.Expression is not null)
            .Select(r => r.Expression!)];
    }

    /// <summary>Whether the delegate returns <c>true</c> on every path that returns (and never throws): it accepts everything.</summary>
    public bool AlwaysReturnsTrue()
    {
        var returns = Returns();
        return returns.Count > 0
            && returns.All(Syntax.IsTrue)
            && !Body.DescendantNodes().Any(n => n is ThrowStatementSyntax or ThrowExpressionSyntax);
    }

    /// <summary>Whether a returned expression is exactly the parameter at <paramref name="index"/> (e.g. an issuer validator returning its issuer).</summary>
    public bool AlwaysReturnsParameter(int index)
    {
        if (index >= Parameters.Count)
        {
            return false;
        }

        var name = Parameters[index].Identifier.ValueText;
        var returns = Returns();
        return returns.Count > 0
            && returns.All(r => r.WalkDownParentheses() is IdentifierNameSyntax id && id.Identifier.ValueText == name)
            && !Body.DescendantNodes().Any(n => n is ThrowStatementSyntax or ThrowExpressionSyntax);
    }

    /// <summary>Whether the body calls anything whose name says it checks (<c>Validate*</c>, <c>Verify*</c>, <c>Check*</c>).</summary>
    public bool CallsAValidator() =>
        Body.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i =>
            Syntax.LastName(i.Expression) is var n
            && (n.Contains("Validate", StringComparison.Ordinal) || n.Contains("Verify", StringComparison.Ordinal) || n.StartsWith("Check", StringComparison.Ordinal)));

    /// <summary>
    /// Whether <paramref name="expression"/> depends on one of the named parameters: mentions it, or mentions a local
    /// whose value (initializer, assignment, or the call that fills an <c>out var</c>) does. Bounded by the body's locals.
    /// </summary>
    public bool DependsOn(ExpressionSyntax expression, IReadOnlySet<string> parameterNames)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<SyntaxNode>();
        pending.Push(expression);
        while (pending.Count > 0)
        {
            foreach (var id in pending.Pop().DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
            {
                var text = id.Identifier.ValueText;
                if (parameterNames.Contains(text))
                {
                    return true;
                }

                if (!visited.Add(text))
                {
                    continue;
                }

                foreach (var source in ValuesOfLocal(text))
                {
                    pending.Push(source);
                }
            }
        }

        return false;
    }

    private IEnumerable<SyntaxNode> ValuesOfLocal(string name)
    {
        foreach (var node in Body.DescendantNodes())
        {
            switch (node)
            {
                case VariableDeclaratorSyntax { Initializer: { } init } d when d.Identifier.ValueText == name:
                    yield return init.Value;
                    break;
                case AssignmentExpressionSyntax a when a.Left is IdentifierNameSyntax l && l.Identifier.ValueText == name:
                    yield return a.Right;
                    break;
                case SingleVariableDesignationSyntax s when s.Identifier.ValueText == name
                    && s.Ancestors().FirstOrDefault(x => x is InvocationExpressionSyntax or StatementSyntax) is InvocationExpressionSyntax call:
                    yield return call;
                    break;
                case ForEachStatementSyntax f when f.Identifier.ValueText == name:
                    yield return f.Expression;
                    break;
            }
        }
    }
}
