using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns.Rules;

/// <summary>
/// SFI-CODE-113: a state-changing MVC action (<c>[HttpPost]</c>, <c>[HttpPut]</c>, <c>[HttpDelete]</c>, <c>[HttpPatch]</c>)
/// on a view <c>Controller</c> with no antiforgery validation: none on the action, its class or base classes, and no
/// global <c>AutoValidateAntiforgeryTokenAttribute</c> filter in the compilation. <c>[ApiController]</c> classes
/// (token-authenticated APIs, not cookie forms), actions taking a <c>[FromBody]</c> JSON body, projects that
/// authenticate with bearer tokens only or serve no browser (no views, redirects to actions, or cookie
/// authentication anywhere), and an explicit <c>[IgnoreAntiforgeryToken]</c> are left alone.
/// </summary>
internal sealed class MissingAntiforgery : CodePattern
{
    private static readonly HashSet<string> AntiforgeryAttributes = new(StringComparer.Ordinal)
    {
        "ValidateAntiForgeryToken", "AutoValidateAntiforgeryToken", "IgnoreAntiforgeryToken", "RequireAntiforgeryToken",
    };

    public override IReadOnlyCollection<string> Triggers => HttpVerbs.StateChanging;

    public override void Inspect(SimpleNameSyntax name, PatternContext context)
    {
        if (HttpVerbs.ActionOf(name) is not { } action || action.Parent is not ClassDeclarationSyntax)
        {
            return;
        }

        // A [FromBody] parameter means a JSON body, which a cross-site form cannot send without a CORS preflight.
        if (HasAntiforgery(action.AttributeLists) || TakesBody(action) || IsBackChannelLogout(action) || context.Facts.GlobalAntiforgeryFilter
            || context.Facts.BearerOnlyAuthentication || !context.Facts.BrowserFacing)
        {
            return;
        }

        if (context.Model.GetDeclaredSymbol(action)?.ContainingType is not { } controller)
        {
            return;
        }

        if (ControllerBasis(controller) is { } basis)
        {
            context.Report(Syntax.Qualified(name).Parent!, $"{controller.Name}.{action.Identifier.ValueText}", basis);
        }
    }

    /// <summary>A view controller without class-level antiforgery or [ApiController] on it or its bases.</summary>
    private static MatchBasis? ControllerBasis(INamedTypeSymbol controller)
    {
        MatchBasis? basis = null;
        for (var type = controller; type is not null; type = type.BaseType)
        {
            if (type.GetAttributes().Any(a => a.AttributeClass?.Name is { } n && (n == "ApiControllerAttribute" || AntiforgeryAttributes.Contains(n.Replace("Attribute", string.Empty, StringComparison.Ordinal)))))
            {
                return null;
            }

            if (type.TypeKind == TypeKind.Error)
            {
                basis ??= type.Name == "Controller" ? MatchBasis.Name : null;
                break;
            }

            if (Symbols.FullName(type) == "Microsoft.AspNetCore.Mvc.Controller")
            {
                basis = MatchBasis.Symbol;
            }
        }

        // [assembly: ApiController] makes every controller an API controller.
        return controller.ContainingAssembly.GetAttributes().Any(a => a.AttributeClass?.Name == "ApiControllerAttribute") ? null : basis;
    }

    private static bool TakesBody(MethodDeclarationSyntax action) =>
        action.ParameterList.Parameters.SelectMany(p => p.AttributeLists).SelectMany(l => l.Attributes).Any(a => HttpVerbs.AttributeName(a) == "FromBody");

    /// <summary>
    /// An OpenID Connect back-channel logout endpoint: its one input is the <c>logout_token</c> form parameter, which
    /// the provider POSTs server to server, with no cookie (Back-Channel Logout 1.0 §2.5), and which the endpoint must
    /// validate as a JWT signed by the provider (§2.6). The signed token, not an ambient cookie, is what the request is
    /// worth, so a forged cross-site form gains nothing. Any other bound parameter could be forged, so then the action
    /// is judged like any other.
    /// </summary>
    private static bool IsBackChannelLogout(MethodDeclarationSyntax action) =>
        action.ParameterList.Parameters.Where(p => p.Type is null || Syntax.LastName(p.Type) != "CancellationToken").ToList() is [var only]
        && (only.Identifier.ValueText == LogoutToken || only.AttributeLists.SelectMany(l => l.Attributes).Any(a =>
            HttpVerbs.AttributeName(a) == "FromForm" && a.ArgumentList?.Arguments.Any(x =>
                x.NameEquals?.Name.Identifier.ValueText == "Name" && x.Expression is LiteralExpressionSyntax { Token.ValueText: LogoutToken }) == true));

    private const string LogoutToken = "logout_token";

    private static bool HasAntiforgery(SyntaxList<AttributeListSyntax> lists) =>
        lists.SelectMany(l => l.Attributes).Any(a => AntiforgeryAttributes.Contains(HttpVerbs.AttributeName(a)));
}

/// <summary>The state-changing HTTP verb attributes and the action method they sit on.</summary>
internal static class HttpVerbs
{
    public static readonly IReadOnlyCollection<string> StateChanging =
    [
        "HttpPost", "HttpPut", "HttpDelete", "HttpPatch", "HttpPostAttribute", "HttpPutAttribute", "HttpDeleteAttribute", "HttpPatchAttribute",
    ];

    /// <summary>The method a verb attribute (by its name node) decorates, or null.</summary>
    public static MethodDeclarationSyntax? ActionOf(SimpleNameSyntax attributeName) =>
        Syntax.Qualified(attributeName).Parent is AttributeSyntax { Parent: AttributeListSyntax { Target: null, Parent: MethodDeclarationSyntax method } }
            ? method
            : null;

    /// <summary>An attribute's name without namespace or <c>Attribute</c> suffix.</summary>
    public static string AttributeName(AttributeSyntax attribute)
    {
        var name = Syntax.LastName(attribute.Name);
        return name.EndsWith("Attribute", StringComparison.Ordinal) ? name[..^"Attribute".Length] : name;
    }
}
