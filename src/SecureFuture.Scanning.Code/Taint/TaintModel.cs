using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SecureFuture.Core;
using YamlDotNet.Core;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>
/// The YAML shape of <c>rules/code/taint/TaintModel.yaml</c>: what every taint rule shares (sources, framework entry
/// points, propagators, sanitisers and guards).
/// </summary>
public sealed class TaintModelDocument
{
    /// <summary>Members whose value is untrusted (HttpRequest.Query...).</summary>
    public List<TaintMemberDocument> Sources { get; set; } = [];

    public EntryPointDocument EntryPoints { get; set; } = new();

    /// <summary>Methods that store their arguments' taint into their receiver (StringBuilder.Append, List.Add...).</summary>
    public List<string> Mutators { get; set; } = [];

    /// <summary>Calls whose result no longer carries taint for the listed kinds (HtmlEncode for xss...).</summary>
    public List<TaintMemberDocument> Sanitizers { get; set; } = [];

    /// <summary>Checks that, in an <c>if</c> that returns when they fail, make the checked value safe for the listed kinds.</summary>
    public List<TaintMemberDocument> Guards { get; set; } = [];
}

/// <summary>Framework methods whose parameters are bound from the request.</summary>
public sealed class EntryPointDocument
{
    /// <summary>Public methods of classes deriving from these (ControllerBase, PageModel, Hub): label per type.</summary>
    public List<EntryTypeDocument> BaseTypes { get; set; } = [];

    /// <summary>Public methods of classes with one of these attributes (ApiController, Controller).</summary>
    public List<string> ClassAttributes { get; set; } = [];

    /// <summary>Methods with a parameter of one of these type names get their first parameter bound (gRPC's ServerCallContext).</summary>
    public List<string> ContextParameterTypes { get; set; } = [];

    /// <summary>Route-mapping methods whose handler delegate's parameters are bound (MapGet...).</summary>
    public List<string> RouteHandlers { get; set; } = [];

    /// <summary>Properties with one of these attributes are bound from the request (BindProperty, FromQuery...).</summary>
    public List<string> BindingAttributes { get; set; } = [];

    /// <summary>Parameters with one of these attributes are services, never bound (FromServices...).</summary>
    public List<string> ServiceAttributes { get; set; } = [];

    /// <summary>Metadata types whose values are bound from the request (IFormFile, StringValues, JsonElement...).</summary>
    public List<string> BoundTypes { get; set; } = [];
}

public sealed class EntryTypeDocument
{
    public string? Type { get; set; }

    public string? Label { get; set; }
}

/// <summary>A member pattern compiled for matching.</summary>
internal sealed class MemberPattern
{
    public MemberPattern(TaintMemberDocument d, ulong kinds)
    {
        TypeName = d.Type;
        Members = [.. d.Members];
        Arguments = [.. d.Arguments];
        Parameters = [.. d.Parameters];
        ParameterTypes = new HashSet<string>(d.ParameterTypes, StringComparer.Ordinal);
        ParameterTypesSince = [.. d.ParameterTypesSince.Select(ParsePackageVersion).OfType<(string, System.Version)>()];
        WhenArgument = d.WhenArgument;
        WhenArgumentRegex = d.WhenArgument?.Matches is { } m ? new Regex(m, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;
        Context = d.Context is null ? null : new Regex(d.Context, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        AllowFixedHost = d.AllowFixedHost;
        Receiver = d.Receiver is null ? null : new Regex(d.Receiver, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        Label = d.Label;
        Kinds = kinds;
        OnReceiver = string.Equals(d.On, "receiver", StringComparison.Ordinal);
        OnResult = string.Equals(d.On, "result", StringComparison.Ordinal);
        var dot = TypeName?.LastIndexOf('.') ?? -1;
        TypeSimpleName = TypeName is null ? null : TypeName[(dot + 1)..];
        Namespace = TypeName is null || dot < 0 ? null : TypeName[..dot];
    }

    public string? TypeName { get; }

    public string? TypeSimpleName { get; }

    public string? Namespace { get; }

    public HashSet<string> Members { get; }

    public HashSet<int> Arguments { get; }

    public HashSet<string> Parameters { get; }

    /// <summary>Full names of the parameter types a watched argument must be passed as; empty: any.</summary>
    public HashSet<string> ParameterTypes { get; }

    /// <summary>The package versions from which <see cref="ParameterTypes"/> holds (see <see cref="TaintMemberDocument.ParameterTypesSince"/>).</summary>
    public IReadOnlyList<(string Package, System.Version Since)> ParameterTypesSince { get; }

    /// <summary><c>"Microsoft.EntityFrameworkCore.Relational 2.1"</c> as a package id and version; null when it is not one.</summary>
    internal static (string Package, System.Version Since)? ParsePackageVersion(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && PackageVersions.Parse(parts[1]) is { } version ? (parts[0], version) : null;
    }

    public TaintArgumentCondition? WhenArgument { get; }

    public Regex? WhenArgumentRegex { get; }

    public Regex? Context { get; }

    public bool AllowFixedHost { get; }

    public Regex? Receiver { get; }

    /// <summary>Whether a member access could be this source, judged from syntax before anything is bound.</summary>
    public bool MayMatch(MemberAccessExpressionSyntax access) => Receiver is null || Receiver.IsMatch(access.Expression.ToString());

    public string? Label { get; }

    public ulong Kinds { get; }

    public bool OnReceiver { get; }

    /// <summary>
    /// Guards: a lookup that finds something only for an argument it trusts. Its arguments are safe where the value it
    /// returned, kept in a local, was checked non-null (<c>var context = await interaction.GetAuthorizationContextAsync(returnUrl);
    /// if (context != null) return Redirect(returnUrl);</c>).
    /// </summary>
    public bool OnResult { get; }

    public bool HasMember(string name) => Members.Contains(name) || Members.Contains("*");

    /// <summary>Whether the argument at <paramref name="position"/> (call-site order), bound to <paramref name="parameter"/>, is one this pattern watches.</summary>
    public bool WatchesArgument(int position, string? parameter)
    {
        if (Arguments.Count == 0 && Parameters.Count == 0)
        {
            return true;
        }

        return Arguments.Contains(position) || (parameter is not null && Parameters.Contains(parameter)) || (parameter is null && Arguments.Count == 0);
    }
}

/// <summary>A sink of one rule.</summary>
internal sealed record TaintSink(CodeRule Rule, MemberPattern Pattern, ulong KindBit);

/// <summary>
/// Everything the taint engine matches against, compiled once from the catalogue's taint rules and the shared model.
/// Every name a source, sink, sanitiser or guard mentions is indexed so calls can be filtered by name before binding.
/// </summary>
internal sealed class TaintModel
{
    private static readonly Lazy<TaintModel> Embedded = new(() => Create(CodeRuleCatalog.Default, LoadEmbeddedDocument()));

    private readonly Dictionary<string, ulong> _kindBits;

    private TaintModel(IReadOnlyList<CodeRule> rules, TaintModelDocument shared)
    {
        Rules = rules;
        _kindBits = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            KindBit(rule.Document.Taint!.Kind!);
        }

        Sinks = [.. rules.SelectMany(r => r.Document.Taint!.Sinks.Select(s => new TaintSink(r, new MemberPattern(s, KindBit(r.Document.Taint.Kind!)), KindBit(r.Document.Taint.Kind!))))];
        Sources = [.. shared.Sources.Concat(rules.SelectMany(r => r.Document.Taint!.Sources)).Select(s => new MemberPattern(s, 0))];
        Sanitizers =
        [
            .. shared.Sanitizers.Select(s => new MemberPattern(s, Mask(s.Kinds))),
            .. rules.SelectMany(r => r.Document.Taint!.Sanitizers.Select(s => new MemberPattern(s, s.Kinds.Count > 0 ? Mask(s.Kinds) : KindBit(r.Document.Taint.Kind!)))),
        ];
        Guards = [.. shared.Guards.Select(g => new MemberPattern(g, Mask(g.Kinds)))];
        EntryPoints = shared.EntryPoints;
        Mutators = new HashSet<string>(shared.Mutators, StringComparer.Ordinal);
        SinksByName = Index(Sinks, s => s.Pattern);
        SourcesByName = Index(Sources, s => s);
        SanitizersByName = Index(Sanitizers, s => s);
        GuardsByName = Index(Guards, s => s);
        RouteHandlers = new HashSet<string>(shared.EntryPoints.RouteHandlers, StringComparer.Ordinal);
    }

    public static TaintModel Default => Embedded.Value;

    public IReadOnlyList<CodeRule> Rules { get; }

    public IReadOnlyList<TaintSink> Sinks { get; }

    public IReadOnlyList<MemberPattern> Sources { get; }

    public IReadOnlyList<MemberPattern> Sanitizers { get; }

    public IReadOnlyList<MemberPattern> Guards { get; }

    public EntryPointDocument EntryPoints { get; }

    public HashSet<string> Mutators { get; }

    public HashSet<string> RouteHandlers { get; }

    /// <summary>By member name (constructors by their type's simple name).</summary>
    public Dictionary<string, List<TaintSink>> SinksByName { get; }

    public Dictionary<string, List<MemberPattern>> SourcesByName { get; }

    public Dictionary<string, List<MemberPattern>> SanitizersByName { get; }

    public Dictionary<string, List<MemberPattern>> GuardsByName { get; }

    /// <summary>Sinks that match any member of their type (<c>*</c>), looked up by the type's simple name.</summary>
    public static string WildcardKey(string typeSimpleName) => "*" + typeSimpleName;

    public static TaintModel Create(CodeRuleCatalog catalog, TaintModelDocument shared)
    {
        return new TaintModel([.. TaintRules(catalog)], shared);
    }

    /// <summary>The data-flow rules of <paramref name="catalog"/>: those with a taint specification.</summary>
    public static IEnumerable<CodeRule> TaintRules(CodeRuleCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Rules.Where(r => r.Document.Taint is not null);
    }

    public ulong KindBit(string kind)
    {
        if (!_kindBits.TryGetValue(kind, out var bit))
        {
            if (_kindBits.Count >= 63)
            {
                throw new InvalidOperationException("more than 63 taint kinds");
            }

            bit = 1UL << _kindBits.Count;
            _kindBits[kind] = bit;
        }

        return bit;
    }

    private ulong Mask(IEnumerable<string> kinds)
    {
        ulong mask = 0;
        foreach (var kind in kinds)
        {
            mask |= kind == "all" ? ulong.MaxValue : KindBit(kind);
        }

        return mask;
    }

    private static Dictionary<string, List<T>> Index<T>(IEnumerable<T> items, Func<T, MemberPattern> pattern)
    {
        var index = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var p = pattern(item);
            foreach (var member in p.Members)
            {
                var key = member switch
                {
                    ".ctor" => p.TypeSimpleName!,
                    "*" => WildcardKey(p.TypeSimpleName!),
                    _ => member,
                };
                if (!index.TryGetValue(key, out var list))
                {
                    index[key] = list = [];
                }

                list.Add(item);
            }
        }

        return index;
    }

    public const string ModelResource = "rules/code/taint/TaintModel.yaml";

    internal static TaintModelDocument LoadEmbeddedDocument()
    {
        using var stream = typeof(TaintModel).Assembly.GetManifestResourceStream(ModelResource)
            ?? throw new InvalidOperationException($"{ModelResource} is not embedded");
        using var reader = new StreamReader(stream);
        return ParseDocument(ModelResource, reader.ReadToEnd());
    }

    /// <exception cref="InputException">The model does not parse; the message names file, line and column.</exception>
    internal static TaintModelDocument ParseDocument(string source, string yaml)
    {
        try
        {
            var deserializer = CodeRuleCatalog.NewDeserializer();
            return deserializer.Deserialize<TaintModelDocument>(yaml) ?? throw new YamlException("empty taint model");
        }
        catch (YamlException e)
        {
            throw new InputException($"{source}:{e.Start.Line}:{e.Start.Column}: {e.Message}", e);
        }
    }
}
