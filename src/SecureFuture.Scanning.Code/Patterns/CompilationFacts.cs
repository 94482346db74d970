using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// Facts about a whole compilation that some patterns need: which types are EF Core entities, whether antiforgery is
/// validated globally, how the project authenticates. They are gathered on first use by one token scan over every
/// tree, which binds only the <c>DbSet&lt;T&gt;</c> type arguments it finds.
/// </summary>
internal sealed class CompilationFacts(CodeCompilation compilation)
{
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

    private readonly Lazy<Scan> _scan = new(() => Gather(compilation));
    private readonly Lazy<TokenSelfChecks> _tokenChecks = new(() => TokenSelfChecks.Gather(compilation));

    /// <summary>The token checks the project makes itself (gathered only when a pattern asks).</summary>
    public TokenSelfChecks TokenChecks => _tokenChecks.Value;

    /// <summary>Types used as <c>DbSet&lt;T&gt;</c> in the compilation: EF Core entities.</summary>
    public EntityTypes Entities => _scan.Value.Entities;

    /// <summary>
    /// Whether an antiforgery filter is registered for every action, e.g.
    /// <c>services.AddControllersWithViews(o =&gt; o.Filters.Add(new AutoValidateAntiforgeryTokenAttribute()))</c>:
    /// the attribute's type named anywhere outside an attribute list.
    /// </summary>
    public bool GlobalAntiforgeryFilter => _scan.Value.GlobalAntiforgeryFilter;

    /// <summary>
    /// Whether the project authenticates with bearer tokens only (<c>AddJwtBearer</c> and no cookie, session or Windows
    /// authentication anywhere in it): browsers then send no credential by themselves, so there is nothing to forge.
    /// </summary>
    public bool BearerOnlyAuthentication => _scan.Value.Bearer && !_scan.Value.AmbientAuthentication;

    /// <summary>
    /// Whether the project serves browsers: it renders views or redirects to actions, registers views or Razor Pages,
    /// or registers cookie, session or Windows authentication. A JSON API project that does none of these has no
    /// forms to forge.
    /// </summary>
    public bool BrowserFacing => _scan.Value.BrowserResults || _scan.Value.AmbientAuthentication;

    private sealed record Scan(EntityTypes Entities, bool GlobalAntiforgeryFilter, bool Bearer, bool AmbientAuthentication, bool BrowserResults);

    private static Scan Gather(CodeCompilation compilation)
    {
        var entitySymbols = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var entityNames = new HashSet<string>(StringComparer.Ordinal);
        bool globalAntiforgery = false, bearer = false, ambient = false, browser = false;
        foreach (var tree in compilation.Trees)
        {
            foreach (var token in tree.GetRoot().DescendantTokens())
            {
                if (!token.IsKind(SyntaxKind.IdentifierToken))
                {
                    continue;
                }

                switch (token.ValueText)
                {
                    // DbSet<T> is EF Core's, a package: decide on the name, then bind only the entity type argument.
                    case "DbSet" when token.Parent is GenericNameSyntax { TypeArgumentList.Arguments: [var argument] } generic
                                      && generic.Ancestors().Any(a => a is PropertyDeclarationSyntax or FieldDeclarationSyntax):
                        entityNames.Add(Syntax.LastName(argument));
                        if (compilation.Model(tree).GetTypeInfo(argument).Type is { TypeKind: not TypeKind.Error } type)
                        {
                            entitySymbols.Add(type);
                        }

                        break;
                    case "AutoValidateAntiforgeryTokenAttribute" or "ValidateAntiForgeryTokenAttribute":
                        globalAntiforgery |= !token.Parent!.Ancestors().Any(a => a is AttributeSyntax);
                        break;
                    case "AddJwtBearer" or "AddMicrosoftIdentityWebApi":
                        bearer = true;
                        break;
                    case var name when AmbientAuthentication.Contains(name):
                        ambient = true;
                        break;
                    case var name when BrowserResults.Contains(name):
                        browser |= token.Parent?.Parent is InvocationExpressionSyntax;
                        break;
                }
            }
        }

        return new Scan(new EntityTypes(entitySymbols, entityNames), globalAntiforgery, bearer, ambient, browser);
    }
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
