using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>
/// Taint analysis of one compilation. A syntax-only pass indexes every method body and finds the entry points
/// (controller actions, route handlers, hub and gRPC methods, bodies that read request data). Only those, and the
/// methods they call with tainted data, are analysed and bound; each callee is summarised once (which parameters reach
/// its return value or a sink) and the summary is reused at every call. Work is bounded per method, per call depth and
/// per expression depth; hitting a bound is a <c>code-analysis-bound</c> notification, never a crash or a hang.
/// </summary>
internal sealed partial class TaintEngine
{
    /// <summary>How many calls deep summaries are computed; deeper callees propagate their arguments to their result.</summary>
    public const int MaxCallDepth = 12;

    /// <summary>Syntax nodes evaluated per analysed body before it is abandoned.</summary>
    public const int MaxWorkPerBody = 200_000;

    /// <summary>Rounds of re-analysis of bodies that read fields written with tainted data.</summary>
    private const int MaxFieldRounds = 3;

    /// <summary>Implementations considered for a call to an interface or abstract method.</summary>
    private const int MaxImplementations = 8;
    private const int MaxGuardDepth = 4;
    private static readonly IReadOnlyDictionary<int, ulong> NoGuardedParameters = new Dictionary<int, ulong>();
    private readonly ConcurrentDictionary<IMethodSymbol, IReadOnlyDictionary<int, ulong>> _guardMethods = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<INamedTypeSymbol, ImplementationType> _implementationTypes = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _selfSet = new(SymbolEqualityComparer.Default);

    /// <summary>An absolute URL up to the first '/' after its host, or a local path ("/orders/") that cannot become "//host".</summary>
    private static readonly Regex FixedHostUrl = new(@"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/{}\s]+/|/[^/\\{}])", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private readonly CodeCompilation _compilation;
    private readonly CodeSink _sink;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<string, List<BodyInfo>> _methodsByName = new(StringComparer.Ordinal);
    private readonly List<BodyInfo> _bodies = [];
    private readonly Dictionary<SyntaxNode, BodyInfo> _bodyOf = [];
    private readonly Dictionary<string, HashSet<string>> _instanceMembers = new(StringComparer.Ordinal);
    private readonly List<TypeDeclarationSyntax> _candidateTypes = [];
    private readonly Dictionary<SyntaxTree, HashSet<string>> _usings = [];

    /// <summary><c>global using</c> namespaces of this project's own trees (a GlobalUsings.cs, the SDK's implicit usings): they apply to each of them.</summary>
    private readonly HashSet<string> _globalUsings = new(StringComparer.Ordinal);
    private readonly HashSet<SyntaxTree> _ownTrees = [];
    private readonly Dictionary<SyntaxNode, SharedSummary> _summaries = [];
    private readonly Stack<SummaryDependencies> _summarising = new();
    private readonly Func<SyntaxNode, SharedSummary?> _sharedSummary;
    private readonly Action<SyntaxNode, SharedSummary> _shareSummary;
    private readonly HashSet<SyntaxNode> _inProgress = [];
    private readonly Dictionary<string, Dictionary<string, TaintSet>> _fields = new(StringComparer.Ordinal);
    private readonly Dictionary<SyntaxNode, string> _typeText = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly HashSet<string> _boundsNotified = new(StringComparer.Ordinal);
    private int _sourceMentionsBound;
    private int _callDepthHits;
    private (string? Path, SyntaxNode? Node)? _firstCallDepthHit;
    private readonly ConcurrentDictionary<ISymbol, string> _fullNames = new(SymbolEqualityComparer.Default);
    private HashSet<string> _sourceReturningNames = new(StringComparer.Ordinal);
    private HashSet<string> _ownSourceReturningNames = new(StringComparer.Ordinal);
    private bool _fieldsChanged;
    private readonly HashSet<Location> _unresolvedSinks = [];
    private long _unresolvedSinkMatches;

    private readonly Func<SyntaxTree, TreeIndex> _indexOf;
    private readonly Func<MemberAccessExpressionSyntax, bool> _isSourceAccess;

    /// <param name="indexOf">The <see cref="TreeIndex"/> of a tree for this model (shared between engines; see <see cref="IndexTree"/>).</param>
    /// <param name="summaries">Summaries shared between the engines of one run (see <see cref="SummaryDependencies"/>); none when null.</param>
    public TaintEngine(TaintModel model, CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken, Func<SyntaxTree, TreeIndex>? indexOf = null,
        System.Runtime.CompilerServices.ConditionalWeakTable<SyntaxNode, SharedSummary>? summaries = null)
    {
        Model = model;
        _indexOf = indexOf ?? (tree => IndexTree(model, tree, cancellationToken));
        _sharedSummary = summaries is null ? _ => null : node => summaries.TryGetValue(node, out var shared) ? shared : null;
        _shareSummary = summaries is null ? (_, _) => { } : (node, shared) => summaries.TryAdd(node, shared);
        _compilation = compilation;
        _sink = sink;
        _cancellationToken = cancellationToken;
        _isSourceAccess = IsSourceAccess;
    }

    /// <summary>
    /// The source a member access reads, once bound: its member is one of a source pattern's, on that pattern's type,
    /// and its receiver looks right. Null when it reads none, or when its symbol cannot be resolved.
    /// </summary>
    public MemberPattern? SourceRead(MemberAccessExpressionSyntax access, ISymbol? symbol)
    {
        if (symbol?.ContainingType is not { } type || !Model.SourcesByName.TryGetValue(access.Name.Identifier.ValueText, out var sources))
        {
            return null;
        }

        return sources.Find(s => s.HasMember(symbol.Name) && s.MayMatch(access) && TypeMatches(type, s.TypeName));
    }

    /// <summary>
    /// Whether a member access reads request data, as <see cref="MethodAnalysis"/> decides where it reads the member.
    /// Binding one expression binds its whole statement, and a statement that passes a lambda to an overloaded method
    /// (<c>command.SetAction(async (parse, ct) => { ... request.Headers ... })</c>) binds the lambda once per
    /// candidate: it is asked only where the answer can change a result, and counted (<c>codeTaintSourceMentionsBound</c>).
    /// </summary>
    private bool IsSourceAccess(MemberAccessExpressionSyntax access)
    {
        if (access.Expression is ThisExpressionSyntax)
        {
            return false;
        }

        Interlocked.Increment(ref _sourceMentionsBound);
        return SourceRead(access, SemanticModel(access.SyntaxTree).GetSymbolInfo(access, _cancellationToken).Symbol) is not null;
    }

    public TaintModel Model { get; }

    public CancellationToken CancellationToken => _cancellationToken;

    public int SummariesComputed { get; private set; }

    public int SummariesReused { get; private set; }

    public void Run()
    {
        if (Model.Sinks.Count == 0)
        {
            return;
        }

        using (CodeTiming.Phase("taint: index"))
        {
            Index();
        }

        var roots = new List<Root>();
        using (CodeTiming.Phase("taint: entry points"))
        {
            FindEntryPoints(roots);
        }

        using var analysing = CodeTiming.Phase("taint: analyse");
        var analysed = 0;
        for (var round = 0; ; round++)
        {
            _fieldsChanged = false;
            roots.AddRange(BodiesReadingTaintedFields());
            foreach (var root in roots)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (_bodyOf.TryGetValue(root.Node, out var body) && !body.MayReachSink)
                {
                    continue;
                }

                Analyse(root);
                analysed++;
            }

            if (!_fieldsChanged)
            {
                break;
            }

            if (round + 1 >= MaxFieldRounds)
            {
                Bound(null, "field-rounds", $"Taint analysis stopped after {MaxFieldRounds} rounds of following data stored in fields");
                break;
            }

            // Summaries that read fields may now be out of date.
            _summaries.Clear();
            roots.Clear();
        }

        NotifyCallDepth();
        _sink.Count("codeTaintBodiesAnalysed", analysed);
        _sink.Count("codeTaintSummaries", SummariesComputed);
        _sink.Count("codeTaintSummaryReuses", SummariesReused);
        _sink.Count("codeTaintSourceMentionsBound", _sourceMentionsBound);
        if (_unresolvedSinkMatches > 0)
        {
            _sink.Count("codeUnresolvedSinkMatches", _unresolvedSinkMatches);
            _sink.Notify(new Notification("code-unresolved-sinks", NotificationLevel.Note,
                $"{_compilation.Name}: {_unresolvedSinkMatches} result(s) at sinks matched by name only, because their types could not be resolved (a package reference or a using directive is missing)"));
        }
    }

    // ---------------------------------------------------------------- indexing (syntax only, no binding)

    /// <summary>
    /// What the syntax of one body says, before anything is bound: computed once per tree and model (see
    /// <see cref="TreeIndex"/>) and shared, read-only, by every compilation that sees the tree.
    /// </summary>
    internal sealed class BodyFacts(SyntaxNode node, string typeKey)
    {
        public SyntaxNode Node { get; } = node;

        public string TypeKey { get; } = typeKey;

        /// <summary>Member accesses named like a source (<c>uri.Query</c> as much as <c>Request.Query</c>): none is bound yet.</summary>
        public List<MemberAccessExpressionSyntax> SourceMentions { get; } = [];

        /// <summary>0 until <see cref="ReadsSource"/> has bound the mentions, then 1 (a source is read) or 2 (none is).</summary>
        private int _readsSource;

        /// <summary>
        /// Whether one of the <see cref="SourceMentions"/> is a source once bound: the test the analysis makes where it
        /// reads the member (<see cref="IsSourceAccess"/>), made once per body for every compilation that sees it. A
        /// body that only reads <c>uri.Query</c> is then no entry point, and its callers are not either.
        /// </summary>
        public bool ReadsSource(Func<MemberAccessExpressionSyntax, bool> isSource)
        {
            if (SourceMentions.Count == 0)
            {
                return false;
            }

            var known = Volatile.Read(ref _readsSource);
            if (known == 0)
            {
                known = SourceMentions.Any(isSource) ? 1 : 2;
                Volatile.Write(ref _readsSource, known);
            }

            return known == 1;
        }

        public HashSet<string> Invoked { get; } = new(StringComparer.Ordinal);

        public List<InvocationExpressionSyntax> RouteHandlerCalls { get; } = [];

        /// <summary>Names a sink, or writes a member of the class (which may carry taint to another method).</summary>
        public bool MayWriteOrSink { get; set; }
    }

    /// <summary>A body the analysis can run: a method, constructor, accessor, expression-bodied property, or top-level statements.</summary>
    internal sealed class BodyInfo(BodyFacts facts, bool library, Func<MemberAccessExpressionSyntax, bool> isSource)
    {
        public SyntaxNode Node => facts.Node;

        public string TypeKey => facts.TypeKey;

        /// <summary>Whether the body reads request data itself (bound on first use; see <see cref="BodyFacts.ReadsSource"/>).</summary>
        public bool MentionsSource => facts.ReadsSource(isSource);

        public HashSet<string> Invoked => facts.Invoked;

        public List<InvocationExpressionSyntax> RouteHandlerCalls => facts.RouteHandlerCalls;

        public bool MayWriteOrSink => facts.MayWriteOrSink;

        /// <summary>Whether anything in the body could report a result or pass taint on: judged from names alone.</summary>
        public bool MayReachSink { get; set; }

        /// <summary>A body of a referenced project: analysed when called from this one, never an entry point here (its own project's run has those).</summary>
        public bool Library { get; } = library;
    }

    /// <summary>
    /// The syntax-only index of one tree: its bodies, candidate entry types, usings and instance members. A project's
    /// trees are indexed again by every project that references it, so the index is computed once per tree
    /// (<see cref="TaintCheck"/> keeps it while the tree lives).
    /// </summary>
    internal sealed record TreeIndex(
        List<BodyFacts> Bodies, List<TypeDeclarationSyntax> Types, HashSet<string> Usings, HashSet<string> GlobalUsings, List<(string Type, List<string> Names)> Members);

    private void Index()
    {
        var own = _compilation.Trees.Count();
        var trees = _compilation.Trees.Concat(_compilation.ReferencedTrees).ToList();
        var perTree = new TreeIndex[trees.Count];
        Parallel.For(0, trees.Count, new ParallelOptions { CancellationToken = _cancellationToken }, i => perTree[i] = _indexOf(trees[i]));
        for (var i = 0; i < trees.Count; i++)
        {
            var library = i >= own;
            _usings[trees[i]] = perTree[i].Usings;
            foreach (var (type, names) in perTree[i].Members)
            {
                if (!_instanceMembers.TryGetValue(type, out var set))
                {
                    _instanceMembers[type] = set = new HashSet<string>(StringComparer.Ordinal);
                }

                set.UnionWith(names);
            }

            if (!library)
            {
                _candidateTypes.AddRange(perTree[i].Types);
                _globalUsings.UnionWith(perTree[i].GlobalUsings);
                _ownTrees.Add(trees[i]);
            }

            foreach (var facts in perTree[i].Bodies)
            {
                var body = new BodyInfo(facts, library, _isSourceAccess);
                _bodies.Add(body);
                _bodyOf[body.Node] = body;
                if (body.Node is MethodDeclarationSyntax m)
                {
                    var name = m.Identifier.ValueText;
                    if (!_methodsByName.TryGetValue(name, out var list))
                    {
                        _methodsByName[name] = list = [];
                    }

                    list.Add(body);
                }
            }
        }

        var callers = Callers();
        ComputeSourceReturningNames(callers);
        ComputeSinkReachingBodies(callers);
    }

    /// <summary>The bodies that call each method name (the name-level call graph, reversed).</summary>
    private Dictionary<string, List<BodyInfo>> Callers()
    {
        var callers = new Dictionary<string, List<BodyInfo>>(StringComparer.Ordinal);
        foreach (var body in _bodies)
        {
            foreach (var name in body.Invoked)
            {
                if (!callers.TryGetValue(name, out var list))
                {
                    callers[name] = list = [];
                }

                list.Add(body);
            }
        }

        return callers;
    }

    /// <summary>Indexes one tree from its syntax alone (the model decides what counts as a source, sink or route handler).</summary>
    internal static TreeIndex IndexTree(TaintModel model, SyntaxTree tree, CancellationToken cancellationToken)
    {
        var members = new List<(string, List<string>)>();
        var bodies = new List<BodyFacts>();
        var types = new List<TypeDeclarationSyntax>();
        var usings = new HashSet<string>(StringComparer.Ordinal);
        var globalUsings = new HashSet<string>(StringComparer.Ordinal);
        var root = tree.GetRoot(cancellationToken);
        if (root is CompilationUnitSyntax unit && unit.Members.OfType<GlobalStatementSyntax>().Any())
        {
            bodies.Add(Scan(model, new BodyFacts(unit, string.Empty), unit.Members.OfType<GlobalStatementSyntax>()));
        }

        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                case UsingDirectiveSyntax u when u.Name is not null:
                    var imported = u.Name.ToString().Replace("global::", string.Empty, StringComparison.Ordinal);
                    (u.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword) ? globalUsings : usings).Add(imported);
                    break;
                case TypeDeclarationSyntax t:
                    if (t.BaseList is not null || t.AttributeLists.Count > 0)
                    {
                        types.Add(t);
                    }

                    members.Add((KeyOf(t), InstanceMembers(t)));
                    break;
                case BaseMethodDeclarationSyntax m when m.Body is not null || m.ExpressionBody is not null:
                    bodies.Add(Scan(model, new BodyFacts(m, TypeKey(m)), [m]));
                    break;
                case AccessorDeclarationSyntax a when a.Body is not null || a.ExpressionBody is not null:
                    bodies.Add(Scan(model, new BodyFacts(a, TypeKey(a)), [a]));
                    break;
                case PropertyDeclarationSyntax p when p.ExpressionBody is not null:
                    bodies.Add(Scan(model, new BodyFacts(p, TypeKey(p)), [p.ExpressionBody]));
                    break;
            }
        }

        return new TreeIndex(bodies, types, usings, globalUsings, members);
    }

    /// <summary>The fields, properties and primary-constructor parameters an instance of the type carries.</summary>
    private static List<string> InstanceMembers(TypeDeclarationSyntax type)
    {
        var names = new List<string>();
        if (type.ParameterList is { } primary)
        {
            names.AddRange(primary.Parameters.Select(p => p.Identifier.ValueText));
        }

        foreach (var member in type.Members)
        {
            if (member.Modifiers.Any(m => m.IsKind(SyntaxKind.StaticKeyword) || m.IsKind(SyntaxKind.ConstKeyword)))
            {
                continue;
            }

            switch (member)
            {
                case FieldDeclarationSyntax f:
                    names.AddRange(f.Declaration.Variables.Select(v => v.Identifier.ValueText));
                    break;
                case PropertyDeclarationSyntax p:
                    names.Add(p.Identifier.ValueText);
                    break;
            }
        }

        return names;
    }

    internal static string KeyOf(TypeDeclarationSyntax type)
    {
        var outer = TypeKey(type);
        return outer.Length == 0 ? type.Identifier.ValueText : outer + "." + type.Identifier.ValueText;
    }

    /// <summary>Whether <paramref name="name"/> is an instance field, property or primary-constructor parameter of the type.</summary>
    public bool IsInstanceMember(string typeKey, string name) => _instanceMembers.TryGetValue(typeKey, out var names) && names.Contains(name);

    private static BodyFacts Scan(TaintModel model, BodyFacts body, IEnumerable<SyntaxNode> parts)
    {
        HashSet<string>? assigned = null;
        HashSet<string>? locals = null;
        foreach (var part in parts)
        {
            foreach (var node in part.DescendantNodes())
            {
                if (node is MemberAccessExpressionSyntax m && model.SourcesByName.TryGetValue(m.Name.Identifier.ValueText, out var sources) && sources.Exists(s => s.MayMatch(m)))
                {
                    body.SourceMentions.Add(m);
                }
                else if (node is InvocationExpressionSyntax inv && InvokedName(inv) is { } name)
                {
                    body.Invoked.Add(name);
                    if (model.RouteHandlers.Contains(name))
                    {
                        body.RouteHandlerCalls.Add(inv);
                    }

                    body.MayWriteOrSink |= model.SinksByName.ContainsKey(name)
                        || (inv.Expression is MemberAccessExpressionSyntax { Expression: var receiver } && LastIdentifier(receiver) is { } r && model.SinksByName.ContainsKey(TaintModel.WildcardKey(r)));
                }
                else if (node is ObjectCreationExpressionSyntax creation)
                {
                    body.MayWriteOrSink |= LastIdentifier(creation.Type) is { } type && model.SinksByName.ContainsKey(type);
                }
                else if (node is ImplicitObjectCreationExpressionSyntax or AssignmentExpressionSyntax { Left: not IdentifierNameSyntax })
                {
                    body.MayWriteOrSink = true;
                }
                else if (node is AssignmentExpressionSyntax { Left: IdentifierNameSyntax target })
                {
                    (assigned ??= new HashSet<string>(StringComparer.Ordinal)).Add(target.Identifier.ValueText);
                }
                else if (node is VariableDeclaratorSyntax or SingleVariableDesignationSyntax or ParameterSyntax or ForEachStatementSyntax or CatchDeclarationSyntax)
                {
                    var declared = node switch
                    {
                        VariableDeclaratorSyntax v => v.Identifier,
                        SingleVariableDesignationSyntax d => d.Identifier,
                        ParameterSyntax p => p.Identifier,
                        ForEachStatementSyntax f => f.Identifier,
                        _ => ((CatchDeclarationSyntax)node).Identifier,
                    };
                    (locals ??= new HashSet<string>(StringComparer.Ordinal)).Add(declared.ValueText);
                }
            }
        }

        // An assignment to a name the body does not declare writes a field or property of the class.
        if (assigned is not null)
        {
            if (body.Node is BaseMethodDeclarationSyntax method)
            {
                foreach (var parameter in method.ParameterList.Parameters)
                {
                    (locals ??= new HashSet<string>(StringComparer.Ordinal)).Add(parameter.Identifier.ValueText);
                }
            }

            body.MayWriteOrSink |= locals is null || !assigned.IsSubsetOf(locals);
        }

        return body;
    }

    /// <summary>
    /// Which bodies can report anything: those naming a sink or writing a member, and, through the name-level call
    /// graph, those calling a method that can. An entry point that can reach no sink is not analysed at all.
    /// </summary>
    private void ComputeSinkReachingBodies(Dictionary<string, List<BodyInfo>> callers)
    {
        foreach (var body in _bodies)
        {
            body.MayReachSink = body.MayWriteOrSink;
        }

        CloseOverCallers(callers, _bodies.Where(b => b.MayWriteOrSink), b => b.MayReachSink, b => b.MayReachSink = true);
    }

    /// <summary>Names of source methods that may return request data without being given any: a fixed point over the name-level call graph.</summary>
    private void ComputeSourceReturningNames(Dictionary<string, List<BodyInfo>> callers)
    {
        var names = CloseOverCallers(
            callers,
            // The syntax first: binding the mentions can cost a whole method's binding (see IsSourceAccess).
            _bodies.Where(b => b.Node is MethodDeclarationSyntax m && MayReturnText(m) && b.MentionsSource),
            b => b.Node is not MethodDeclarationSyntax m || !MayReturnText(m),
            _ => { });

        _sourceReturningNames = names;
        // Roots are this project's callers of this project's source-returning methods: a caller of a referenced
        // project's (a test calling a helper of the code under test) is followed only from this project's own roots.
        _ownSourceReturningNames = [.. _bodies.Where(b => !b.Library && b.Node is MethodDeclarationSyntax m && names.Contains(m.Identifier.ValueText))
            .Select(b => ((MethodDeclarationSyntax)b.Node).Identifier.ValueText)];
    }

    /// <summary>
    /// The method names of <paramref name="start"/> and of every body that calls one of them, by name, directly or
    /// through others: a worklist over the callers of each name, so each body is looked at once per name it calls.
    /// A caller for which <paramref name="skip"/> holds is neither marked nor followed.
    /// </summary>
    private static HashSet<string> CloseOverCallers(Dictionary<string, List<BodyInfo>> callers, IEnumerable<BodyInfo> start, Func<BodyInfo, bool> skip, Action<BodyInfo> mark)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>();
        foreach (var body in start)
        {
            if (body.Node is MethodDeclarationSyntax m && names.Add(m.Identifier.ValueText))
            {
                pending.Enqueue(m.Identifier.ValueText);
            }
        }

        while (pending.TryDequeue(out var name))
        {
            foreach (var caller in callers.GetValueOrDefault(name) ?? [])
            {
                if (skip(caller))
                {
                    continue;
                }

                mark(caller);
                if (caller.Node is MethodDeclarationSyntax m && names.Add(m.Identifier.ValueText))
                {
                    pending.Enqueue(m.Identifier.ValueText);
                }
            }
        }

        return names;
    }

    /// <summary>Whether a method's declared result can carry request data: not void, Task, ValueTask, a number or a bool.</summary>
    private static bool MayReturnText(MethodDeclarationSyntax method) => method.ReturnType switch
    {
        PredefinedTypeSyntax p when p.Keyword.IsKind(SyntaxKind.VoidKeyword) => false,
        IdentifierNameSyntax { Identifier.ValueText: "Task" or "ValueTask" or "IActionResult" or "ActionResult" or "IResult" } => false,
        GenericNameSyntax { Identifier.ValueText: "Task" or "ValueTask", TypeArgumentList.Arguments: [var inner] } => !IsCleanTypeSyntax(inner) && inner.ToString() is not ("IActionResult" or "IResult"),
        var type => !IsCleanTypeSyntax(type),
    };

    internal static string? InvokedName(InvocationExpressionSyntax inv) => inv.Expression switch
    {
        MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax b => b.Name.Identifier.ValueText,
        SimpleNameSyntax s => s.Identifier.ValueText,
        _ => null,
    };

    /// <summary>The containing type's name with its namespace, from syntax (partial declarations share it).</summary>
    internal static string TypeKey(SyntaxNode node)
    {
        var parts = new List<string>();
        for (var n = node.Parent; n is not null; n = n.Parent)
        {
            switch (n)
            {
                case BaseTypeDeclarationSyntax t:
                    parts.Add(t.Identifier.ValueText);
                    break;
                case BaseNamespaceDeclarationSyntax ns:
                    parts.Add(ns.Name.ToString());
                    break;
            }
        }

        parts.Reverse();
        return string.Join('.', parts);
    }

    // ---------------------------------------------------------------- entry points

    /// <summary>A body to analyse with some of its parameters bound from the request (label per parameter, null when not).</summary>
    internal sealed record Root(SyntaxNode Node, string TypeKey, IReadOnlyList<string?> ParameterLabels);

    private void FindEntryPoints(List<Root> roots)
    {
        foreach (var type in LikelyEntryTypes())
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var label = EntryLabel(type);
            if (label is null)
            {
                continue;
            }

            var typeKey = KeyOf(type);
            var model = SemanticModel(type.SyntaxTree);
            var bindsAll = HasAttribute(type.AttributeLists, ["BindProperties"]);
            foreach (var member in type.Members)
            {
                switch (member)
                {
                    case MethodDeclarationSyntax m when model.GetDeclaredSymbol(m, _cancellationToken) is { } method && IsAction(method):
                        roots.Add(new Root(m, typeKey, [.. method.Parameters.Select(p => IsBound(p) ? label : null)]));
                        break;
                    case PropertyDeclarationSyntax p when bindsAll || HasAttribute(p.AttributeLists, Model.EntryPoints.BindingAttributes):
                        var name = p.Identifier.ValueText;
                        var origin = new Origin($"bound property '{name}'", -1, FlowStepNode.Append(null, p.Identifier.GetLocation(), $"untrusted data bound to property '{name}'"), 0);
                        if (!IsCleanTypeSyntax(p.Type))
                        {
                            StoreField(typeKey, name, TaintSet.Of(origin));
                        }

                        break;
                }
            }
        }

        var actions = roots.Select(r => r.Node).ToHashSet();
        foreach (var body in _bodies.Where(b => !b.Library))
        {
            if (body.Node is MethodDeclarationSyntax m && !actions.Contains(m)
                && m.ParameterList.Parameters.Any(p => p.Type is not null && LastIdentifier(p.Type) is { } t && Model.EntryPoints.ContextParameterTypes.Contains(t)))
            {
                // gRPC: the request message is the first parameter of a service method (the base class is generated at build time).
                roots.Add(new Root(m, body.TypeKey, [.. m.ParameterList.Parameters.Select((p, i) => i == 0 ? "gRPC request" : null)]));
            }
            // A body that can reach no sink is not analysed as a root (Run), so whether it reads a source is not asked.
            else if (body.MayReachSink && (body.Invoked.Overlaps(_ownSourceReturningNames) || body.MentionsSource) && !actions.Contains(body.Node))
            {
                roots.Add(new Root(body.Node, body.TypeKey, []));
            }

            foreach (var call in body.RouteHandlerCalls)
            {
                AddRouteHandler(call, body, roots);
            }
        }
    }

    /// <summary>
    /// Classes whose base list or attributes name an entry-point type, directly or through other classes of the
    /// compilation (<c>class UsersController : ApiControllerBase</c>): only these are bound to check their base types.
    /// </summary>
    private List<TypeDeclarationSyntax> LikelyEntryTypes()
    {
        static string Simple(string name) => name[(name.LastIndexOf('.') + 1)..];
        var bases = new HashSet<string>(Model.EntryPoints.BaseTypes.Where(b => b.Type is not null).Select(b => Simple(b.Type!)), StringComparer.Ordinal);
        var attributes = Model.EntryPoints.ClassAttributes.Select(a => Simple(a)).ToList();
        var withBases = _candidateTypes.Where(t => t.BaseList is not null).ToList();
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var type in withBases)
            {
                if (!bases.Contains(type.Identifier.ValueText) && type.BaseList!.Types.Any(b => LastIdentifier(b.Type) is { } n && bases.Contains(n)))
                {
                    changed |= bases.Add(type.Identifier.ValueText);
                }
            }
        }

        return [.. _candidateTypes.Where(t =>
            (t.BaseList is not null && t.BaseList.Types.Any(b => LastIdentifier(b.Type) is { } n && bases.Contains(n)))
            || HasAttribute(t.AttributeLists, attributes))];
    }

    private void AddRouteHandler(InvocationExpressionSyntax call, BodyInfo body, List<Root> roots)
    {
        var handler = call.ArgumentList.Arguments.LastOrDefault()?.Expression;
        var model = SemanticModel(call.SyntaxTree);
        switch (handler)
        {
            case ParenthesizedLambdaExpressionSyntax lambda:
                roots.Add(new Root(lambda, body.TypeKey, [.. lambda.ParameterList.Parameters.Select(p => model.GetDeclaredSymbol(p, _cancellationToken) is { } s && IsBound(s) ? "route handler parameter" : null)]));
                break;
            case SimpleLambdaExpressionSyntax simple:
                roots.Add(new Root(simple, body.TypeKey, [model.GetDeclaredSymbol(simple.Parameter, _cancellationToken) is { } sp && IsBound(sp) ? "route handler parameter" : null]));
                break;
            case IdentifierNameSyntax or MemberAccessExpressionSyntax:
                var symbol = model.GetSymbolInfo(handler, _cancellationToken);
                var method = (symbol.Symbol ?? symbol.CandidateSymbols.FirstOrDefault()) as IMethodSymbol;
                if (method?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) is MethodDeclarationSyntax decl)
                {
                    roots.Add(new Root(decl, TypeKey(decl), [.. method.Parameters.Select(p => IsBound(p) ? "route handler parameter" : null)]));
                }

                break;
        }
    }

    /// <summary>The label of an entry-point class's bound parameters, or null when the class is not one.</summary>
    private string? EntryLabel(TypeDeclarationSyntax type)
    {
        var attributes = Model.EntryPoints.ClassAttributes;
        if (type is not ClassDeclarationSyntax)
        {
            return null;
        }

        if (SemanticModel(type.SyntaxTree).GetDeclaredSymbol(type, _cancellationToken) is not INamedTypeSymbol symbol || symbol.IsAbstract)
        {
            return null;
        }

        for (var t = symbol; t is not null; t = t.BaseType)
        {
            var full = FullName(t.OriginalDefinition);
            foreach (var entry in Model.EntryPoints.BaseTypes)
            {
                if (entry.Type == full)
                {
                    return entry.Label ?? "action parameter";
                }
            }

            if (t.GetAttributes().Any(a => a.AttributeClass is { } c && attributes.Contains(FullName(c))))
            {
                return "action parameter";
            }
        }

        return null;
    }

    private static bool IsAction(IMethodSymbol method) =>
        method.MethodKind == MethodKind.Ordinary && method.DeclaredAccessibility == Accessibility.Public && !method.IsStatic
        && !method.GetAttributes().Any(a => a.AttributeClass?.Name == "NonActionAttribute")
        && (method.OverriddenMethod is null || method.OverriddenMethod.Locations.Any(l => l.IsInSource));

    /// <summary>Whether a handler parameter is bound from the request (strings, DTOs, uploaded files) rather than injected.</summary>
    private bool IsBound(IParameterSymbol parameter) =>
        !parameter.GetAttributes().Any(a => a.AttributeClass is { } c && Model.EntryPoints.ServiceAttributes.Contains(c.Name))
        && IsBindable(parameter.Type, 0);

    private bool IsBindable(ITypeSymbol type, int depth)
    {
        if (depth > 4 || type.TypeKind == TypeKind.Error || IsCleanType(type))
        {
            return false;
        }

        if (type.SpecialType is SpecialType.System_String or SpecialType.System_Object || type.TypeKind == TypeKind.Dynamic)
        {
            return true;
        }

        if (type is IArrayTypeSymbol array)
        {
            return IsBindable(array.ElementType, depth + 1);
        }

        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        var full = FullName(named.OriginalDefinition);
        if (Model.EntryPoints.BoundTypes.Contains(full))
        {
            return true;
        }

        if (named.IsGenericType && (full.StartsWith("System.Collections.", StringComparison.Ordinal) || full == "System.Nullable"))
        {
            return named.TypeArguments.Any(a => IsBindable(a, depth + 1));
        }

        if (!named.Locations.Any(l => l.IsInSource) || named.TypeKind is not (TypeKind.Class or TypeKind.Struct) || named.IsAbstract || named.IsStatic)
        {
            return false;
        }

        // A request model derives from nothing but other source types; a DbContext or a service does not.
        for (var b = named.BaseType; b is not null && b.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); b = b.BaseType)
        {
            if (!b.Locations.Any(l => l.IsInSource))
            {
                return false;
            }
        }

        return !ServiceLikeName().IsMatch(named.Name);
    }

    [GeneratedRegex("(Service|Repository|Context|Client|Options|Factory|Provider|Handler|Logger|Manager)$", RegexOptions.CultureInvariant)]
    private static partial Regex ServiceLikeName();

    private static bool HasAttribute(SyntaxList<AttributeListSyntax> lists, IReadOnlyCollection<string> names) =>
        lists.SelectMany(l => l.Attributes).Any(a =>
        {
            var name = LastIdentifier(a.Name) ?? string.Empty;
            return names.Contains(name) || (name.EndsWith("Attribute", StringComparison.Ordinal) && names.Contains(name[..^"Attribute".Length]));
        });

    // ---------------------------------------------------------------- fields

    public TaintSet ReadField(string typeKey, string name)
    {
        if (!_fields.TryGetValue(typeKey, out var members))
        {
            if (_summarising.TryPeek(out var current))
            {
                current.UntaintedFieldTypes.Add(typeKey);
            }

            return TaintSet.Empty;
        }

        NotShareable();
        return members.TryGetValue(name, out var taint) ? taint : TaintSet.Empty;
    }

    /// <summary>Records request data stored in a field or property of a class (field-insensitive within the class).</summary>
    public void StoreField(string typeKey, string name, TaintSet taint)
    {
        var sources = taint.Origins.Where(o => o.IsSource).Aggregate(TaintSet.Empty, (s, o) => TaintSet.Union(s, TaintSet.Of(o)));
        if (sources.IsEmpty)
        {
            return;
        }

        NotShareable();
        if (!_fields.TryGetValue(typeKey, out var members))
        {
            _fields[typeKey] = members = new Dictionary<string, TaintSet>(StringComparer.Ordinal);
        }

        var before = members.GetValueOrDefault(name) ?? TaintSet.Empty;
        var after = TaintSet.Union(before, sources);
        if (!ReferenceEquals(before, after))
        {
            members[name] = after;
            _fieldsChanged = true;
        }
    }

    private List<Root> BodiesReadingTaintedFields()
    {
        var roots = new List<Root>();
        foreach (var body in _bodies.Where(b => !b.Library))
        {
            if (_fields.TryGetValue(body.TypeKey, out var members) && members.Count > 0
                && body.Node.DescendantNodes().OfType<IdentifierNameSyntax>().Any(i => members.ContainsKey(i.Identifier.ValueText)))
            {
                roots.Add(new Root(body.Node, body.TypeKey, []));
            }
        }

        return roots;
    }

    // ---------------------------------------------------------------- analysis and summaries

    private void Analyse(Root root)
    {
        try
        {
            new MethodAnalysis(this, root.Node, root.TypeKey, summary: null, callDepth: 0).RunRoot(root.ParameterLabels);
        }
        catch (InsufficientExecutionStackException)
        {
            Bound(root.Node, "stack", "Taint analysis stopped in a deeply nested body (the expression is too deep to follow)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug met in one body loses that body's results, not the compilation's.
            var line = root.Node.GetLocation().GetLineSpan().StartLinePosition;
            _sink.Notify(new Notification("code-analysis-failed", NotificationLevel.Warning, $"Taint analysis of this body failed: {e.GetType().Name}: {e.Message}")
            {
                Path = _compilation.PathOf(root.Node.SyntaxTree),
                Region = new Region(line.Line + 1, line.Character + 1, line.Line + 1, line.Character + 1),
            });
        }
    }

    /// <summary>The summary of a source method, computed once; null when it cannot be had (recursion or a bound).</summary>
    public MethodSummary? Summary(SyntaxNode declaration, int callDepth)
    {
        if (_summaries.TryGetValue(declaration, out var known))
        {
            SummariesReused++;
            DependOn(known.Dependencies);
            return known.Summary;
        }

        if (_inProgress.Contains(declaration))
        {
            NotShareable();
            return null;
        }

        if (callDepth > MaxCallDepth)
        {
            Bound(declaration, "call-depth", $"Taint analysis did not follow calls deeper than {MaxCallDepth} into this method");
            return null;
        }

        if (_sharedSummary(declaration) is { } shared && HoldsHere(shared.Dependencies))
        {
            SummariesReused++;
            _summaries[declaration] = shared;
            DependOn(shared.Dependencies);
            return shared.Summary;
        }

        _inProgress.Add(declaration);
        var dependencies = new SummaryDependencies();
        _summarising.Push(dependencies);
        try
        {
            var summary = new MethodSummary();
            new MethodAnalysis(this, declaration, TypeKey(declaration), summary, callDepth).RunSummary();
            var computed = new SharedSummary(summary, dependencies);
            _summaries[declaration] = computed;
            if (dependencies.Shareable)
            {
                _shareSummary(declaration, computed);
            }

            SummariesComputed++;
            return summary;
        }
        catch (InsufficientExecutionStackException)
        {
            Bound(declaration, "stack", "Taint analysis stopped in a deeply nested body (the expression is too deep to follow)");
            return null;
        }
        finally
        {
            _inProgress.Remove(declaration);
            _summarising.Pop();
            DependOn(dependencies);
        }
    }

    /// <summary>The summary being computed, if any, depends on <paramref name="dependencies"/> too.</summary>
    private void DependOn(SummaryDependencies dependencies)
    {
        if (_summarising.TryPeek(out var outer))
        {
            outer.Add(dependencies);
        }
    }

    /// <summary>The summary being computed, if any, depends on this project in a way that is not recorded: it is not shared.</summary>
    private void NotShareable()
    {
        if (_summarising.TryPeek(out var current))
        {
            current.NotShareable();
        }
    }

    /// <summary>Whether a summary computed elsewhere is the one this project's analysis would compute.</summary>
    private bool HoldsHere(SummaryDependencies dependencies) =>
        !dependencies.UntaintedFieldTypes.Any(_fields.ContainsKey)
        && dependencies.SourceMethodNames.All(d => SourceMethodName(d.Key) == d.Value)
        && dependencies.SourceReturningNames.All(d => _sourceReturningNames.Contains(d.Key) == d.Value)
        && dependencies.Candidates.All(d => _methodsByName.TryGetValue(d.Key, out var here) && here.Select(b => b.Node).SequenceEqual(d.Value.Select(b => b.Node)));

    /// <summary>
    /// Whether a call to <paramref name="name"/> may reach a method of the project whose summary matters: one that can
    /// reach a sink or write a member, or that returns text. Calls to anything else are not bound at all.
    /// </summary>
    public bool IsSourceMethodName(string name)
    {
        var answer = SourceMethodName(name);
        if (_summarising.TryPeek(out var current))
        {
            current.SourceMethodNames[name] = answer;
        }

        return answer;
    }

    private bool SourceMethodName(string name) =>
        _methodsByName.TryGetValue(name, out var bodies) && bodies.Exists(b => b.MayReachSink || MayReturnText((MethodDeclarationSyntax)b.Node));

    public bool MayReturnSource(string name)
    {
        var answer = _sourceReturningNames.Contains(name);
        if (_summarising.TryPeek(out var current))
        {
            current.SourceReturningNames[name] = answer;
        }

        return answer;
    }

    /// <summary>
    /// What a boolean method in source proves about its parameters when it returns true (position -> kinds made safe),
    /// over every body it may run (<see cref="MethodAnalysis.GuardedParameters"/>); empty for any other method. Guard
    /// methods calling guard methods are followed <see cref="MaxGuardDepth"/> deep.
    /// </summary>
    public IReadOnlyDictionary<int, ulong> GuardedParameters(IMethodSymbol method, int guardDepth)
    {
        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (_guardMethods.TryGetValue(definition, out var known))
        {
            return known;
        }

        if (guardDepth >= MaxGuardDepth)
        {
            return NoGuardedParameters;
        }

        IReadOnlyDictionary<int, ulong>? proved = null;
        foreach (var body in Bodies(definition))
        {
            var here = new MethodAnalysis(this, body, TypeKey(body), summary: null, callDepth: 0).GuardedParameters(guardDepth + 1);
            proved = proved is null ? here : MethodAnalysis.BothProve(proved, here);
            if (proved.Count == 0)
            {
                break;
            }
        }

        proved ??= NoGuardedParameters;
        _guardMethods.TryAdd(definition, proved);
        return proved;
    }

    /// <summary>The bodies a call may run: the method's own, or for an interface or abstract method, its implementations in source.</summary>
    public IReadOnlyList<SyntaxNode> Bodies(IMethodSymbol method)
    {
        var definition = method.ReducedFrom ?? method;
        definition = definition.OriginalDefinition;
        var own = definition.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken))
            .Where(n => n is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null })
            .ToList();
        if (own.Count > 0 || !(definition.IsAbstract || definition.IsVirtual) || !_methodsByName.TryGetValue(definition.Name, out var candidates))
        {
            return own;
        }

        // Implementations are found among the methods of that name this project sees: a summary that dispatched here
        // holds in another project only where it sees the same ones.
        if (_summarising.TryPeek(out var summarising))
        {
            summarising.Candidates[definition.Name] = candidates;
        }

        var implementations = new List<SyntaxNode>();
        foreach (var candidate in candidates)
        {
            if (implementations.Count >= MaxImplementations)
            {
                break;
            }

            var decl = (MethodDeclarationSyntax)candidate.Node;
            if (decl.ParameterList.Parameters.Count != definition.Parameters.Length
                || SemanticModel(decl.SyntaxTree).GetDeclaredSymbol(decl, _cancellationToken) is not { } impl)
            {
                continue;
            }

            var implements = definition.ContainingType.TypeKind == TypeKind.Interface
                ? SymbolEqualityComparer.Default.Equals(impl.ContainingType.FindImplementationForInterfaceMember(definition)?.OriginalDefinition, impl.OriginalDefinition)
                : Overrides(impl, definition);
            if (implements)
            {
                implementations.Add(decl);
            }
        }

        return implementations;
    }

    /// <summary>
    /// The type whose implementation <paramref name="body"/> is, when a call to <paramref name="method"/> was dispatched
    /// to it (<see cref="Bodies"/>); null when the body is the called method's own. A tainted receiver reaches such a
    /// body only if the caller's object can be of that type (see <see cref="Origin.Via"/>).
    /// </summary>
    public ImplementationType? DispatchedTo(IMethodSymbol method, SyntaxNode body)
    {
        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (definition.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == body.SyntaxTree && r.Span == body.Span)
            || SemanticModel(body.SyntaxTree).GetDeclaredSymbol(body, _cancellationToken) is not IMethodSymbol { ContainingType: { } type })
        {
            return null;
        }

        return _implementationTypes.GetOrAdd(type, ImplementationType.Of);
    }

    /// <summary>
    /// Whether a field or auto-property of an object can never hold what the object was given, so a tainted receiver's
    /// taint does not reach it: it is private, of type <c>string</c> (immutable: no caller adds to it through a
    /// reference it was handed), and every value its type gives it is made of literals and static members alone (no
    /// parameter, local, <c>this</c> or other instance member), and no <c>ref</c> to it is taken. A temporary directory a
    /// class names for itself is not the request data of whatever object reached its method (see
    /// docs/adding-a-taint-rule.md, "A tainted receiver").
    /// </summary>
    public bool IsSelfSet(ISymbol member) => _selfSet.GetOrAdd(member, ComputeSelfSet);

    private bool ComputeSelfSet(ISymbol member)
    {
        var type = member switch
        {
            IFieldSymbol { IsImplicitlyDeclared: false, IsStatic: false } f => f.Type,
            IPropertySymbol { IsStatic: false } p when IsAutoProperty(p) => p.Type,
            _ => null,
        };
        if (type is not { SpecialType: SpecialType.System_String } || member.DeclaredAccessibility != Accessibility.Private)
        {
            return false;
        }

        foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
        {
            var root = reference.GetSyntax(_cancellationToken);
            var model = SemanticModel(root.SyntaxTree);
            foreach (var node in root.DescendantNodes())
            {
                var value = node switch
                {
                    VariableDeclaratorSyntax { Initializer.Value: var v } d when d.Identifier.ValueText == member.Name => v,
                    PropertyDeclarationSyntax { Initializer.Value: var v } p when p.Identifier.ValueText == member.Name => v,
                    AssignmentExpressionSyntax a when Names(a.Left, member, model) => a.Right,
                    ArgumentSyntax { RefKindKeyword.RawKind: not 0 } arg when Names(arg.Expression, member, model) => arg.Expression,
                    RefExpressionSyntax r when Names(r.Expression, member, model) => r.Expression,
                    _ => null,
                };
                if (value is not null && !FromNoInput(value, model))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool Names(ExpressionSyntax target, ISymbol member, SemanticModel model) =>
        target.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(id =>
            id.Identifier.ValueText == member.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(id, _cancellationToken).Symbol, member));

    /// <summary>Whether a value is made of literals and static members alone: every name that is not a member of something else is a type, namespace or static member.</summary>
    private bool FromNoInput(ExpressionSyntax value, SemanticModel model) =>
        !value.DescendantNodesAndSelf().Any(n => n is ThisExpressionSyntax or BaseExpressionSyntax or AnonymousFunctionExpressionSyntax)
        && value.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().All(id =>
            id.Parent is MemberAccessExpressionSyntax m && m.Name == id
            || model.GetSymbolInfo(id, _cancellationToken).Symbol is INamespaceSymbol or INamedTypeSymbol or { IsStatic: true } and (IFieldSymbol or IPropertySymbol or IMethodSymbol));

    private bool IsAutoProperty(IPropertySymbol property) =>
        property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).All(n =>
            n is PropertyDeclarationSyntax { ExpressionBody: null, AccessorList: { } accessors } && accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null));

    private static bool Overrides(IMethodSymbol method, IMethodSymbol definition)
    {
        for (var m = method.OverriddenMethod; m is not null; m = m.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(m.OriginalDefinition, definition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The versions of the packages of the project that owns <paramref name="tree"/> (see <see cref="PackageVersions"/>).</summary>
    public PackageVersions PackagesOf(SyntaxTree tree) => _compilation.PackagesOf(tree);

    /// <summary>The result property that marks a result of low confidence (a sink that holds only if a package is old enough).</summary>
    private static readonly IReadOnlyDictionary<string, string> LowConfidence = new Dictionary<string, string>(StringComparer.Ordinal) { ["confidence"] = "low" };

    /// <summary>A tree's semantic model, shared with the other checks (the compilation carries the project's implicit usings).</summary>
    public SemanticModel SemanticModel(SyntaxTree tree) => _compilation.Model(tree);

    // ---------------------------------------------------------------- matching

    /// <summary>The full name of a type: namespace and containing types, no generic arity (<c>System.Collections.Generic.List</c>).</summary>
    public string FullName(ISymbol type) => _fullNames.GetOrAdd(type, static t =>
        t.ContainingType is { } outer ? FullNameOf(outer) + "." + t.Name
        : t.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + t.Name
        : t.Name);

    private static string FullNameOf(ISymbol t) =>
        t.ContainingType is { } outer ? FullNameOf(outer) + "." + t.Name
        : t.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + t.Name
        : t.Name;

    /// <summary>Whether <paramref name="type"/> is, derives from or implements the type named <paramref name="fullName"/>.</summary>
    public bool TypeMatches(ITypeSymbol? type, string? fullName)
    {
        if (fullName is null)
        {
            return true;
        }

        if (type is null || type.TypeKind == TypeKind.Error)
        {
            return false;
        }

        for (var t = type; t is not null; t = t.BaseType)
        {
            if (FullName(t.OriginalDefinition) == fullName)
            {
                return true;
            }
        }

        return type.AllInterfaces.Any(i => FullName(i.OriginalDefinition) == fullName);
    }

    /// <summary>
    /// For a member whose symbol did not resolve (a package that is not referenced): the pattern applies when the call
    /// names its type (<c>JsonConvert.DeserializeObject</c>, <c>new DirectorySearcher</c>) or the file imports its namespace.
    /// </summary>
    public bool NamesOnlyApplies(MemberPattern pattern, SyntaxNode node, SyntaxNode? typeOrReceiver)
    {
        if (pattern.TypeName is null)
        {
            return true;
        }

        if (typeOrReceiver is not null && LastIdentifier(typeOrReceiver) == pattern.TypeSimpleName)
        {
            return true;
        }

        return pattern.Namespace is not null
            && ((_usings.TryGetValue(node.SyntaxTree, out var usings) && usings.Contains(pattern.Namespace))
                || (_ownTrees.Contains(node.SyntaxTree) && _globalUsings.Contains(pattern.Namespace)));
    }

    /// <summary>The name of the member (method, property, constructor...) that contains a location; empty when there is none.</summary>
    private string MemberNameAt(Location? location)
    {
        if (location?.SourceTree is not { } tree)
        {
            return string.Empty;
        }

        var member = tree.GetRoot(_cancellationToken).FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<MemberDeclarationSyntax>();
        return member switch
        {
            BaseMethodDeclarationSyntax m => $"{(m.Parent as BaseTypeDeclarationSyntax)?.Identifier.ValueText}.{(m as MethodDeclarationSyntax)?.Identifier.ValueText ?? m.Kind().ToString()}({m.ParameterList.Parameters.Count})",
            PropertyDeclarationSyntax p => $"{(p.Parent as BaseTypeDeclarationSyntax)?.Identifier.ValueText}.{p.Identifier.ValueText}",
            BaseTypeDeclarationSyntax t => t.Identifier.ValueText,
            _ => member?.Kind().ToString() ?? string.Empty,
        };
    }

    /// <summary>Counts a result whose sink matched by name only, once per call site however many patterns matched it.</summary>
    private void CountUnresolvedSinkMatch(Location location)
    {
        if (_unresolvedSinks.Add(location))
        {
            _unresolvedSinkMatches++;
        }
    }

    /// <summary>
    /// Whether a sink's condition (<c>DtdProcessing.Parse</c>, <c>TypeNameHandling.All</c>) holds where the sink is: in the
    /// member that contains it, or in the declaration of a field or property of its type that the sink's expression
    /// names (<c>static readonly JsonSerializerSettings Settings = new() { TypeNameHandling = ... }</c>). A safe method
    /// beside an unsafe one in the same class stays safe.
    /// </summary>
    public bool ContextMatches(SyntaxNode node, Regex context)
    {
        var member = node.FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m is not TypeDeclarationSyntax);
        if (context.IsMatch(TextOf(member ?? node.SyntaxTree.GetRoot(_cancellationToken))))
        {
            return true;
        }

        if (node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type)
        {
            return false;
        }

        var named = node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.ValueText).ToHashSet(StringComparer.Ordinal);
        return type.Members.Any(m => m switch
        {
            FieldDeclarationSyntax f => f.Declaration.Variables.Any(v => named.Contains(v.Identifier.ValueText)),
            PropertyDeclarationSyntax p => named.Contains(p.Identifier.ValueText),
            _ => false,
        } && context.IsMatch(TextOf(m)));
    }

    private string TextOf(SyntaxNode scope)
    {
        if (!_typeText.TryGetValue(scope, out var text))
        {
            _typeText[scope] = text = scope.ToString();
        }

        return text;
    }

    /// <summary>
    /// A URL literal that fixes where it goes before any data: an absolute URL with its host
    /// (<c>$"https://api.example.com/items/{id}"</c>) or a local path (<c>$"/orders/{id}"</c>).
    /// </summary>
    public static bool HasFixedHost(ExpressionSyntax argument, SyntaxNode body)
    {
        if (argument is IdentifierNameSyntax id)
        {
            var declarator = body.DescendantNodes().OfType<VariableDeclaratorSyntax>().FirstOrDefault(v => v.Identifier.ValueText == id.Identifier.ValueText);
            if (declarator?.Initializer?.Value is not { } value)
            {
                return false;
            }

            argument = value;
        }

        while (argument is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } add)
        {
            argument = add.Left;
        }

        var prefix = argument switch
        {
            InterpolatedStringExpressionSyntax s => s.Contents.FirstOrDefault() is InterpolatedStringTextSyntax t ? t.TextToken.ValueText : null,
            LiteralExpressionSyntax l when l.IsKind(SyntaxKind.StringLiteralExpression) => l.Token.ValueText,
            _ => null,
        };
        return prefix is not null && FixedHostUrl.IsMatch(prefix);
    }

    public static string? LastIdentifier(SyntaxNode node) => node switch
    {
        SimpleNameSyntax s => s.Identifier.ValueText,
        QualifiedNameSyntax q => q.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
        MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
        NullableTypeSyntax n => LastIdentifier(n.ElementType),
        _ => null,
    };

    public static bool IsCleanType(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean or SpecialType.System_Char or SpecialType.System_SByte or SpecialType.System_Byte
                or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
                or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Decimal or SpecialType.System_Single
                or SpecialType.System_Double or SpecialType.System_IntPtr or SpecialType.System_UIntPtr or SpecialType.System_DateTime:
                return true;
        }

        // A cancellation token (a handler's parameter, HttpContext.RequestAborted) carries no data at all.
        return type.ContainingNamespace?.ToDisplayString() switch
        {
            "System" => type.Name is "Guid" or "DateTimeOffset" or "TimeSpan" or "DateOnly" or "TimeOnly",
            "System.Threading" => type.Name is "CancellationToken",
            _ => false,
        };
    }

    /// <summary>Declared types that can carry no injection (numbers, bool, Guid, dates, cancellation tokens), judged from syntax alone.</summary>
    public static bool IsCleanTypeSyntax(TypeSyntax? type) => type switch
    {
        PredefinedTypeSyntax p => !p.Keyword.IsKind(SyntaxKind.StringKeyword) && !p.Keyword.IsKind(SyntaxKind.ObjectKeyword),
        NullableTypeSyntax n => IsCleanTypeSyntax(n.ElementType),
        SimpleNameSyntax or QualifiedNameSyntax => LastIdentifier(type) is "Guid" or "DateTime" or "DateTimeOffset" or "TimeSpan" or "DateOnly" or "TimeOnly" or "Int32" or "Int64" or "Boolean" or "CancellationToken",
        _ => false,
    };

    // ---------------------------------------------------------------- results

    /// <summary>Reports a source reaching a sink, once per rule, sink and source.</summary>
    public void Report(SinkHit hit, Origin origin)
    {
        // Reported by the project that computes the summary, not by those that reuse it.
        NotShareable();
        var sourceLocation = Origin.FirstLocation(origin);
        var key = $"{hit.Sink.Rule.Id}|{hit.Location.SourceTree?.FilePath}|{hit.Location.SourceSpan}|{sourceLocation?.SourceTree?.FilePath}|{sourceLocation?.SourceSpan}";
        if (!_reported.Add(key))
        {
            return;
        }

        if (hit.NamesOnly)
        {
            CountUnresolvedSinkMatch(hit.Location);
        }

        var flow = origin.Path?.ToList() ?? [];
        flow.Add((hit.ArgumentLocation, $"reaches {hit.Description}"));
        var rule = hit.Sink.Rule;
        var message = rule.Document.Message!.Trim()
            .Replace("{source}", origin.Source, StringComparison.Ordinal)
            .Replace("{sink}", hit.Description, StringComparison.Ordinal);
        if (hit.NamesOnly)
        {
            message += " (sink matched by name: its type could not be resolved)";
        }

        if (hit.Doubt is not null)
        {
            message += $" ({hit.Doubt})";
        }

        // Where the data comes from is part of the identity: two actions feeding one sink are two results. The source's
        // file and member (not its line) keep the identity stable when code moves.
        var evidence = $"{rule.Id}|{hit.Signature}|{hit.SinkText}|{origin.Source}|{sourceLocation?.SourceTree?.FilePath}|{MemberNameAt(sourceLocation)}";
        _sink.Report(rule.Id, rule.Descriptor.DefaultSeverity, message, hit.Location, evidence, flow, hit.Doubt is null ? null : LowConfidence);
    }

    /// <summary>
    /// A bound was hit: said once per kind and body, so a run over a pathological file stays readable. The call-depth
    /// bound, which deep but ordinary call chains reach, is said once per project with the number of methods and the
    /// first of them (<see cref="NotifyCallDepth"/>).
    /// </summary>
    public void Bound(SyntaxNode? node, string kind, string message)
    {
        NotShareable();
        var path = node is null ? null : _compilation.PathOf(node.SyntaxTree);
        var where = node is null ? string.Empty : $"{path}:{node.SpanStart}";
        if (!_boundsNotified.Add(kind + "|" + where))
        {
            return;
        }

        _sink.Count("codeAnalysisBoundsHit", 1);
        if (kind == "call-depth")
        {
            _callDepthHits++;
            _firstCallDepthHit ??= (path, node);
            return;
        }

        _sink.Notify(new Notification("code-analysis-bound", NotificationLevel.Note, message) { Path = path, Region = RegionOf(node) });
    }

    private void NotifyCallDepth()
    {
        if (_firstCallDepthHit is not { } first)
        {
            return;
        }

        _sink.Notify(new Notification("code-analysis-bound", NotificationLevel.Note,
            $"{_compilation.Name}: taint analysis did not follow calls deeper than {MaxCallDepth} into {_callDepthHits} method(s), this one first; their arguments were passed on to their results")
        {
            Path = first.Path,
            Region = RegionOf(first.Node),
        });
    }

    private static Region? RegionOf(SyntaxNode? node) =>
        node?.GetLocation().GetLineSpan().StartLinePosition is { } l ? new Region(l.Line + 1, l.Character + 1, l.Line + 1, l.Character + 1) : null;
}

/// <summary>What a method does with its parameters: which reach its return value, and which reach a sink (and how).</summary>
internal sealed class MethodSummary
{
    /// <summary>Origins of the return value: parameters (with the path from the parameter) and sources read inside.</summary>
    public TaintSet Returns { get; set; } = TaintSet.Empty;

    /// <summary>What each member of the returned object carries, when the body tells them apart (see <see cref="ReturnedMembers"/>).</summary>
    public ObjectMembers? ReturnMembers { get; set; }

    public List<(Origin Parameter, SinkHit Hit)> ParameterSinks { get; } = [];
}

/// <summary>A tainted value at a sink: where, which rule, and how to describe it.</summary>
/// <param name="Doubt">Why the result is of low confidence (a package version that is not known), or null.</param>
internal sealed record SinkHit(TaintSink Sink, Location Location, Location ArgumentLocation, string Description, string Signature, string SinkText, bool NamesOnly, string? Doubt = null);
