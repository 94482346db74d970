using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// Facts about a whole compilation that some patterns need (which types are EF Core entities, whether antiforgery is
/// validated globally). Each is computed on first use, by a token scan that binds only what it finds.
/// </summary>
internal sealed class CompilationFacts(CodeCompilation compilation)
{
    private readonly Lazy<EntityTypes> _entities = new(() => FindEntityTypes(compilation));
    private readonly Lazy<bool> _globalAntiforgery = new(() => FindGlobalAntiforgeryFilter(compilation));
    private readonly Lazy<bool> _bearerOnly = new(() => FindBearerOnlyAuthentication(compilation));
    private readonly Lazy<bool> _browserFacing = new(() => FindBrowserFacing(compilation));

    /// <summary>Calls that only an application serving HTML to browsers makes.</summary>
    private static readonly HashSet<string> BrowserResults = new(StringComparer.Ordinal)
    {
        "View", "PartialView", "RedirectToAction", "RedirectToPage", "AddControllersWithViews", "AddRazorPages",
    };

    /// <summary>Registrations that make the browser authenticate by itself (cookies, Windows auth): what CSRF abuses.</summary>
    private static readonly HashSet<string> AmbientAuthentication = new(StringComparer.Ordinal)
    {
        "AddCookie", "AddIdentity", "AddDefaultIdentity", "AddOpenIdConnect", "AddMicrosoftIdentityWebApp", "AddSession",
        "AddNegotiate", "AddCertificate", "CookieAuthenticationDefaults", "AddGoogle", "AddFacebook", "AddMicrosoftAccount",
    };

    /// <summary>Types used as <c>DbSet&lt;T&gt;</c> in the compilation: EF Core entities.</summary>
    public EntityTypes Entities => _entities.Value;

    /// <summary>
    /// Whether an antiforgery filter is registered for every action, e.g.
    /// <c>services.AddControllersWithViews(o =&gt; o.Filters.Add(new AutoValidateAntiforgeryTokenAttribute()))</c>:
    /// the attribute's type named anywhere outside an attribute list.
    /// </summary>
    public bool GlobalAntiforgeryFilter => _globalAntiforgery.Value;

    /// <summary>
    /// Whether the project authenticates with bearer tokens only (<c>AddJwtBearer</c> and no cookie, session or Windows
    /// authentication anywhere in it): browsers then send no credential by themselves, so there is nothing to forge.
    /// </summary>
    public bool BearerOnlyAuthentication => _bearerOnly.Value;

    /// <summary>
    /// Whether the project serves browsers: it renders views or redirects to actions, registers views or Razor Pages,
    /// or registers cookie, session or Windows authentication. A JSON API project that does none of these has no
    /// forms to forge.
    /// </summary>
    public bool BrowserFacing => _browserFacing.Value;

    private static bool FindBrowserFacing(CodeCompilation compilation) =>
        compilation.Trees.SelectMany(t => t.GetRoot().DescendantTokens()).Any(token =>
            token.IsKind(SyntaxKind.IdentifierToken)
            && (AmbientAuthentication.Contains(token.ValueText)
                || (BrowserResults.Contains(token.ValueText) && token.Parent?.Parent is InvocationExpressionSyntax)));

    private static bool FindBearerOnlyAuthentication(CodeCompilation compilation)
    {
        var bearer = false;
        foreach (var token in compilation.Trees.SelectMany(t => t.GetRoot().DescendantTokens()))
        {
            if (!token.IsKind(SyntaxKind.IdentifierToken))
            {
                continue;
            }

            if (AmbientAuthentication.Contains(token.ValueText))
            {
                return false;
            }

            bearer |= token.ValueText is "AddJwtBearer" or "AddMicrosoftIdentityWebApi";
        }

        return bearer;
    }

    private static EntityTypes FindEntityTypes(CodeCompilation compilation)
    {
        var symbols = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tree in compilation.Trees)
        {
            foreach (var token in tree.GetRoot().DescendantTokens())
            {
                // DbSet<T> is EF Core's, a package: decide on the name, then bind only the entity type argument.
                if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == "DbSet"
                    && token.Parent is GenericNameSyntax { TypeArgumentList.Arguments: [var argument] } generic
                    && generic.Ancestors().Any(a => a is PropertyDeclarationSyntax or FieldDeclarationSyntax))
                {
                    names.Add(Syntax.LastName(argument));
                    if (compilation.Model(tree).GetTypeInfo(argument).Type is { TypeKind: not TypeKind.Error } type)
                    {
                        symbols.Add(type);
                    }
                }
            }
        }

        return new EntityTypes(symbols, names);
    }

    private static bool FindGlobalAntiforgeryFilter(CodeCompilation compilation) =>
        compilation.Trees.Any(tree => tree.GetRoot().DescendantTokens().Any(token =>
            token.IsKind(SyntaxKind.IdentifierToken)
            && token.ValueText is "AutoValidateAntiforgeryTokenAttribute" or "ValidateAntiForgeryTokenAttribute"
            && !token.Parent!.Ancestors().Any(a => a is AttributeSyntax)));
}

/// <summary>The EF Core entity types of a compilation, by symbol and (when unresolved) by simple name.</summary>
internal sealed class EntityTypes(HashSet<ITypeSymbol> symbols, HashSet<string> names)
{
    public bool IsEmpty => names.Count == 0;

    public bool Contains(ITypeSymbol? type, string syntaxName) =>
        type is { TypeKind: not TypeKind.Error }
            ? symbols.Contains(type.OriginalDefinition)
            : names.Contains(syntaxName);
}
