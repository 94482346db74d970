using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// MD5 and SHA-1 in use (<c>MD5.Create()</c>, <c>SHA1.HashData(x)</c>, <c>new MD5CryptoServiceProvider()</c>...), and
/// whether what they hash is a secret. Shared by <see cref="WeakPasswordHash"/> and <see cref="WeakHashAlgorithm"/>,
/// which split the uses between them.
/// </summary>
internal static class WeakHashes
{
    public static readonly IReadOnlyCollection<string> TypeNames =
    [
        "MD5", "MD5CryptoServiceProvider", "MD5Cng", "SHA1", "SHA1CryptoServiceProvider", "SHA1Managed", "SHA1Cng",
    ];

    private static readonly string[] FullNames = ["System.Security.Cryptography.MD5", "System.Security.Cryptography.SHA1"];

    private static readonly HashSet<string> HashingMethods = new(StringComparer.Ordinal)
    {
        "ComputeHash", "ComputeHashAsync", "HashData", "HashDataAsync", "TryHashData", "TransformBlock", "TransformFinalBlock",
    };

    /// <summary>The use of a weak hash that <paramref name="typeName"/> starts, with the algorithm's name.</summary>
    public static (ExpressionSyntax Use, string Algorithm, MatchBasis Basis)? Find(SimpleNameSyntax typeName, PatternContext context)
    {
        if (Syntax.TypeUse(typeName) is not { } use || use.Member is not (".ctor" or "Create" or "HashData" or "HashDataAsync" or "TryHashData"))
        {
            return null;
        }

        var type = context.Model.GetTypeInfo(Syntax.Qualified(typeName)).Type ?? Symbols.SymbolOf(context.Model, typeName) as ITypeSymbol;
        if (Symbols.IsType(type, FullNames) is not { } basis)
        {
            return null;
        }

        var algorithm = typeName.Identifier.ValueText.StartsWith("MD5", StringComparison.Ordinal) ? "MD5" : "SHA-1";
        return (use.Expression, algorithm, basis);
    }

    /// <summary>
    /// Whether the hash is of a secret, judged by names: the variable, member or method the result goes to, the
    /// method around it, and the identifiers hashed by this call or by the hashing calls in the same method.
    /// </summary>
    public static bool HashesSecret(ExpressionSyntax use)
    {
        if (SecretNames.IsSecret(Syntax.EnclosingMemberName(use)) || TargetName(use) is { } target && SecretNames.IsSecret(target))
        {
            return true;
        }

        var scope = Syntax.EnclosingBody(use) ?? use;
        var hashed = scope.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
            .Where(i => HashingMethods.Contains(Syntax.LastName(i.Expression)))
            .SelectMany(i => i.ArgumentList.Arguments)
            .Select(a => a.Expression);
        if (use is ObjectCreationExpressionSyntax or InvocationExpressionSyntax)
        {
            hashed = hashed.Concat(ArgumentsOf(use));
        }

        return hashed.SelectMany(e => e.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
            .Any(id => SecretNames.IsSecret(id.Identifier.ValueText));
    }

    private static IEnumerable<ExpressionSyntax> ArgumentsOf(ExpressionSyntax use) => use switch
    {
        InvocationExpressionSyntax i => i.ArgumentList.Arguments.Select(a => a.Expression),
        ObjectCreationExpressionSyntax o => o.ArgumentList?.Arguments.Select(a => a.Expression) ?? [],
        _ => [],
    };

    /// <summary>The name of the local, field or property the expression's value is stored in, if directly.</summary>
    internal static string? TargetName(SyntaxNode expression)
    {
        foreach (var ancestor in expression.Ancestors())
        {
            switch (ancestor)
            {
                case VariableDeclaratorSyntax d:
                    return d.Identifier.ValueText;
                case AssignmentExpressionSyntax a:
                    return Syntax.LastName(a.Left);
                case StatementSyntax or ArgumentSyntax or AnonymousFunctionExpressionSyntax or MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }
}

/// <summary>SFI-CODE-101: MD5 or SHA-1 hashing a password, token or other secret.</summary>
internal sealed class WeakPasswordHash : CodePattern
{
    public override IReadOnlyCollection<string> Triggers => WeakHashes.TypeNames;

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (WeakHashes.Find(name, context) is { } found && WeakHashes.HashesSecret(found.Use))
        {
            context.Report(found.Use, found.Algorithm, found.Basis);
        }
    }
}

/// <summary>SFI-CODE-102: MD5 or SHA-1 used for anything that is not visibly a secret (lower severity than 101).</summary>
internal sealed class WeakHashAlgorithm : CodePattern
{
    public override IReadOnlyCollection<string> Triggers => WeakHashes.TypeNames;

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (WeakHashes.Find(name, context) is { } found && !WeakHashes.HashesSecret(found.Use))
        {
            context.Report(found.Use, found.Algorithm, found.Basis);
        }
    }
}
