using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>Decides whether a symbol is a given framework type or member, falling back to names when it is unresolved.</summary>
internal static class Symbols
{
    /// <summary><c>Namespace.Type</c> (metadata name, so generic types carry their arity: <c>DbSet`1</c>).</summary>
    public static string FullName(ISymbol symbol)
    {
        var ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() + "." : string.Empty;
        var outer = symbol.ContainingType is { } containing ? FullName(containing)[ns.Length..] + "+" : string.Empty;
        return ns + outer + symbol.MetadataName;
    }

    /// <summary>
    /// Whether <paramref name="type"/> is (or derives from) one of <paramref name="fullNames"/>: <see cref="MatchBasis.Symbol"/>
    /// when it resolved; when it did not, <see cref="MatchBasis.Name"/> if its unresolved name is the last part of one
    /// of them; null when it is some other type.
    /// </summary>
    public static MatchBasis? IsType(ITypeSymbol? type, params string[] fullNames)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.TypeKind == TypeKind.Error)
            {
                return fullNames.Any(f => SimpleName(f) == t.Name) ? MatchBasis.Name : null;
            }

            if (fullNames.Contains(FullName(t.OriginalDefinition), StringComparer.Ordinal))
            {
                return MatchBasis.Symbol;
            }
        }

        return null;
    }

    /// <summary>
    /// Like <see cref="IsType"/> for the type of an expression, falling back to its syntax when binding gave no type at
    /// all (a member of an unresolved type): <c>new T()</c>, <c>T.Shared</c>, or a target-typed <c>new()</c> whose target is declared as T.
    /// </summary>
    public static MatchBasis? IsTypeOf(SemanticModel model, ExpressionSyntax expression, params string[] fullNames)
    {
        var type = model.GetTypeInfo(expression).Type;
        if (type is not null && (type.TypeKind != TypeKind.Error || type.Name.Length > 0))
        {
            return IsType(type, fullNames);
        }

        var named = expression switch
        {
            ObjectCreationExpressionSyntax o => Syntax.LastName(o.Type),
            ImplicitObjectCreationExpressionSyntax i => Syntax.LastName(Syntax.TargetTypeOf(i)),
            MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax or QualifiedNameSyntax } m => Syntax.LastName(m.Expression),
            _ => null,
        };
        return named is not null && fullNames.Any(f => SimpleName(f) == named) ? MatchBasis.Name : null;
    }

    /// <summary>Whether the type could not be resolved at all (no symbol, or an error type).</summary>
    public static bool IsUnresolved(ITypeSymbol? type) => type is null or { TypeKind: TypeKind.Error };

    /// <summary>The symbol a node binds to, or its only candidate when binding failed (overloads of an unresolved type).</summary>
    public static ISymbol? SymbolOf(SemanticModel model, SyntaxNode node)
    {
        var info = model.GetSymbolInfo(node);
        return info.Symbol ?? (info.CandidateSymbols.Length == 1 ? info.CandidateSymbols[0] : null);
    }

    private static string SimpleName(string fullName)
    {
        var dot = fullName.LastIndexOfAny(['.', '+']);
        var name = dot < 0 ? fullName : fullName[(dot + 1)..];
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }
}
