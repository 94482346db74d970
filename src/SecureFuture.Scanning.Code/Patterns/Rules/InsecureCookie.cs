using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-111: cookies readable by script or sent over plain HTTP: <c>Secure = false</c> or <c>HttpOnly = false</c>
/// on <c>CookieOptions</c>/<c>CookieBuilder</c>, <c>CookieSecurePolicy.None</c>, <c>SameSiteMode.None</c> without
/// <c>Secure</c>, and an authentication or session cookie (judged by its name) appended without Secure and HttpOnly.
/// </summary>
internal sealed class InsecureCookie : CodePattern
{
    private static readonly string[] CookieTypes = ["Microsoft.AspNetCore.Http.CookieOptions", "Microsoft.AspNetCore.Http.CookieBuilder"];

    private static readonly string[] RequiredFlags = ["Secure", "HttpOnly"];

    private static readonly HashSet<string> AuthWords = new(StringComparer.Ordinal)
    {
        "session", "sess", "auth", "sid", "jwt", "identity", "login", "remember", "refresh", "access", "bearer", "sso", "aspnetcore",
    };

    public override IReadOnlyCollection<string> Triggers { get; } = ["Secure", "HttpOnly", "CookieSecurePolicy", "SameSiteMode", "Append"];

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        switch (name.Identifier.ValueText)
        {
            case "Secure" or "HttpOnly":
                if (Syntax.AssignmentTo(name) is { } assignment && Syntax.IsFalse(assignment.Right, context.Model)
                    && CookieTarget(assignment, context) is { } basis)
                {
                    context.Report(assignment, $"{name.Identifier.ValueText} = false", basis);
                }

                break;
            case "CookieSecurePolicy":
                if (name.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "None" } policy && policy.Expression == name
                    && Syntax.IsSetting(policy)
                    && EnumBasis(policy, "Microsoft.AspNetCore.Http.CookieSecurePolicy", context) is { } policyBasis)
                {
                    context.Report(policy, "CookieSecurePolicy.None", policyBasis);
                }

                break;
            case "SameSiteMode":
                if (name.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "None", Parent: AssignmentExpressionSyntax sameSite } mode
                    && mode.Expression == name && sameSite.Right == mode
                    && !SecureAlongside(sameSite)
                    && EnumBasis(mode, "Microsoft.AspNetCore.Http.SameSiteMode", context) is { } modeBasis)
                {
                    context.Report(sameSite, "SameSite = None without Secure", modeBasis);
                }

                break;
            case "Append":
                InspectAppend(name, context);
                break;
        }
    }

    /// <summary><c>Response.Cookies.Append("session", value[, options])</c> with an authentication-like name and options lacking Secure or HttpOnly.</summary>
    private static void InspectAppend(SimpleNameSyntax name, PatternContext context)
    {
        // Syntax first (StringBuilder.Append is everywhere): only x.Cookies.Append(name, value[, options]) is bound.
        if (Syntax.InvocationOf(name) is not { ArgumentList.Arguments: [var cookieName, _, ..] } call
            || name.Parent is not MemberAccessExpressionSyntax { Expression: var cookies }
            || !Syntax.LastName(cookies).EndsWith("Cookies", StringComparison.OrdinalIgnoreCase)
            || Syntax.ConstantString(cookieName.Expression, context.Model) is not { } cookie
            || !IsAuthCookie(cookie))
        {
            return;
        }

        var method = Symbols.SymbolOf(context.Model, call) as IMethodSymbol;
        if (Symbols.IsType(method?.ContainingType, "Microsoft.AspNetCore.Http.IResponseCookies") is not { } basis)
        {
            return;
        }

        var set = call.ArgumentList.Arguments.Count > 2 ? MembersSetTrue(call.ArgumentList.Arguments[2].Expression) : [];
        var missing = RequiredFlags.Where(m => !set.Contains(m)).ToList();
        if (missing.Count > 0)
        {
            context.Report(call, $"cookie '{cookie}' without {string.Join(" and ", missing)}", basis);
        }
    }

    /// <summary>The members set to true on the options: in their initializer, or on the local that holds them.</summary>
    private static HashSet<string> MembersSetTrue(ExpressionSyntax options)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var creation = options as BaseObjectCreationExpressionSyntax;
        if (options is IdentifierNameSyntax local && Syntax.EnclosingBody(options) is { } body)
        {
            var text = local.Identifier.ValueText;
            creation = body.DescendantNodes().OfType<VariableDeclaratorSyntax>()
                .FirstOrDefault(d => d.Identifier.ValueText == text)?.Initializer?.Value as BaseObjectCreationExpressionSyntax;
            set.UnionWith(body.DescendantNodes().OfType<AssignmentExpressionSyntax>()
                .Where(a => a.Left is MemberAccessExpressionSyntax m && Syntax.LastName(m.Expression) == text && Syntax.IsTrue(a.Right))
                .Select(a => Syntax.LastName(a.Left)));
        }

        if (creation?.Initializer is { } init)
        {
            set.UnionWith(init.Expressions.OfType<AssignmentExpressionSyntax>().Where(a => Syntax.IsTrue(a.Right)).Select(a => Syntax.LastName(a.Left)));
        }

        return set;
    }

    /// <summary>Whether Secure (or SecurePolicy = Always) is set beside a SameSite assignment: same initializer, or same receiver in the same body.</summary>
    private static bool SecureAlongside(AssignmentExpressionSyntax sameSite)
    {
        static bool IsSecureSetting(AssignmentExpressionSyntax a) =>
            (Syntax.LastName(a.Left) == "Secure" && Syntax.IsTrue(a.Right))
            || (Syntax.LastName(a.Left) == "SecurePolicy" && Syntax.LastName(a.Right) == "Always");

        if (sameSite.Parent is InitializerExpressionSyntax init)
        {
            return init.Expressions.OfType<AssignmentExpressionSyntax>().Any(IsSecureSetting);
        }

        var receiver = Syntax.Receiver(sameSite)?.ToString();
        return receiver is not null && Syntax.EnclosingBody(sameSite) is { } body
            && body.DescendantNodes().OfType<AssignmentExpressionSyntax>()
                .Any(a => IsSecureSetting(a) && Syntax.Receiver(a)?.ToString() == receiver);
    }

    private static MatchBasis? CookieTarget(AssignmentExpressionSyntax assignment, PatternContext context)
    {
        var target = Syntax.Receiver(assignment) ?? Syntax.InitializedObject(assignment);
        return target is null ? null : Symbols.IsTypeOf(context.Model, target, CookieTypes);
    }

    private static MatchBasis? EnumBasis(MemberAccessExpressionSyntax member, string enumType, PatternContext context)
    {
        var symbol = Symbols.SymbolOf(context.Model, member);
        return symbol is null ? MatchBasis.Name : Symbols.IsType(symbol.ContainingType, enumType);
    }

    private static bool IsAuthCookie(string name) =>
        SecretNames.IsSecret(name) || SecretNames.Split(name).Any(AuthWords.Contains);
}
