using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// Whether an assignment sets a member of Microsoft.IdentityModel's <c>TokenValidationParameters</c>. The type lives
/// in a NuGet package that a scan without restore cannot resolve, so when it is unresolved the names decide: the
/// created or declared type is named <c>TokenValidationParameters</c>, or the object is reached through a member of
/// that name (<c>options.TokenValidationParameters.ValidateIssuer = false</c>, <c>TokenValidationParameters = new() { ... }</c>).
/// </summary>
internal static class TokenValidationParametersSyntax
{
    private const string FullName = "Microsoft.IdentityModel.Tokens.TokenValidationParameters";
    private const string SimpleName = "TokenValidationParameters";

    public static MatchBasis? Targets(AssignmentExpressionSyntax assignment, PatternContext context)
    {
        SyntaxNode? target = Syntax.Receiver(assignment);
        if (target is null && Syntax.InitializedObject(assignment) is { } created)
        {
            target = created;
        }

        if (target is null)
        {
            return null;
        }

        var type = context.Model.GetTypeInfo(target).Type;
        if (!Symbols.IsUnresolved(type) || type is { Name.Length: > 0 })
        {
            return Symbols.IsType(type, FullName);
        }

        // Unresolved and nameless (e.g. new() { ... } or a member of an unresolved JwtBearerOptions): use the syntax.
        return NamesTokenValidationParameters(target) ? MatchBasis.Name : null;
    }

    private static bool NamesTokenValidationParameters(SyntaxNode target) => target switch
    {
        ObjectCreationExpressionSyntax o => Syntax.LastName(o.Type) == SimpleName,
        ImplicitObjectCreationExpressionSyntax i => Syntax.LastName(Syntax.TargetTypeOf(i)) == SimpleName,
        ExpressionSyntax e => Syntax.LastName(e) == SimpleName,
        _ => false,
    };
}
