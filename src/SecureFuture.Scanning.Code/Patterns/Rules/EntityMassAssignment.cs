using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-115: an EF Core entity (a type used as <c>DbSet&lt;T&gt;</c> in the compilation) bound from the request
/// as a parameter of a POST/PUT/PATCH action or a minimal-API handler, and handed as-is to
/// <c>Add</c>/<c>Update</c>/<c>Attach</c>, <c>SetValues</c>, or marked <c>Entry(x).State = EntityState.Modified</c>
/// (the scaffolded API controller's PUT). Every column, including <c>IsAdmin</c>, <c>OwnerId</c>
/// or <c>Price</c>, is then whatever the client posts. A parameter restricted with <c>[Bind("A,B")]</c> is left alone.
/// </summary>
internal sealed class EntityMassAssignment : CodePattern
{
    private static readonly HashSet<string> MapVerbs = new(StringComparer.Ordinal) { "MapPost", "MapPut", "MapPatch" };

    public override IReadOnlyCollection<string> Triggers { get; } =
        ["Add", "AddAsync", "Update", "Attach", "AddRange", "AddRangeAsync", "UpdateRange", "AttachRange", "SetValues", "Entry"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (Syntax.InvocationOf(name) is not { ArgumentList.Arguments: [var argument, ..] } call
            || Saved(name, call) is not { } saved
            || argument.Expression is not IdentifierNameSyntax passed
            || BoundParameter(passed) is not { } parameter
            || parameter.Type is null
            || context.Facts.Entities.IsEmpty)
        {
            return;
        }

        var type = context.Model.GetTypeInfo(parameter.Type).Type;
        if (!context.Facts.Entities.Contains(type, Syntax.LastName(parameter.Type)))
        {
            return;
        }

        // The receiver is a DbSet<T>/DbContext (EF Core: usually unresolved, so by name) or SetValues' PropertyValues;
        // a List<T>.Add or any other resolved type is not a save.
        var receiver = name.Parent is MemberAccessExpressionSyntax access ? context.Model.GetTypeInfo(access.Expression).Type : null;
        var basis = Symbols.IsType(receiver, "Microsoft.EntityFrameworkCore.DbContext", "Microsoft.EntityFrameworkCore.DbSet`1",
            "Microsoft.EntityFrameworkCore.ChangeTracking.PropertyValues");
        if (basis is null && (receiver is null || receiver.TypeKind == TypeKind.Error && receiver.Name.Length == 0))
        {
            basis = MatchBasis.Name;
        }

        if (basis is { } b)
        {
            context.Report(saved, $"{Syntax.LastName(parameter.Type)} {parameter.Identifier.ValueText}", b);
        }
    }

    /// <summary>
    /// The expression that saves the argument: the call itself, or for <c>Entry(x)</c> the assignment
    /// <c>.State = EntityState.Modified</c> (or <c>Added</c>) that follows it; null for any other use of <c>Entry</c>.
    /// </summary>
    private static ExpressionSyntax? Saved(SimpleNameSyntax name, InvocationExpressionSyntax call)
    {
        if (name.Identifier.ValueText != "Entry")
        {
            return call;
        }

        return call.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "State", Parent: AssignmentExpressionSyntax state } access
            && state.Left == access && Syntax.LastName(state.Right) is "Modified" or "Added"
                ? state
                : null;
    }

    /// <summary>The request-bound parameter an identifier refers to: of a state-changing action or a MapPost/MapPut/MapPatch handler.</summary>
    private static ParameterSyntax? BoundParameter(IdentifierNameSyntax passed)
    {
        var text = passed.Identifier.ValueText;
        foreach (var ancestor in passed.Ancestors())
        {
            switch (ancestor)
            {
                case MethodDeclarationSyntax method:
                    var isAction = method.AttributeLists.SelectMany(l => l.Attributes)
                        .Any(a => HttpVerbs.StateChanging.Contains(Syntax.LastName(a.Name)) && !Syntax.LastName(a.Name).StartsWith("HttpDelete", StringComparison.Ordinal));
                    return isAction ? Bindable(method.ParameterList.Parameters.FirstOrDefault(p => p.Identifier.ValueText == text)) : null;
                case ParenthesizedLambdaExpressionSyntax lambda
                    when lambda.Parent is ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax map } && MapVerbs.Contains(Syntax.LastName(map.Expression)):
                    return Bindable(lambda.ParameterList.Parameters.FirstOrDefault(p => p.Identifier.ValueText == text));
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                    // a lambda that is not a handler: its parameter shadows nothing we know about
                    if (ParametersOf(ancestor).Any(p => p.Identifier.ValueText == text))
                    {
                        return null;
                    }

                    break;
            }
        }

        return null;
    }

    private static SeparatedSyntaxList<ParameterSyntax> ParametersOf(SyntaxNode function) => function switch
    {
        ParenthesizedLambdaExpressionSyntax l => l.ParameterList.Parameters,
        SimpleLambdaExpressionSyntax s => SyntaxFactory.SingletonSeparatedList(s.Parameter),
        AnonymousMethodExpressionSyntax a => a.ParameterList?.Parameters ?? [],
        LocalFunctionStatementSyntax f => f.ParameterList.Parameters,
        _ => [],
    };

    /// <summary>A parameter bound from the body or form, not one restricted by [Bind(...)] or taken from services or the route.</summary>
    private static ParameterSyntax? Bindable(ParameterSyntax? parameter)
    {
        if (parameter is null)
        {
            return null;
        }

        var attributes = parameter.AttributeLists.SelectMany(l => l.Attributes).Select(HttpVerbs.AttributeName);
        return attributes.Any(a => a is "Bind" or "FromServices" or "FromRoute" or "FromQuery" or "FromHeader") ? null : parameter;
    }
}
