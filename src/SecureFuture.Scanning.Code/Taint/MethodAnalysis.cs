using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>
/// Taint through one body, statement by statement: locals by name, branches merged, loops run twice, lambdas and
/// local functions followed where they are called, calls to source methods through their summaries. Binding happens
/// only where tainted data is involved (a sink or sanitiser candidate, a source method, the type of a tainted value)
/// and where a member named like a source is read.
/// </summary>
internal sealed partial class MethodAnalysis
{
    private const int MaxExpressionDepth = 160;
    private const int MaxInlineDepth = 4;

    private readonly TaintEngine _engine;
    private readonly SyntaxNode _body;
    private readonly string _typeKey;
    private readonly MethodSummary? _summary;
    private readonly int _callDepth;
    private readonly Stack<TaintSet> _conditionalReceivers = new();
    private readonly HashSet<SyntaxNode> _inlining = [];

    /// <summary>The static type of the argument each parameter of a local function being inlined was called with.</summary>
    private readonly Dictionary<IParameterSymbol, ITypeSymbol?> _inlinedArgumentTypes = new(SymbolEqualityComparer.Default);
    private Dictionary<string, TaintSet> _env = new(StringComparer.Ordinal);
    private TaintSet _returns = TaintSet.Empty;
    private TaintSet _receiver = TaintSet.Empty;
    private Dictionary<string, LocalFunctionStatementSyntax>? _localFunctions;

    /// <summary>Locals holding the result of a lookup guard (<see cref="MemberPattern.OnResult"/>): what a non-null check of each makes safe.</summary>
    private Dictionary<string, List<(ExpressionSyntax Target, ulong Kinds)>>? _lookups;
    private int _work;
    private int _depth;
    private int _inlineDepth;

    /// <summary>How many guard methods deep this analysis is (<see cref="GuardedParameters"/>); 0 for any other.</summary>
    private int _guardDepth;
    private bool _abandoned;

    /// <summary>While summarising: what each member of the returned object carries.</summary>
    private readonly ReturnedMembers? _returnedMembers;

    public MethodAnalysis(TaintEngine engine, SyntaxNode body, string typeKey, MethodSummary? summary, int callDepth)
    {
        _engine = engine;
        _body = body;
        _typeKey = typeKey;
        _summary = summary;
        _callDepth = callDepth;
        _returnedMembers = summary is null ? null : new ReturnedMembers();
    }

    private static TaintSet Empty => TaintSet.Empty;

    private SemanticModel Model => _engine.SemanticModel(_body.SyntaxTree);

    /// <summary>Analyses an entry point: parameters with a label are request data, the others are clean.</summary>
    public void RunRoot(IReadOnlyList<string?> parameterLabels)
    {
        var parameters = ParametersOf(_body);
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var name = p.Identifier.ValueText;
            var label = i < parameterLabels.Count ? parameterLabels[i] : null;
            _env[name] = label is null
                ? Empty
                : TaintSet.Of(new Origin($"{label} '{name}'", -1, FlowStepNode.Append(null, p.Identifier.GetLocation(), $"untrusted data from {label} '{name}'"), 0));
        }

        ExecBody(_body);
    }

    /// <summary>Computes the summary: each parameter is an origin of its own; sources met inside are reported as usual.</summary>
    public void RunSummary()
    {
        var parameters = ParametersOf(_body);
        for (var i = 0; i < parameters.Count; i++)
        {
            _env[parameters[i].Identifier.ValueText] = TaintSet.Of(new Origin(null, i, null, 0));
        }

        // Whatever an instance method reads from its object's fields comes from its receiver at the call.
        if (_body is MethodDeclarationSyntax method && !method.Modifiers.Any(m => m.IsKind(SyntaxKind.StaticKeyword)))
        {
            _receiver = TaintSet.Of(new Origin(null, Origin.Receiver, null, 0));
        }

        ExecBody(_body);
        _summary!.Returns = _returns;
        _summary.ReturnMembers = _returns.IsEmpty ? null : _returnedMembers!.Result(_body);
    }

    private static SeparatedSyntaxList<ParameterSyntax> ParametersOf(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax m => m.ParameterList.Parameters,
        LocalFunctionStatementSyntax l => l.ParameterList.Parameters,
        ParenthesizedLambdaExpressionSyntax l => l.ParameterList.Parameters,
        SimpleLambdaExpressionSyntax l => SyntaxFactory.SingletonSeparatedList(l.Parameter),
        AnonymousMethodExpressionSyntax a when a.ParameterList is not null => a.ParameterList.Parameters,
        _ => default,
    };

    private void ExecBody(SyntaxNode node)
    {
        switch (node)
        {
            case BaseMethodDeclarationSyntax m:
                ExecBlockOrExpression(m.Body, m.ExpressionBody?.Expression);
                break;
            case AccessorDeclarationSyntax a:
                ExecBlockOrExpression(a.Body, a.ExpressionBody?.Expression);
                break;
            case PropertyDeclarationSyntax p:
                ExecBlockOrExpression(null, p.ExpressionBody?.Expression);
                break;
            case AnonymousFunctionExpressionSyntax f:
                ExecBlockOrExpression(f.Block, f.ExpressionBody);
                break;
            case CompilationUnitSyntax unit:
                foreach (var statement in unit.Members.OfType<GlobalStatementSyntax>())
                {
                    Exec(statement.Statement);
                }

                break;
        }
    }

    private void ExecBlockOrExpression(BlockSyntax? block, ExpressionSyntax? expression)
    {
        if (block is not null)
        {
            Exec(block);
        }
        else if (expression is not null)
        {
            Return(expression, Eval(expression));
        }
    }

    // ---------------------------------------------------------------- bounds

    private bool Tick()
    {
        if (_abandoned)
        {
            return false;
        }

        if (++_work > TaintEngine.MaxWorkPerBody)
        {
            _abandoned = true;
            _engine.Bound(_body, "work", $"Taint analysis stopped in this body after {TaintEngine.MaxWorkPerBody} steps");
            return false;
        }

        if ((_work & 0xFFF) == 0)
        {
            _engine.CancellationToken.ThrowIfCancellationRequested();
        }

        return true;
    }

    private bool Enter(SyntaxNode node)
    {
        if (!Tick())
        {
            return false;
        }

        if (_depth >= MaxExpressionDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            _engine.Bound(node, "depth", $"Taint analysis did not follow code nested deeper than {MaxExpressionDepth} levels here");
            return false;
        }

        _depth++;
        return true;
    }

    // ---------------------------------------------------------------- statements

    /// <summary>Runs a statement; true when it always leaves (return, throw, break, continue).</summary>
    private bool Exec(StatementSyntax statement)
    {
        if (!Enter(statement))
        {
            return false;
        }

        try
        {
            return ExecCore(statement);
        }
        finally
        {
            _depth--;
        }
    }

    private bool ExecCore(StatementSyntax statement)
    {
        switch (statement)
        {
            case BlockSyntax block:
                foreach (var s in block.Statements)
                {
                    if (Exec(s))
                    {
                        return true;
                    }
                }

                return false;
            case LocalDeclarationStatementSyntax d:
                Declare(d.Declaration);
                return false;
            case ExpressionStatementSyntax e:
                Eval(e.Expression);
                return false;
            case ReturnStatementSyntax r:
                Return(r.Expression, Eval(r.Expression));
                return true;
            case YieldStatementSyntax y:
                // An iterator returns a sequence, not the object yielded: no member of it is told apart.
                Return(null, Eval(y.Expression));
                return y.IsKind(SyntaxKind.YieldBreakStatement);
            case ThrowStatementSyntax t:
                Eval(t.Expression);
                return true;
            case BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax:
                return true;
            case IfStatementSyntax i:
                return ExecIf(i);
            case WhileStatementSyntax w:
                Loop(() =>
                {
                    Eval(w.Condition);
                    Exec(w.Statement);
                });
                return false;
            case DoStatementSyntax d:
                Loop(() =>
                {
                    Exec(d.Statement);
                    Eval(d.Condition);
                });
                return false;
            case ForStatementSyntax f:
                if (f.Declaration is not null)
                {
                    Declare(f.Declaration);
                }

                foreach (var init in f.Initializers)
                {
                    Eval(init);
                }

                Loop(() =>
                {
                    Eval(f.Condition);
                    Exec(f.Statement);
                    foreach (var inc in f.Incrementors)
                    {
                        Eval(inc);
                    }
                });
                return false;
            case ForEachStatementSyntax fe:
                var items = Eval(fe.Expression);
                Loop(() =>
                {
                    var name = fe.Identifier.ValueText;
                    _env[name] = TaintEngine.IsCleanTypeSyntax(fe.Type) || items.IsEmpty ? Empty : items.WithStep(fe.Identifier.GetLocation(), $"element assigned to '{name}'");
                    Exec(fe.Statement);
                });
                return false;
            case ForEachVariableStatementSyntax fv:
                var elements = Eval(fv.Expression);
                Loop(() =>
                {
                    AssignTo(fv.Variable, elements);
                    Exec(fv.Statement);
                });
                return false;
            case UsingStatementSyntax u:
                if (u.Declaration is not null)
                {
                    Declare(u.Declaration);
                }

                Eval(u.Expression);
                return Exec(u.Statement);
            case LockStatementSyntax l:
                Eval(l.Expression);
                return Exec(l.Statement);
            case FixedStatementSyntax fx:
                Declare(fx.Declaration);
                return Exec(fx.Statement);
            case CheckedStatementSyntax c:
                return Exec(c.Block);
            case UnsafeStatementSyntax us:
                return Exec(us.Block);
            case LabeledStatementSyntax ls:
                return Exec(ls.Statement);
            case TryStatementSyntax t:
                ExecTry(t);
                return false;
            case SwitchStatementSyntax sw:
                ExecSwitch(sw);
                return false;
            default:
                // Local function declarations run where they are called; empty statements do nothing.
                return false;
        }
    }

    private void Declare(VariableDeclarationSyntax declaration)
    {
        var clean = TaintEngine.IsCleanTypeSyntax(declaration.Type);
        foreach (var v in declaration.Variables)
        {
            var value = Eval(v.Initializer?.Value);
            var name = v.Identifier.ValueText;
            AssignLocal(name, clean ? Empty : value, v.Identifier.GetLocation());
            RememberLookup(name, v.Initializer?.Value);
        }
    }

    /// <summary>A local assigned as a whole: its value, and what a call's summary says each of its members carries.</summary>
    private void AssignLocal(string name, TaintSet value, Location location)
    {
        var stepped = value.IsEmpty ? value : value.WithStep(location, $"assigned to '{name}'");
        _env[name] = stepped;
        _returnedMembers?.Assigned(name, stepped);
        if (value.Members is { } members)
        {
            foreach (var (member, taint) in members.Members)
            {
                _env[$"{name}.{member}"] = taint.IsEmpty ? taint : taint.WithStep(location, $"assigned to '{name}'");
            }
        }
    }

    /// <summary>The method's result (a <c>return</c>, an expression body); a lambda's when inlining one.</summary>
    private void Return(ExpressionSyntax? expression, TaintSet value)
    {
        _returns = TaintSet.Union(_returns, value);
        if (_inlineDepth == 0)
        {
            _returnedMembers?.Returned(expression, value);
        }
    }

    private bool ExecIf(IfStatementSyntax statement)
    {
        Eval(statement.Condition);
        var before = _env;

        _env = new Dictionary<string, TaintSet>(before, StringComparer.Ordinal);
        ApplyGuards(statement.Condition, whenTrue: true);
        var thenLeaves = Exec(statement.Statement);
        var thenEnv = _env;

        _env = new Dictionary<string, TaintSet>(before, StringComparer.Ordinal);
        ApplyGuards(statement.Condition, whenTrue: false);
        var elseLeaves = statement.Else is not null && Exec(statement.Else.Statement);
        var elseEnv = _env;

        _env = (thenLeaves, elseLeaves) switch
        {
            (true, false) => elseEnv,
            (false, true) => thenEnv,
            _ => Merge(thenEnv, elseEnv),
        };
        return thenLeaves && elseLeaves;
    }

    private void Loop(Action body)
    {
        var state = _env;
        for (var pass = 0; pass < 2; pass++)
        {
            _env = new Dictionary<string, TaintSet>(state, StringComparer.Ordinal);
            body();
            var merged = Merge(state, _env);
            var unchanged = pass == 0 && Unchanged(state, merged);
            state = merged;
            if (unchanged)
            {
                // The second pass would start where the first did and repeat it: what the body declares it declares
                // again before reading it. Most loops carry no taint from one iteration to the next, and the passes
                // nest (a loop in a loop runs four times), so this halves the work of every loop that does not.
                break;
            }
        }

        _env = state;
    }

    /// <summary>Whether every variable visible before a loop holds what it held (the same set: <see cref="TaintSet.Union"/> returns its first operand when the second adds nothing).</summary>
    private static bool Unchanged(Dictionary<string, TaintSet> before, Dictionary<string, TaintSet> after)
    {
        foreach (var (key, value) in before)
        {
            if (!after.TryGetValue(key, out var now) || !ReferenceEquals(value, now))
            {
                return false;
            }
        }

        return true;
    }

    private void ExecTry(TryStatementSyntax statement)
    {
        var before = _env;
        _env = new Dictionary<string, TaintSet>(before, StringComparer.Ordinal);
        Exec(statement.Block);
        var result = _env;
        foreach (var c in statement.Catches)
        {
            _env = Merge(before, result);
            if (c.Declaration is { } d && d.Identifier.ValueText.Length > 0)
            {
                _env[d.Identifier.ValueText] = Empty;
            }

            Eval(c.Filter?.FilterExpression);
            Exec(c.Block);
            result = Merge(result, _env);
        }

        _env = result;
        if (statement.Finally is not null)
        {
            Exec(statement.Finally.Block);
        }
    }

    private void ExecSwitch(SwitchStatementSyntax statement)
    {
        var value = Eval(statement.Expression);
        var before = _env;
        var merged = before;
        foreach (var section in statement.Sections)
        {
            _env = new Dictionary<string, TaintSet>(before, StringComparer.Ordinal);
            List<(ExpressionSyntax Target, ulong Kinds)>? proved = null;
            foreach (var label in section.Labels)
            {
                if (label is CasePatternSwitchLabelSyntax p)
                {
                    BindPattern(p.Pattern, value);
                    Eval(p.WhenClause?.Condition);
                }

                // The section runs for any of its labels: it knows what every one of them proves (case "list": case "grid":).
                var here = label switch
                {
                    CaseSwitchLabelSyntax c when PathKey(statement.Expression) is not null && !value.IsEmpty && IsNonNullConstant(c.Value) => [(statement.Expression, ulong.MaxValue)],
                    CasePatternSwitchLabelSyntax c => CaseFacts(statement.Expression, c.Pattern, c.WhenClause),
                    _ => [],
                };
                proved = proved is null ? here : BothProve(proved, here);
            }

            ApplyFacts(proved ?? []);

            var leaves = false;
            foreach (var s in section.Statements)
            {
                if (Exec(s))
                {
                    leaves = s is not BreakStatementSyntax;
                    break;
                }
            }

            if (!leaves)
            {
                merged = Merge(merged, _env);
            }
        }

        _env = merged;
    }

    private static Dictionary<string, TaintSet> Merge(Dictionary<string, TaintSet> a, Dictionary<string, TaintSet> b)
    {
        var result = new Dictionary<string, TaintSet>(a.Count, StringComparer.Ordinal);
        foreach (var (key, value) in a)
        {
            if (b.TryGetValue(key, out var other))
            {
                result[key] = TaintSet.Union(value, other);
            }
            else if (!key.Contains('.', StringComparison.Ordinal))
            {
                // A member path checked on one branch only says nothing after the branches meet.
                result[key] = value;
            }
        }

        foreach (var (key, value) in b)
        {
            if (!a.ContainsKey(key) && !key.Contains('.', StringComparison.Ordinal))
            {
                result[key] = value;
            }
        }

        return result;
    }

    // ---------------------------------------------------------------- guards

    /// <summary>Makes safe what a condition proves when it is <paramref name="whenTrue"/>: <c>if (!Url.IsLocalUrl(u)) return;</c>.</summary>
    /// <summary>A branch of <c>check(x) ? x : fallback</c>, evaluated with what the condition says when it is <paramref name="whenTrue"/>.</summary>
    private TaintSet EvalGuarded(ExpressionSyntax condition, bool whenTrue, ExpressionSyntax branch)
    {
        var before = _env;
        _env = new Dictionary<string, TaintSet>(before, StringComparer.Ordinal);
        ApplyGuards(condition, whenTrue);
        var value = Eval(branch);
        _env = before;
        return value;
    }

    private void ApplyGuards(ExpressionSyntax condition, bool whenTrue)
    {
        var facts = new List<(ExpressionSyntax Target, ulong Kinds)>();
        CollectGuards(condition, whenTrue, facts, 0);
        ApplyFacts(facts);
    }

    /// <summary>An expression evaluated where <paramref name="facts"/> hold (a switch arm reached only for constants).</summary>
    private TaintSet EvalWith(List<(ExpressionSyntax Target, ulong Kinds)> facts, ExpressionSyntax expression)
    {
        var before = _env;
        _env = new Dictionary<string, TaintSet>(before, StringComparer.Ordinal);
        ApplyFacts(facts);
        var value = Eval(expression);
        _env = before;
        return value;
    }

    /// <summary>
    /// What reaching a switch arm or case label proves about the value switched on: that it is one of the constants
    /// the pattern lists (<c>"list" or "grid" =&gt; mode</c>, <c>case "list":</c>), an allow-list like <c>mode == "list"</c>;
    /// and what its <c>when</c> clause proves.
    /// </summary>
    private List<(ExpressionSyntax Target, ulong Kinds)> CaseFacts(ExpressionSyntax governing, PatternSyntax pattern, WhenClauseSyntax? when)
    {
        var facts = new List<(ExpressionSyntax Target, ulong Kinds)>();
        // Telling constants apart can bind (an enum member, a const): asked only of a tracked value that carries taint.
        if (PathKey(governing) is not null && !Eval(governing).IsEmpty && PatternAdmitsOnlyConstants(pattern, matches: true))
        {
            facts.Add((governing, ulong.MaxValue));
        }

        if (when is not null)
        {
            CollectGuards(when.Condition, whenTrue: true, facts, 0);
        }

        return facts;
    }

    /// <summary>
    /// Whether a value that <paramref name="pattern"/> matches (or, with <paramref name="matches"/> false, does not
    /// match) can only be one of the constants the pattern names: <c>"a" or "b"</c>, <c>not ("a" or "b")</c> when it
    /// fails, <c>"a" and not null</c>. A constant of <c>null</c>, a type, a property or a relational pattern proves nothing.
    /// </summary>
    private bool PatternAdmitsOnlyConstants(PatternSyntax pattern, bool matches) => pattern switch
    {
        ParenthesizedPatternSyntax p => PatternAdmitsOnlyConstants(p.Pattern, matches),
        UnaryPatternSyntax u when u.OperatorToken.IsKind(SyntaxKind.NotKeyword) => PatternAdmitsOnlyConstants(u.Pattern, !matches),
        ConstantPatternSyntax c => matches && IsNonNullConstant(c.Expression),
        BinaryPatternSyntax b when b.IsKind(SyntaxKind.OrPattern) == matches =>
            PatternAdmitsOnlyConstants(b.Left, matches) && PatternAdmitsOnlyConstants(b.Right, matches),
        BinaryPatternSyntax b => PatternAdmitsOnlyConstants(b.Left, matches) || PatternAdmitsOnlyConstants(b.Right, matches),
        _ => false,
    };

    private void ApplyFacts(List<(ExpressionSyntax Target, ulong Kinds)> facts)
    {
        foreach (var (target, kinds) in facts)
        {
            var key = PathKey(target);
            if (key is null)
            {
                continue;
            }

            var value = Eval(target);
            if (!value.IsEmpty)
            {
                _env[key] = value.Sanitize(kinds);
            }
        }
    }

    private void CollectGuards(ExpressionSyntax condition, bool whenTrue, List<(ExpressionSyntax, ulong)> facts, int depth)
    {
        if (depth > 16)
        {
            return;
        }

        switch (condition)
        {
            case ParenthesizedExpressionSyntax p:
                CollectGuards(p.Expression, whenTrue, facts, depth + 1);
                break;
            case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.LogicalNotExpression):
                CollectGuards(u.Operand, !whenTrue, facts, depth + 1);
                break;
            case BinaryExpressionSyntax b when (b.IsKind(SyntaxKind.LogicalAndExpression) && whenTrue) || (b.IsKind(SyntaxKind.LogicalOrExpression) && !whenTrue):
                CollectGuards(b.Left, whenTrue, facts, depth + 1);
                CollectGuards(b.Right, whenTrue, facts, depth + 1);
                break;
            case BinaryExpressionSyntax b when (b.IsKind(SyntaxKind.LogicalOrExpression) && whenTrue) || (b.IsKind(SyntaxKind.LogicalAndExpression) && !whenTrue):
                // Either side may be the one that held: only what both prove is known (sort == "name" || sort == "price").
                var left = new List<(ExpressionSyntax, ulong)>();
                var right = new List<(ExpressionSyntax, ulong)>();
                CollectGuards(b.Left, whenTrue, left, depth + 1);
                CollectGuards(b.Right, whenTrue, right, depth + 1);
                facts.AddRange(BothProve(left, right));
                break;
            case BinaryExpressionSyntax b when b.IsKind(SyntaxKind.EqualsExpression) || b.IsKind(SyntaxKind.NotEqualsExpression):
                var (other, literal) = b.Right is LiteralExpressionSyntax r ? (b.Left, r) : (b.Right, b.Left as LiteralExpressionSyntax);
                if (literal is not null && (literal.IsKind(SyntaxKind.TrueLiteralExpression) || literal.IsKind(SyntaxKind.FalseLiteralExpression)))
                {
                    var same = literal.IsKind(SyntaxKind.TrueLiteralExpression) == b.IsKind(SyntaxKind.EqualsExpression);
                    CollectGuards(other, same ? whenTrue : !whenTrue, facts, depth + 1);
                }
                else if (b.IsKind(SyntaxKind.NotEqualsExpression) == whenTrue && NullCheckOf(b.Left, b.Right) is { } checkedLocal)
                {
                    facts.AddRange(_lookups?.GetValueOrDefault(checkedLocal) ?? []);
                }
                else if (b.IsKind(SyntaxKind.EqualsExpression) == whenTrue && ComparedWithConstant(b) is { } compared)
                {
                    // Equal to a constant the code chose: an allow-list of one (mode == "fast"), safe for every kind.
                    facts.Add((compared, ulong.MaxValue));
                }

                break;
            case IsPatternExpressionSyntax { Pattern: ConstantPatternSyntax { Expression: LiteralExpressionSyntax l } } ip
                when l.IsKind(SyntaxKind.TrueLiteralExpression) || l.IsKind(SyntaxKind.FalseLiteralExpression):
                CollectGuards(ip.Expression, l.IsKind(SyntaxKind.TrueLiteralExpression) ? whenTrue : !whenTrue, facts, depth + 1);
                break;
            case IsPatternExpressionSyntax ip when PatternAdmitsOnlyConstants(ip.Pattern, whenTrue):
                // path is "/" or "/orders": an allow-list written as a pattern.
                facts.Add((ip.Expression, ulong.MaxValue));
                break;
            case InvocationExpressionSyntax inv when whenTrue:
                GuardCall(inv, facts, onResult: false);
                break;
            case IsPatternExpressionSyntax { Expression: IdentifierNameSyntax local, Pattern: var pattern } when IsNonNullPattern(pattern) == whenTrue:
                facts.AddRange(_lookups?.GetValueOrDefault(local.Identifier.ValueText) ?? []);
                break;
        }
    }

    /// <summary>
    /// The value compared with a constant other than null in <c>x == "asc"</c>, <c>Kind.Admin != x</c> (a literal, a
    /// <c>const</c> or an enum member); null when neither side is one, or both are.
    /// </summary>
    private ExpressionSyntax? ComparedWithConstant(BinaryExpressionSyntax comparison)
    {
        var leftConstant = IsNonNullConstant(comparison.Left);
        return leftConstant == IsNonNullConstant(comparison.Right) ? null : leftConstant ? comparison.Right : comparison.Left;
    }

    private bool IsNonNullConstant(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax literal => !literal.IsKind(SyntaxKind.NullLiteralExpression) && !literal.IsKind(SyntaxKind.DefaultLiteralExpression),
        IdentifierNameSyntax or MemberAccessExpressionSyntax => Model.GetConstantValue(expression, _engine.CancellationToken) is { HasValue: true, Value: not null },
        _ => false,
    };

    /// <summary>The local compared with <c>null</c> in <c>x == null</c>, <c>null != x</c>...; null when it is not such a comparison.</summary>
    private static string? NullCheckOf(ExpressionSyntax left, ExpressionSyntax right) => (left, right) switch
    {
        (IdentifierNameSyntax id, LiteralExpressionSyntax l) when l.IsKind(SyntaxKind.NullLiteralExpression) => id.Identifier.ValueText,
        (LiteralExpressionSyntax l, IdentifierNameSyntax id) when l.IsKind(SyntaxKind.NullLiteralExpression) => id.Identifier.ValueText,
        _ => null,
    };

    /// <summary>True for <c>not null</c> and <c>{ }</c>, false for <c>null</c>; null for any other pattern.</summary>
    private static bool? IsNonNullPattern(PatternSyntax pattern) => pattern switch
    {
        UnaryPatternSyntax { Pattern: ConstantPatternSyntax { Expression: LiteralExpressionSyntax l } } u
            when u.OperatorToken.IsKind(SyntaxKind.NotKeyword) && l.IsKind(SyntaxKind.NullLiteralExpression) => true,
        ConstantPatternSyntax { Expression: LiteralExpressionSyntax l } when l.IsKind(SyntaxKind.NullLiteralExpression) => false,
        RecursivePatternSyntax { Designation: null, PositionalPatternClause: null, PropertyPatternClause.Subpatterns.Count: 0 } => true,
        _ => null,
    };

    /// <summary>Remembers a local that holds the result of a lookup guard, and what its non-null check will make safe.</summary>
    private void RememberLookup(string local, ExpressionSyntax? value)
    {
        while (value is AwaitExpressionSyntax or ParenthesizedExpressionSyntax)
        {
            value = value is AwaitExpressionSyntax a ? a.Expression : ((ParenthesizedExpressionSyntax)value).Expression;
        }

        _lookups?.Remove(local);
        if (value is not InvocationExpressionSyntax inv)
        {
            return;
        }

        var facts = new List<(ExpressionSyntax Target, ulong Kinds)>();
        GuardCall(inv, facts, onResult: true);
        if (facts.Count > 0)
        {
            (_lookups ??= new Dictionary<string, List<(ExpressionSyntax, ulong)>>(StringComparer.Ordinal))[local] = facts;
            // What the lookup found (a registered client's request) is the server's, not the argument's.
            if (_env.TryGetValue(local, out var found) && !found.IsEmpty)
            {
                _env[local] = found.Sanitize(facts.Aggregate(0UL, (kinds, f) => kinds | f.Kinds));
            }
        }
    }

    /// <param name="onResult">Whether to apply the guards that check their arguments through their result (<see cref="MemberPattern.OnResult"/>) rather than the others.</param>
    private void GuardCall(InvocationExpressionSyntax inv, List<(ExpressionSyntax, ulong)> facts, bool onResult)
    {
        var name = TaintEngine.InvokedName(inv);
        if (name is null)
        {
            return;
        }

        // A guard of the model, else (a method of the same name on another type, say) the application's own validator.
        var matched = false;
        var receiver = (inv.Expression as MemberAccessExpressionSyntax)?.Expression;
        IMethodSymbol? symbol = null;
        var bound = false;
        foreach (var guard in _engine.Model.GuardsByName.GetValueOrDefault(name) ?? [])
        {
            if (guard.OnResult != onResult)
            {
                continue;
            }

            if (guard.TypeName is not null)
            {
                if (!bound)
                {
                    symbol = Bind(inv, out _);
                    bound = true;
                }

                var matches = symbol is not null
                    ? _engine.TypeMatches(symbol.ContainingType, guard.TypeName) || (receiver is not null && _engine.TypeMatches(Model.GetTypeInfo(receiver).Type, guard.TypeName))
                    : _engine.NamesOnlyApplies(guard, inv, receiver);
                if (!matches)
                {
                    continue;
                }
            }

            matched = true;
            if (guard.OnReceiver)
            {
                if (receiver is not null)
                {
                    facts.Add((receiver, guard.Kinds));
                }

                continue;
            }

            var args = inv.ArgumentList.Arguments;
            for (var i = 0; i < args.Count; i++)
            {
                if (guard.WatchesArgument(i, null))
                {
                    facts.Add((args[i].Expression, guard.Kinds));
                }
            }
        }

        if (!matched && !onResult)
        {
            GuardMethodCall(inv, facts);
        }
    }

    /// <summary>
    /// A call to a boolean method in source that is itself a guard (<c>if (!IsValidReturnUrl(url)) return BadRequest();</c>
    /// with <c>bool IsValidReturnUrl(string url) => AllowedUrls.Contains(url);</c>): its arguments are safe for what
    /// its body proves about the matching parameters (<see cref="TaintEngine.GuardedParameters"/>). Bound only when a
    /// tracked argument carries taint.
    /// </summary>
    private void GuardMethodCall(InvocationExpressionSyntax inv, List<(ExpressionSyntax, ulong)> facts)
    {
        var args = inv.ArgumentList.Arguments;
        var receiver = (inv.Expression as MemberAccessExpressionSyntax)?.Expression;
        bool Tracked(ExpressionSyntax? e) => e is not null && PathKey(e) is not null && !Eval(e).IsEmpty;
        if (!args.Any(a => Tracked(a.Expression)) && !Tracked(receiver)
            || Bind(inv, out _) is not { ReturnType.SpecialType: SpecialType.System_Boolean } method)
        {
            return;
        }

        var guarded = _engine.GuardedParameters(method, _guardDepth);
        if (guarded.Count == 0)
        {
            return;
        }

        // An extension method called as x.IsSafe(): its first parameter is the receiver.
        var shift = method.ReducedFrom is not null ? 1 : 0;
        if (shift == 1 && receiver is not null && guarded.TryGetValue(0, out var receiverKinds))
        {
            facts.Add((receiver, receiverKinds));
        }

        for (var i = 0; i < args.Count; i++)
        {
            if (ParameterFor(method, args[i], i) is { } parameter && guarded.TryGetValue(parameter.Ordinal + shift, out var kinds))
            {
                facts.Add((args[i].Expression, kinds));
            }
        }
    }

    /// <summary>
    /// For a boolean method: the parameters (by position in the declaration) that every <c>return</c> of anything but
    /// <c>false</c> proves safe, with the kinds, by the same guards an <c>if</c> applies. A parameter the body assigns
    /// is never one: what was checked is then not what the caller passed.
    /// </summary>
    public IReadOnlyDictionary<int, ulong> GuardedParameters(int guardDepth)
    {
        _guardDepth = guardDepth;
        var parameters = ParametersOf(_body);
        for (var i = 0; i < parameters.Count; i++)
        {
            _env[parameters[i].Identifier.ValueText] = TaintSet.Of(new Origin(null, i, null, 0));
        }

        var (block, expressionBody) = _body switch
        {
            BaseMethodDeclarationSyntax m => (m.Body, m.ExpressionBody?.Expression),
            LocalFunctionStatementSyntax l => (l.Body, l.ExpressionBody?.Expression),
            _ => (null, null),
        };
        IEnumerable<ExpressionSyntax?> returned = expressionBody is not null ? [expressionBody]
            : block?.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<ReturnStatementSyntax>().Select(r => r.Expression) ?? [];
        var assigned = block?.DescendantNodes().OfType<AssignmentExpressionSyntax>().Select(a => (a.Left as IdentifierNameSyntax)?.Identifier.ValueText).ToHashSet(StringComparer.Ordinal) ?? [];
        Dictionary<int, ulong>? proved = null;
        foreach (var expression in returned)
        {
            if (expression is null || expression.IsKind(SyntaxKind.FalseLiteralExpression))
            {
                continue;
            }

            var facts = new List<(ExpressionSyntax Target, ulong Kinds)>();
            CollectGuards(expression, whenTrue: true, facts, 0);
            var here = new Dictionary<int, ulong>();
            foreach (var (target, kinds) in facts)
            {
                var name = (target as IdentifierNameSyntax)?.Identifier.ValueText;
                var index = name is null || assigned.Contains(name) ? -1 : parameters.IndexOf(p => p.Identifier.ValueText == name);
                if (index >= 0)
                {
                    here[index] = here.GetValueOrDefault(index) | kinds;
                }
            }

            proved = proved is null ? here : BothProve(proved, here);
            if (proved.Count == 0)
            {
                break;
            }
        }

        return proved ?? [];
    }

    /// <summary>What two lists of guard facts both prove, by tracked value: what is known when either of them held.</summary>
    private static List<(ExpressionSyntax Target, ulong Kinds)> BothProve(List<(ExpressionSyntax Target, ulong Kinds)> a, List<(ExpressionSyntax Target, ulong Kinds)> b)
    {
        var both = new List<(ExpressionSyntax, ulong)>();
        foreach (var (target, kinds) in a)
        {
            var key = PathKey(target);
            var common = key is null ? 0 : b.Where(f => PathKey(f.Target) == key).Aggregate(0UL, (k, f) => k | f.Kinds) & kinds;
            if (common != 0)
            {
                both.Add((target, common));
            }
        }

        return both;
    }

    /// <summary>What two guards both prove (parameter position -> kinds): what is known when either of them held.</summary>
    internal static Dictionary<int, ulong> BothProve(IReadOnlyDictionary<int, ulong> a, IReadOnlyDictionary<int, ulong> b) =>
        a.Where(p => b.TryGetValue(p.Key, out var kinds) && (p.Value & kinds) != 0).ToDictionary(p => p.Key, p => p.Value & b[p.Key]);

    /// <summary>The name under which a local, a field or a member path (<c>model.Sort</c>) is tracked; null for anything else.</summary>
    private static string? PathKey(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax id => id.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } m => m.Name.Identifier.ValueText,
        MemberAccessExpressionSyntax m when m.IsKind(SyntaxKind.SimpleMemberAccessExpression) && PathKey(m.Expression) is { } inner => inner + "." + m.Name.Identifier.ValueText,
        _ => null,
    };

    // ---------------------------------------------------------------- expressions

    private TaintSet Eval(ExpressionSyntax? expression)
    {
        if (expression is null || !Enter(expression))
        {
            return Empty;
        }

        try
        {
            return EvalCore(expression);
        }
        finally
        {
            _depth--;
        }
    }

    private TaintSet EvalCore(ExpressionSyntax e)
    {
        switch (e)
        {
            case IdentifierNameSyntax id:
                return Lookup(id);
            case LiteralExpressionSyntax or TypeOfExpressionSyntax or SizeOfExpressionSyntax or DefaultExpressionSyntax or PredefinedTypeSyntax
                or ThisExpressionSyntax or BaseExpressionSyntax or RangeExpressionSyntax or TypeSyntax:
                return Empty;
            case ParenthesizedExpressionSyntax p:
                return Eval(p.Expression);
            case PostfixUnaryExpressionSyntax pu:
                return Eval(pu.Operand);
            case PrefixUnaryExpressionSyntax pre:
                Eval(pre.Operand);
                return Empty;
            case CastExpressionSyntax c:
                var cast = Eval(c.Expression);
                return TaintEngine.IsCleanTypeSyntax(c.Type) ? Empty : cast;
            case AwaitExpressionSyntax a:
                return TypeCheck(a, Eval(a.Expression));
            case BinaryExpressionSyntax b:
                return EvalBinary(b);
            case AssignmentExpressionSyntax a:
                return EvalAssignment(a);
            case ConditionalExpressionSyntax c:
                Eval(c.Condition);
                return TaintSet.Union(EvalGuarded(c.Condition, true, c.WhenTrue), EvalGuarded(c.Condition, false, c.WhenFalse));
            case InterpolatedStringExpressionSyntax s:
                var parts = Empty;
                foreach (var interpolation in s.Contents.OfType<InterpolationSyntax>())
                {
                    parts = TaintSet.Union(parts, Eval(interpolation.Expression));
                }

                return parts.WithStep(s.GetLocation(), "interpolated into a string");
            case MemberAccessExpressionSyntax m:
                return EvalMemberAccess(m);
            case ConditionalAccessExpressionSyntax ca:
                _conditionalReceivers.Push(Eval(ca.Expression));
                try
                {
                    return Eval(ca.WhenNotNull);
                }
                finally
                {
                    _conditionalReceivers.Pop();
                }

            case MemberBindingExpressionSyntax mb:
                return TypeCheck(mb, ConditionalReceiver());
            case ElementBindingExpressionSyntax eb:
                EvalArguments(eb.ArgumentList.Arguments);
                return TypeCheck(eb, ConditionalReceiver());
            case ElementAccessExpressionSyntax ea:
                var collection = Eval(ea.Expression);
                EvalArguments(ea.ArgumentList.Arguments);
                return TypeCheck(ea, collection);
            case InvocationExpressionSyntax inv:
                return EvalInvocation(inv);
            case BaseObjectCreationExpressionSyntax oc:
                return EvalCreation(oc);
            case AnonymousObjectCreationExpressionSyntax ao:
                return ao.Initializers.Aggregate(Empty, (t, i) => TaintSet.Union(t, Eval(i.Expression)));
            case ArrayCreationExpressionSyntax ac:
                return Eval(ac.Initializer);
            case ImplicitArrayCreationExpressionSyntax iac:
                return Eval(iac.Initializer);
            case InitializerExpressionSyntax init:
                return init.Expressions.Aggregate(Empty, (t, x) => TaintSet.Union(t, Eval(x)));
            case CollectionExpressionSyntax ce:
                return ce.Elements.Aggregate(Empty, (t, x) => TaintSet.Union(t, x switch
                {
                    ExpressionElementSyntax ee => Eval(ee.Expression),
                    SpreadElementSyntax se => Eval(se.Expression),
                    _ => Empty,
                }));
            case TupleExpressionSyntax tuple:
                return tuple.Arguments.Aggregate(Empty, (t, a) => TaintSet.Union(t, Eval(a.Expression)));
            case AnonymousFunctionExpressionSyntax f:
                return EvalFunction(f, Empty);
            case SwitchExpressionSyntax sw:
                var governing = Eval(sw.GoverningExpression);
                var arms = Empty;
                foreach (var arm in sw.Arms)
                {
                    BindPattern(arm.Pattern, governing);
                    Eval(arm.WhenClause?.Condition);
                    var facts = CaseFacts(sw.GoverningExpression, arm.Pattern, arm.WhenClause);
                    arms = TaintSet.Union(arms, facts.Count == 0 ? Eval(arm.Expression) : EvalWith(facts, arm.Expression));
                }

                return arms;
            case IsPatternExpressionSyntax ip:
                BindPattern(ip.Pattern, Eval(ip.Expression));
                return Empty;
            case QueryExpressionSyntax q:
                return EvalQuery(q);
            case WithExpressionSyntax w:
                return TaintSet.Union(Eval(w.Expression), Eval(w.Initializer));
            case CheckedExpressionSyntax ch:
                return Eval(ch.Expression);
            case RefExpressionSyntax re:
                return Eval(re.Expression);
            case ThrowExpressionSyntax te:
                Eval(te.Expression);
                return Empty;
            case DeclarationExpressionSyntax:
                return Empty;
            default:
                return Empty;
        }
    }

    private TaintSet ConditionalReceiver() => _conditionalReceivers.Count > 0 ? _conditionalReceivers.Peek() : Empty;

    private TaintSet Lookup(IdentifierNameSyntax id)
    {
        var name = id.Identifier.ValueText;
        if (_env.TryGetValue(name, out var local))
        {
            return local;
        }

        return ReadMember(id, name);
    }

    /// <summary>
    /// A field or property of the analysed object: request data stored in it, and in a summary, the receiver's taint,
    /// unless the member is one the object only ever sets itself (<see cref="TaintEngine.IsSelfSet"/>).
    /// </summary>
    private TaintSet ReadMember(ExpressionSyntax node, string name)
    {
        var field = _engine.ReadField(_typeKey, name);
        if (!_receiver.IsEmpty && _engine.IsInstanceMember(_typeKey, name)
            && !(Model.GetSymbolInfo(node, _engine.CancellationToken).Symbol is { } member && _engine.IsSelfSet(member)))
        {
            field = TypeCheck(node, TaintSet.Union(field, _receiver));
        }

        return field.IsEmpty ? field : field.WithStep(node.GetLocation(), $"read from '{name}'");
    }

    /// <summary>Drops taint from a value whose type cannot carry an injection (a number, Guid, date, bool, enum).</summary>
    private TaintSet TypeCheck(ExpressionSyntax node, TaintSet taint)
    {
        if (taint.IsEmpty)
        {
            return taint;
        }

        return TaintEngine.IsCleanType(Model.GetTypeInfo(node, _engine.CancellationToken).Type) ? Empty : taint;
    }

    private TaintSet EvalBinary(BinaryExpressionSyntax b)
    {
        switch (b.Kind())
        {
            case SyntaxKind.AddExpression:
                // a + b + c + ... nests to the left: walk the chain with a loop, not with recursion.
                var rights = new Stack<ExpressionSyntax>();
                ExpressionSyntax left = b;
                while (left is BinaryExpressionSyntax chain && chain.IsKind(SyntaxKind.AddExpression))
                {
                    rights.Push(chain.Right);
                    left = chain.Left;
                }

                var sum = Eval(left);
                while (rights.Count > 0)
                {
                    sum = TaintSet.Union(sum, Eval(rights.Pop()));
                }

                return sum.WithStep(b.GetLocation(), "concatenated into a string");
            case SyntaxKind.CoalesceExpression:
                return TaintSet.Union(Eval(b.Left), Eval(b.Right));
            case SyntaxKind.AsExpression:
                return Eval(b.Left);
            default:
                // Comparisons, logic and arithmetic produce no text; their operands may still have effects (out variables).
                Eval(b.Left);
                Eval(b.Right);
                return Empty;
        }
    }

    private TaintSet EvalAssignment(AssignmentExpressionSyntax a)
    {
        var value = Eval(a.Right);
        if (a.IsKind(SyntaxKind.AddAssignmentExpression) || a.IsKind(SyntaxKind.CoalesceAssignmentExpression))
        {
            var current = Eval(a.Left);
            value = TaintSet.Union(current, value);
            if (a.IsKind(SyntaxKind.AddAssignmentExpression) && !value.IsEmpty)
            {
                value = value.WithStep(a.GetLocation(), "concatenated into a string");
            }
        }
        else if (!a.IsKind(SyntaxKind.SimpleAssignmentExpression))
        {
            // Arithmetic compound assignments produce numbers.
            return Empty;
        }

        AssignTo(a.Left, value);
        return value;
    }

    private void AssignTo(ExpressionSyntax target, TaintSet value)
    {
        switch (target)
        {
            case IdentifierNameSyntax id:
                var name = id.Identifier.ValueText;
                _lookups?.Remove(name);
                if (_env.ContainsKey(name))
                {
                    AssignLocal(name, value, id.GetLocation());
                }
                else
                {
                    var stepped = value.IsEmpty ? value : value.WithStep(id.GetLocation(), $"assigned to '{name}'");
                    if (!value.IsEmpty)
                    {
                        CheckMemberSink(id, value, null);
                    }

                    _engine.StoreField(_typeKey, name, stepped);
                }

                break;
            case MemberAccessExpressionSyntax m:
                if (!value.IsEmpty)
                {
                    CheckMemberSink(m, value, m.Expression);
                }

                StoreInto(m, value);
                break;
            case ElementAccessExpressionSyntax ea:
                EvalArguments(ea.ArgumentList.Arguments);
                if (!value.IsEmpty)
                {
                    CheckMemberSink(ea, value, ea.Expression);
                }

                StoreInto(ea.Expression, value);
                break;
            case TupleExpressionSyntax tuple:
                foreach (var arg in tuple.Arguments)
                {
                    AssignTo(arg.Expression, value);
                }

                break;
            case DeclarationExpressionSyntax d:
                BindDesignation(d.Designation, TaintEngine.IsCleanTypeSyntax(d.Type) ? Empty : value);
                break;
        }
    }

    /// <summary>Data stored into a member of an object taints the object (field-insensitive), and the member path itself.</summary>
    private void StoreInto(ExpressionSyntax target, TaintSet value)
    {
        var key = PathKey(target);
        if (key is null)
        {
            if (target is MemberAccessExpressionSyntax or ElementAccessExpressionSyntax)
            {
                StoreInto(target is MemberAccessExpressionSyntax m ? m.Expression : ((ElementAccessExpressionSyntax)target).Expression, value);
            }

            return;
        }

        var dot = key.IndexOf('.', StringComparison.Ordinal);
        var root = dot < 0 ? key : key[..dot];
        if (target is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
        {
            _engine.StoreField(_typeKey, key, value.WithStep(target.GetLocation(), $"stored in '{key}'"));
            return;
        }

        if (_env.ContainsKey(root))
        {
            if (dot >= 0)
            {
                _env[key] = value;
                var next = key.IndexOf('.', dot + 1);
                _returnedMembers?.Stored(root, next < 0 ? key[(dot + 1)..] : key[(dot + 1)..next], value);
            }
            else
            {
                // An element stored into the object itself (local[i] = value) may be any member.
                _returnedMembers?.Assigned(root, value);
            }
        }

        if (value.IsEmpty)
        {
            return;
        }

        var stepped = value.WithStep(target.GetLocation(), $"stored in '{key}'");
        if (_env.TryGetValue(root, out var current))
        {
            _env[root] = TaintSet.Union(current, stepped);
        }
        else
        {
            _engine.StoreField(_typeKey, root, stepped);
        }
    }

    private void BindDesignation(VariableDesignationSyntax designation, TaintSet value)
    {
        foreach (var single in designation.DescendantNodesAndSelf().OfType<SingleVariableDesignationSyntax>())
        {
            var name = single.Identifier.ValueText;
            _env[name] = value.IsEmpty ? value : value.WithStep(single.GetLocation(), $"assigned to '{name}'");
            _returnedMembers?.Assigned(name, _env[name]);
        }
    }

    private void BindPattern(PatternSyntax pattern, TaintSet value)
    {
        foreach (var node in pattern.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case DeclarationPatternSyntax d:
                    BindDesignation(d.Designation, TaintEngine.IsCleanTypeSyntax(d.Type) ? Empty : value);
                    break;
                case VarPatternSyntax v:
                    BindDesignation(v.Designation, value);
                    break;
                case RecursivePatternSyntax { Designation: { } rd }:
                    BindDesignation(rd, value);
                    break;
            }
        }
    }

    private TaintSet EvalMemberAccess(MemberAccessExpressionSyntax m)
    {
        var name = m.Name.Identifier.ValueText;
        var key = PathKey(m);
        if (key is not null && _env.TryGetValue(key, out var exact))
        {
            return exact;
        }

        if (m.Expression is ThisExpressionSyntax)
        {
            return ReadMember(m, name);
        }

        if (_engine.Model.SourcesByName.TryGetValue(name, out var sources) && sources.Exists(s => s.MayMatch(m)) && MatchSource(m) is { } source)
        {
            return source;
        }

        var receiver = Eval(m.Expression);
        return TypeCheck(m, receiver);
    }

    private TaintSet? MatchSource(MemberAccessExpressionSyntax m)
    {
        if (_engine.SourceRead(m, Model.GetSymbolInfo(m, _engine.CancellationToken).Symbol) is { } source)
        {
            var label = source.Label ?? m.Name.Identifier.ValueText;
            SyntaxNode at = m;
            // Name the key when it is a literal: Request.Query["id"], Request.Query.TryGetValue("id", out var v).
            var lookup = m.Parent switch
            {
                ElementAccessExpressionSyntax ea when ea.Expression == m => (Node: (SyntaxNode)ea, Args: ea.ArgumentList.Arguments),
                MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax call } get when get.Expression == m => (Node: call, Args: call.ArgumentList.Arguments),
                _ => (Node: null, Args: default),
            };
            if (lookup.Node is not null && lookup.Args.Count >= 1
                && lookup.Args[0].Expression is LiteralExpressionSyntax key && key.IsKind(SyntaxKind.StringLiteralExpression))
            {
                label += $" '{key.Token.ValueText}'";
                at = lookup.Node;
            }

            return TaintSet.Of(new Origin(label, -1, FlowStepNode.Append(null, at.GetLocation(), $"untrusted data from {label}"), 0));
        }

        return null;
    }

    private TaintSet[] EvalArguments(SeparatedSyntaxList<ArgumentSyntax> args)
    {
        var taints = new TaintSet[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            taints[i] = args[i].RefKindKeyword.IsKind(SyntaxKind.OutKeyword) ? Empty : Eval(args[i].Expression);
        }

        return taints;
    }

    private TaintSet EvalFunction(AnonymousFunctionExpressionSyntax function, TaintSet parameterValue)
    {
        if (_inlineDepth >= MaxInlineDepth)
        {
            return Empty;
        }

        var parameters = ParametersOf(function);
        return Inline(parameters, parameters.Select(_ => parameterValue).ToList(), () => ExecBlockOrExpression(function.Block, function.ExpressionBody));
    }

    /// <summary>Runs a lambda or local function body where it is used, with its captured variables and its own parameters.</summary>
    private TaintSet Inline(SeparatedSyntaxList<ParameterSyntax> parameters, List<TaintSet> values, Action run)
    {
        var saved = new List<(string Name, TaintSet? Value)>();
        for (var i = 0; i < parameters.Count; i++)
        {
            var name = parameters[i].Identifier.ValueText;
            saved.Add((name, _env.TryGetValue(name, out var old) ? old : null));
            _env[name] = i < values.Count && !values[i].IsEmpty && !IsCleanParameter(parameters[i]) ? values[i] : Empty;
        }

        var outerReturns = _returns;
        _returns = Empty;
        _inlineDepth++;
        try
        {
            run();
            return _returns;
        }
        finally
        {
            _returns = outerReturns;
            _inlineDepth--;
            foreach (var (name, value) in saved)
            {
                if (value is null)
                {
                    _env.Remove(name);
                }
                else
                {
                    _env[name] = value;
                }
            }
        }
    }

    /// <summary>A parameter that can carry no injection, by its declared type or, for <c>(item, ct) =&gt;</c>, the inferred one.</summary>
    private bool IsCleanParameter(ParameterSyntax parameter) =>
        parameter.Type is null
            ? TaintEngine.IsCleanType(Model.GetDeclaredSymbol(parameter, _engine.CancellationToken)?.Type)
            : TaintEngine.IsCleanTypeSyntax(parameter.Type);

    private TaintSet EvalQuery(QueryExpressionSyntax query)
    {
        _env[query.FromClause.Identifier.ValueText] = Eval(query.FromClause.Expression);
        var result = Empty;
        for (var body = query.Body; body is not null; body = body.Continuation?.Body)
        {
            foreach (var clause in body.Clauses)
            {
                switch (clause)
                {
                    case FromClauseSyntax f:
                        _env[f.Identifier.ValueText] = Eval(f.Expression);
                        break;
                    case LetClauseSyntax l:
                        _env[l.Identifier.ValueText] = Eval(l.Expression);
                        break;
                    case JoinClauseSyntax j:
                        _env[j.Identifier.ValueText] = Eval(j.InExpression);
                        break;
                    case WhereClauseSyntax w:
                        Eval(w.Condition);
                        break;
                }
            }

            result = body.SelectOrGroup switch
            {
                SelectClauseSyntax s => Eval(s.Expression),
                GroupClauseSyntax g => TaintSet.Union(Eval(g.GroupExpression), Eval(g.ByExpression)),
                _ => Empty,
            };
            if (body.Continuation is { } c)
            {
                _env[c.Identifier.ValueText] = result;
            }
        }

        return result;
    }
}
