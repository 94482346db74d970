using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>Calls, object creations and member writes: sinks, sanitisers, mutators and summaries.</summary>
internal sealed partial class MethodAnalysis
{
    private TaintSet EvalInvocation(InvocationExpressionSyntax inv)
    {
        var name = TaintEngine.InvokedName(inv);
        if (name == "nameof" && inv.Expression is IdentifierNameSyntax)
        {
            return Empty;
        }

        var receiverExpr = (inv.Expression as MemberAccessExpressionSyntax)?.Expression;
        TaintSet receiver;
        if (inv.Expression is MemberBindingExpressionSyntax)
        {
            receiver = ConditionalReceiver();
        }
        else if (receiverExpr is not null)
        {
            receiver = Eval(receiverExpr);
        }
        else if (inv.Expression is IdentifierNameSyntax local && name is not null)
        {
            if (LocalFunction(name) is { } function)
            {
                return InlineLocalFunction(function, inv);
            }

            // A delegate held in a local carries what its lambda returned.
            receiver = _env.GetValueOrDefault(local.Identifier.ValueText) ?? Empty;
        }
        else
        {
            receiver = name is null ? Eval(inv.Expression) : Empty;
        }

        var args = inv.ArgumentList.Arguments;
        var argTaints = new TaintSet[args.Count];
        var outs = new List<ExpressionSyntax>();
        for (var i = 0; i < args.Count; i++)
        {
            argTaints[i] = Empty;
            var arg = args[i];
            if (arg.Expression is AnonymousFunctionExpressionSyntax)
            {
                continue;
            }

            if (arg.RefKindKeyword.IsKind(SyntaxKind.OutKeyword) || arg.RefKindKeyword.IsKind(SyntaxKind.RefKeyword))
            {
                outs.Add(arg.Expression);
                if (arg.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
                {
                    continue;
                }
            }

            argTaints[i] = Eval(arg.Expression);
        }

        // Lambdas run with their parameter bound to the elements of the receiver (xs.Select(x => ...)) or of the first argument.
        // A route handler (group.MapPost("/x", (HttpContext context, CancellationToken ct) => ...)) is not: the framework
        // binds its parameters from the request, which its own root follows, never from the builder it is registered on,
        // and what it returns goes to the response, not into the builder. Run here, it only sees what it captures.
        var routeHandler = name is not null && _engine.Model.RouteHandlers.Contains(name);
        var elements = routeHandler ? Empty
            : receiverExpr is not null || inv.Expression is MemberBindingExpressionSyntax ? receiver : argTaints.FirstOrDefault() ?? Empty;
        var lambdaResults = Empty;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].Expression is AnonymousFunctionExpressionSyntax function)
            {
                var returned = EvalFunction(function, elements);
                lambdaResults = routeHandler ? lambdaResults : TaintSet.Union(lambdaResults, returned);
            }
        }

        var inputs = argTaints.Aggregate(TaintSet.Union(receiver, lambdaResults), TaintSet.Union);
        if (name is null)
        {
            return inputs;
        }

        var call = new Call(this, inv, name, receiverExpr);
        TaintSet result;
        if (!inputs.IsEmpty && Sanitize(call, inputs) is { } sanitized)
        {
            // A sanitiser makes its result safe, not what it does with its arguments: a validator in source that
            // logs the request it checks is still followed into for that.
            if (_engine.IsSourceMethodName(name) && call.Symbol is { } method)
            {
                ApplySummary(inv, method, args, argTaints, receiver, receiverExpr);
            }

            result = sanitized;
        }
        else
        {
            if (!inputs.IsEmpty)
            {
                CheckCallSinks(call, args, argTaints);
            }

            result = null!;
            if (_engine.IsSourceMethodName(name) && (!inputs.IsEmpty || _engine.MayReturnSource(name)) && call.Symbol is { } method)
            {
                result = ApplySummary(inv, method, args, argTaints, receiver, receiverExpr)!;
            }

            result ??= inputs.IsEmpty ? inputs : inputs.WithStep(inv.GetLocation(), $"passed through '{name}'");
        }

        // Out arguments receive what the call was given (dict.TryGetValue(k, out v), Uri.TryCreate(s, kind, out u)),
        // even when the call itself returns only a bool.
        var written = result;
        result = TypeCheck(inv, result);
        if (!inputs.IsEmpty && receiverExpr is not null && _engine.Model.Mutators.Contains(name))
        {
            var added = argTaints.Aggregate(lambdaResults, TaintSet.Union);
            // Fluent calls mutate the first receiver: sb.Append("a").Append(name) adds to sb.
            var target = receiverExpr;
            while (target is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax fluent } && _engine.Model.Mutators.Contains(fluent.Name.Identifier.ValueText))
            {
                target = fluent.Expression;
            }

            if (!added.IsEmpty)
            {
                StoreInto(target, added.WithStep(inv.GetLocation(), $"added to '{target}'"));
            }
        }

        foreach (var target in outs)
        {
            var value = target is DeclarationExpressionSyntax || target is IdentifierNameSyntax ? TypeCheck(target, written) : written;
            AssignTo(target, value);
        }

        return result;
    }

    private LocalFunctionStatementSyntax? LocalFunction(string name)
    {
        if (_localFunctions is null)
        {
            _localFunctions = new Dictionary<string, LocalFunctionStatementSyntax>(StringComparer.Ordinal);
            foreach (var f in _body.DescendantNodes().OfType<LocalFunctionStatementSyntax>())
            {
                _localFunctions.TryAdd(f.Identifier.ValueText, f);
            }
        }

        return _localFunctions.GetValueOrDefault(name);
    }

    private TaintSet InlineLocalFunction(LocalFunctionStatementSyntax function, InvocationExpressionSyntax inv)
    {
        var values = inv.ArgumentList.Arguments.Select(a => Eval(a.Expression)).ToList();
        if (_inlineDepth >= MaxInlineDepth || !_inlining.Add(function))
        {
            return values.Aggregate(Empty, TaintSet.Union);
        }

        var parameters = function.ParameterList.Parameters;
        var narrowed = new List<IParameterSymbol>();
        for (var i = 0; i < parameters.Count && i < inv.ArgumentList.Arguments.Count; i++)
        {
            if (Model.GetDeclaredSymbol(parameters[i], _engine.CancellationToken) is { IsParams: false } parameter && !Reassigned(function, parameter.Name))
            {
                _inlinedArgumentTypes[parameter] = KnownType(inv.ArgumentList.Arguments[i].Expression);
                narrowed.Add(parameter);
            }
        }

        try
        {
            var callee = function.Identifier.ValueText;
            var passed = values.Select((v, i) => v.IsEmpty || i >= parameters.Count ? v
                : v.WithStep(inv.ArgumentList.Arguments[i].GetLocation(), $"passed to parameter '{parameters[i].Identifier.ValueText}' of '{callee}'")).ToList();
            var returned = Inline(parameters, passed, () => ExecBlockOrExpression(function.Body, function.ExpressionBody?.Expression));
            return returned.IsEmpty ? returned : TypeCheck(inv, returned.WithStep(inv.GetLocation(), $"returned from '{callee}'"));
        }
        finally
        {
            _inlining.Remove(function);
            narrowed.ForEach(p => _inlinedArgumentTypes.Remove(p));
        }
    }

    /// <summary>A call being analysed; binds its symbol at most once, and only when asked.</summary>
    private sealed class Call(MethodAnalysis owner, InvocationExpressionSyntax node, string name, ExpressionSyntax? receiver)
    {
        private bool _bound;
        private IMethodSymbol? _symbol;
        private bool _unresolved;

        public InvocationExpressionSyntax Node { get; } = node;

        public string Name { get; } = name;

        public ExpressionSyntax? Receiver { get; } = receiver;

        public IMethodSymbol? Symbol
        {
            get
            {
                Resolve();
                return _symbol;
            }
        }

        /// <summary>No symbol and no candidate: the member comes from a reference that is not available.</summary>
        public bool Unresolved
        {
            get
            {
                Resolve();
                return _unresolved;
            }
        }

        public ITypeSymbol? ReceiverType => Receiver is null ? null : owner.Model.GetTypeInfo(Receiver, owner._engine.CancellationToken).Type;

        private void Resolve()
        {
            if (!_bound)
            {
                _bound = true;
                _symbol = owner.Bind(Node, out _unresolved);
            }
        }
    }

    private IMethodSymbol? Bind(ExpressionSyntax node, out bool unresolved)
    {
        var info = Model.GetSymbolInfo(node, _engine.CancellationToken);
        unresolved = info.Symbol is null && info.CandidateSymbols.IsEmpty;
        if (info.Symbol is IMethodSymbol method)
        {
            return method;
        }

        // Overload resolution failed (a wrong argument, a type that did not bind): take the candidate that fits the
        // call best, by named arguments and then by argument count.
        var args = node switch
        {
            InvocationExpressionSyntax i => i.ArgumentList.Arguments,
            BaseObjectCreationExpressionSyntax c when c.ArgumentList is not null => c.ArgumentList.Arguments,
            _ => default,
        };
        return info.CandidateSymbols.OfType<IMethodSymbol>()
            .OrderBy(m => args.Count(a => a.NameColon is { } n && !m.Parameters.Any(p => p.Name == n.Name.Identifier.ValueText)))
            .ThenBy(m => Math.Abs(m.Parameters.Length - args.Count))
            .FirstOrDefault();
    }

    /// <summary>The result of a sanitiser call, or null when the call is not one.</summary>
    private TaintSet? Sanitize(Call call, TaintSet inputs)
    {
        if (!_engine.Model.SanitizersByName.TryGetValue(call.Name, out var sanitizers))
        {
            return null;
        }

        ulong kinds = 0;
        foreach (var sanitizer in sanitizers)
        {
            var symbol = call.Symbol;
            var matches = symbol is not null
                ? _engine.TypeMatches(symbol.ContainingType, sanitizer.TypeName) || _engine.TypeMatches(call.ReceiverType, sanitizer.TypeName)
                : call.Unresolved && _engine.NamesOnlyApplies(sanitizer, call.Node, call.Receiver);
            if (matches && ArgumentConditionHolds(sanitizer, call.Node, call.Node.ArgumentList.Arguments, symbol))
            {
                kinds |= sanitizer.Kinds;
            }
        }

        return kinds == 0 ? null : inputs.Sanitize(kinds).WithStep(call.Node.GetLocation(), $"sanitised by '{call.Name}'");
    }

    private void CheckCallSinks(Call call, SeparatedSyntaxList<ArgumentSyntax> args, TaintSet[] argTaints)
    {
        var model = _engine.Model;
        var candidates = model.SinksByName.GetValueOrDefault(call.Name);
        if (call.Receiver is not null && TaintEngine.LastIdentifier(call.Receiver) is { } receiverName
            && model.SinksByName.TryGetValue(TaintModel.WildcardKey(receiverName), out var wildcard))
        {
            candidates = candidates is null ? wildcard : [.. candidates, .. wildcard];
        }

        if (candidates is null || argTaints.All(t => t.IsEmpty))
        {
            return;
        }

        var symbol = call.Symbol;
        foreach (var sink in candidates)
        {
            var pattern = sink.Pattern;
            if (symbol is not null)
            {
                if (!pattern.HasMember(symbol.Name)
                    || !(_engine.TypeMatches(symbol.ContainingType, pattern.TypeName) || _engine.TypeMatches(call.ReceiverType, pattern.TypeName))
                    || !ArgumentConditionHolds(pattern, call.Node, args, symbol))
                {
                    continue;
                }

                for (var i = 0; i < args.Count; i++)
                {
                    var parameter = ParameterFor(symbol, args[i], i);
                    if (!argTaints[i].IsEmpty && pattern.WatchesArgument(Position(symbol, parameter, i), parameter?.Name) && ParameterTypeHolds(pattern, parameter, args[i]) is { Holds: true } type)
                    {
                        Hit(sink, call.Node, args[i].Expression, argTaints[i], $"{symbol.ContainingType.Name}.{symbol.Name}", namesOnly: false, type.Doubt);
                    }
                }
            }
            else if (call.Unresolved && _engine.NamesOnlyApplies(pattern, call.Node, call.Receiver) && ArgumentConditionHolds(pattern, call.Node, args, null))
            {
                for (var i = 0; i < args.Count; i++)
                {
                    if (!argTaints[i].IsEmpty && NamesOnlyWatches(pattern, call.Name, i, args) && ParameterTypeHolds(pattern, null, args[i]) is { Holds: true } type)
                    {
                        Hit(sink, call.Node, args[i].Expression, argTaints[i], $"{pattern.TypeSimpleName}.{call.Name}", namesOnly: true, type.Doubt);
                    }
                }
            }
        }
    }

    private TaintSet EvalCreation(BaseObjectCreationExpressionSyntax creation)
    {
        var args = creation.ArgumentList?.Arguments ?? default;
        var argTaints = EvalArguments(args);
        var type = (creation as ObjectCreationExpressionSyntax)?.Type;
        var all = argTaints.Aggregate(Empty, TaintSet.Union);
        if (creation.Initializer is { } initializer)
        {
            foreach (var expression in initializer.Expressions)
            {
                if (expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax member } assignment)
                {
                    var value = Eval(assignment.Right);
                    if (!value.IsEmpty)
                    {
                        CheckMemberSink(member, value, type);
                    }

                    all = TaintSet.Union(all, value);
                }
                else
                {
                    all = TaintSet.Union(all, Eval(expression is AssignmentExpressionSyntax other ? other.Right : expression));
                }
            }
        }

        if (!argTaints.All(t => t.IsEmpty))
        {
            CheckCreationSinks(creation, type, args, argTaints);
        }

        return TypeCheck(creation, all);
    }

    private void CheckCreationSinks(BaseObjectCreationExpressionSyntax creation, TypeSyntax? type, SeparatedSyntaxList<ArgumentSyntax> args, TaintSet[] argTaints)
    {
        var typeName = type is null ? null : TaintEngine.LastIdentifier(type);
        var symbol = Bind(creation, out var unresolved);
        typeName ??= symbol?.ContainingType.Name;
        if (typeName is null || !_engine.Model.SinksByName.TryGetValue(typeName, out var candidates))
        {
            return;
        }

        foreach (var sink in candidates)
        {
            var pattern = sink.Pattern;
            if (!pattern.HasMember(".ctor"))
            {
                continue;
            }

            var namesOnly = symbol is null;
            if (namesOnly ? !(unresolved && _engine.NamesOnlyApplies(pattern, creation, type)) : !_engine.TypeMatches(symbol!.ContainingType, pattern.TypeName))
            {
                continue;
            }

            if (!ArgumentConditionHolds(pattern, creation, args, symbol))
            {
                continue;
            }

            for (var i = 0; i < args.Count; i++)
            {
                var parameter = symbol is null ? null : ParameterFor(symbol, args[i], i);
                if (!argTaints[i].IsEmpty && (namesOnly ? NamesOnlyWatches(pattern, ".ctor", i, args) : pattern.WatchesArgument(parameter?.Ordinal ?? i, parameter?.Name))
                    && ParameterTypeHolds(pattern, parameter, args[i]) is { Holds: true } condition)
                {
                    Hit(sink, creation, args[i].Expression, argTaints[i], $"new {typeName}(...)", namesOnly, condition.Doubt);
                }
            }
        }
    }

    /// <summary>A tainted value written to a property or indexer (<c>cmd.CommandText = ...</c>, <c>Headers["X"] = ...</c>).</summary>
    private void CheckMemberSink(ExpressionSyntax target, TaintSet value, SyntaxNode? receiverOrType)
    {
        var name = target switch
        {
            ElementAccessExpressionSyntax => "this[]",
            MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
            IdentifierNameSyntax id => id.Identifier.ValueText,
            _ => null,
        };
        if (name is null || !_engine.Model.SinksByName.TryGetValue(name, out var candidates))
        {
            return;
        }

        var info = Model.GetSymbolInfo(target, _engine.CancellationToken);
        var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
        var unresolved = symbol is null && info.CandidateSymbols.IsEmpty;
        var valueNode = target.Parent is AssignmentExpressionSyntax a ? a.Right : target;
        foreach (var sink in candidates)
        {
            var pattern = sink.Pattern;
            if (symbol is IPropertySymbol or IFieldSymbol)
            {
                var memberName = symbol is IPropertySymbol { IsIndexer: true } ? "this[]" : symbol.Name;
                if (pattern.HasMember(memberName) && _engine.TypeMatches(symbol.ContainingType, pattern.TypeName) && ContextHolds(pattern, target))
                {
                    Hit(sink, target.Parent ?? target, valueNode, value, $"{symbol.ContainingType.Name}.{memberName}", namesOnly: false);
                }
            }
            else if (unresolved && pattern.HasMember(name) && _engine.NamesOnlyApplies(pattern, target, receiverOrType) && ContextHolds(pattern, target))
            {
                Hit(sink, target.Parent ?? target, valueNode, value, $"{pattern.TypeSimpleName}.{name}", namesOnly: true);
            }
        }
    }

    /// <summary>
    /// For a call that did not bind: whether argument <paramref name="position"/> is one the sink watches. When the
    /// sink's type is in the compilation (only a <c>using</c> was missing, as with implicit usings), the overloads
    /// decide: <c>new StreamReader(stream)</c> is not <c>new StreamReader(path)</c>. When the type is not (a package
    /// that is not referenced), positions given by the rule decide.
    /// </summary>
    private bool NamesOnlyWatches(MemberPattern pattern, string member, int position, SeparatedSyntaxList<ArgumentSyntax> args)
    {
        if (pattern.Parameters.Count == 0 || pattern.TypeName is null
            || Model.Compilation.GetTypeByMetadataName(pattern.TypeName) is not { } type)
        {
            return pattern.WatchesArgument(position, null);
        }

        var argumentType = Model.GetTypeInfo(args[position].Expression, _engine.CancellationToken).Type;
        var overloads = member == ".ctor" ? type.InstanceConstructors : type.GetMembers(member).OfType<IMethodSymbol>();
        foreach (var overload in overloads)
        {
            var index = overload.IsExtensionMethod ? position + 1 : position;
            var parameters = overload.Parameters;
            var parameter = index < parameters.Length ? parameters[index] : parameters.LastOrDefault() is { IsParams: true } last ? last : null;
            if (parameter is null || args.Count + (overload.IsExtensionMethod ? 1 : 0) > parameters.Length && !parameters[^1].IsParams || !pattern.Parameters.Contains(parameter.Name))
            {
                continue;
            }

            if (argumentType is null || argumentType.TypeKind == TypeKind.Error || Model.Compilation.ClassifyCommonConversion(argumentType, parameter.Type).IsImplicit)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A sink's <c>parameterTypes</c> condition: the parameter the argument binds to has one of the listed types. When
    /// the call did not bind, the argument's own type stands in for it (an interpolated string literal counting as
    /// <c>FormattableString</c>, which is how C# passes it to an overload that takes one); an argument whose type is
    /// unknown too keeps the sink, as names-only matching does everywhere. With <c>parameterTypesSince</c>, a project
    /// on an earlier version of the package has the sink whatever the type (EF Core 2.0's only <c>FromSql</c> takes a
    /// string); a project whose version is not known, calling what does not bind, has it for an interpolated literal
    /// too, with <see cref="TypeCondition.Doubt"/> saying why the result is of low confidence.
    /// </summary>
    private TypeCondition ParameterTypeHolds(MemberPattern pattern, IParameterSymbol? parameter, ArgumentSyntax argument)
    {
        if (pattern.ParameterTypes.Count == 0)
        {
            return TypeCondition.Yes;
        }

        // On a version before the overloads were told apart the bound parameter says nothing (the cache may hold a
        // newer assembly than the project runs): the argument's own type decides, as if only the string overload existed.
        var version = PackageVersion(pattern, argument.SyntaxTree);
        var onlyStringOverload = version is { } known && known.Version < known.Since;
        if (parameter is not null && !onlyStringOverload)
        {
            return pattern.ParameterTypes.Contains(_engine.FullName(parameter.Type.OriginalDefinition)) ? TypeCondition.Yes : TypeCondition.No;
        }

        var expression = argument.Expression;
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        if (expression is InterpolatedStringExpressionSyntax)
        {
            return onlyStringOverload || pattern.ParameterTypes.Contains("System.FormattableString") ? TypeCondition.Yes
                : pattern.ParameterTypesSince is [var (package, since), ..] && version is null
                    ? new TypeCondition(true, $"low confidence: the version of {package} is not known, and before {since} an interpolated string here is run as written")
                : TypeCondition.No;
        }

        var type = Model.GetTypeInfo(expression, _engine.CancellationToken).Type;
        return type is null || type.TypeKind == TypeKind.Error || pattern.ParameterTypes.Contains(_engine.FullName(type.OriginalDefinition)) ? TypeCondition.Yes : TypeCondition.No;
    }

    /// <summary>The version of the first package of <c>parameterTypesSince</c> the project owning the code has a version of.</summary>
    private (Version Version, Version Since)? PackageVersion(MemberPattern pattern, SyntaxTree tree)
    {
        if (pattern.ParameterTypesSince.Count == 0)
        {
            return null;
        }

        var packages = _engine.PackagesOf(tree);
        foreach (var (package, since) in pattern.ParameterTypesSince)
        {
            if (packages.Of(package) is { } version)
            {
                return (version, since);
            }
        }

        return null;
    }

    /// <summary>Whether a sink's type condition holds, and when it holds only because a version is not known, why.</summary>
    private readonly record struct TypeCondition(bool Holds, string? Doubt)
    {
        public static readonly TypeCondition Yes = new(true, null);
        public static readonly TypeCondition No = new(false, null);
    }

    private static IParameterSymbol? ParameterFor(IMethodSymbol method, ArgumentSyntax argument, int position)
    {
        if (argument.NameColon is { } named)
        {
            return method.Parameters.FirstOrDefault(p => p.Name == named.Name.Identifier.ValueText);
        }

        if (position < method.Parameters.Length)
        {
            return method.Parameters[position];
        }

        return method.Parameters.LastOrDefault() is { IsParams: true } last ? last : null;
    }

    /// <summary>An argument's position as written in an instance-style call: an extension method's receiver is not counted.</summary>
    private static int Position(IMethodSymbol method, IParameterSymbol? parameter, int position)
    {
        if (parameter is null)
        {
            return position;
        }

        return method.IsExtensionMethod && method.MethodKind != MethodKind.ReducedExtension ? parameter.Ordinal - 1 : parameter.Ordinal;
    }

    private bool ContextHolds(MemberPattern pattern, SyntaxNode node) => pattern.Context is null || _engine.ContextMatches(node, pattern.Context);

    /// <summary>The sink's extra conditions: the containing type's text, and a constant argument (the content type is HTML).</summary>
    private bool ArgumentConditionHolds(MemberPattern pattern, SyntaxNode node, SeparatedSyntaxList<ArgumentSyntax> args, IMethodSymbol? symbol)
    {
        if (!ContextHolds(pattern, node))
        {
            return false;
        }

        if (pattern.WhenArgument is not { } condition || pattern.WhenArgumentRegex is null)
        {
            return true;
        }

        for (var i = 0; i < args.Count; i++)
        {
            var parameter = symbol is null ? null : ParameterFor(symbol, args[i], i);
            var position = symbol is null ? i : Position(symbol, parameter, i);
            if ((condition.Parameter is not null && parameter?.Name == condition.Parameter) || condition.Index == position)
            {
                return Model.GetConstantValue(args[i].Expression, _engine.CancellationToken) is { HasValue: true, Value: string text }
                    && pattern.WhenArgumentRegex.IsMatch(text);
            }
        }

        return false;
    }

    private void Hit(TaintSink sink, SyntaxNode node, ExpressionSyntax argument, TaintSet taint, string description, bool namesOnly, string? doubt = null)
    {
        if (!taint.Reaches(sink.KindBit) || (sink.Pattern.AllowFixedHost && TaintEngine.HasFixedHost(argument, _body)))
        {
            return;
        }

        var hit = new SinkHit(sink, node.GetLocation(), argument.GetLocation(), description, Signature(node), Normalize(node.ToString()), namesOnly, doubt);
        foreach (var origin in taint.Origins)
        {
            if ((origin.Sanitized & sink.KindBit) == 0)
            {
                Deliver(hit, origin);
            }
        }
    }

    private void Deliver(SinkHit hit, Origin origin)
    {
        if (origin.IsSource)
        {
            _engine.Report(hit, origin);
        }
        else
        {
            _summary?.ParameterSinks.Add((origin, hit));
        }
    }

    /// <summary>Applies a source method's summary at a call; null when no body of it can be summarised.</summary>
    private TaintSet? ApplySummary(InvocationExpressionSyntax inv, IMethodSymbol method, SeparatedSyntaxList<ArgumentSyntax> args, TaintSet[] argTaints, TaintSet receiver, ExpressionSyntax? receiverExpr)
    {
        var bodies = _engine.Bodies(method);
        if (bodies.Count == 0)
        {
            return null;
        }

        var definition = method.ReducedFrom ?? method;
        var offset = method.MethodKind == MethodKind.ReducedExtension ? 1 : 0;
        var parameterTaints = new TaintSet[definition.Parameters.Length];
        var parameterLocations = new Location[definition.Parameters.Length];
        var parameterExpressions = new ExpressionSyntax?[definition.Parameters.Length];
        if (offset == 1 && receiverExpr is not null && parameterTaints.Length > 0)
        {
            parameterTaints[0] = receiver;
            parameterLocations[0] = receiverExpr.GetLocation();
            parameterExpressions[0] = receiverExpr;
        }

        for (var i = 0; i < args.Count; i++)
        {
            if (ParameterFor(method, args[i], i) is not { } parameter || parameter.Ordinal + offset >= parameterTaints.Length)
            {
                continue;
            }

            var ordinal = parameter.Ordinal + offset;
            parameterTaints[ordinal] = TaintSet.Union(parameterTaints[ordinal] ?? Empty, argTaints[i]);
            parameterLocations[ordinal] ??= args[i].GetLocation();
            parameterExpressions[ordinal] = parameter.IsParams ? null : args[i].Expression;
        }

        var callee = $"{method.ContainingType.Name}.{method.Name}";
        var passedReceiver = offset == 0 && !method.IsStatic ? receiver : Empty;
        var receiverLocation = receiverExpr?.GetLocation() ?? inv.GetLocation();
        IEnumerable<Origin> Through(Origin inner, ImplementationType? dispatchedTo) => inner.Parameter == Origin.Receiver
            ? ThroughReceiver(inner, passedReceiver, receiverExpr, receiverLocation, callee, dispatchedTo)
            : ThroughParameter(inner, parameterTaints, parameterLocations, parameterExpressions, definition, callee);
        TaintSet Returned(TaintSet returns, ImplementationType? dispatchedTo)
        {
            var mapped = Empty;
            foreach (var returned in returns.Origins)
            {
                foreach (var through in returned.IsSource ? [returned] : Through(returned, dispatchedTo))
                {
                    mapped = TaintSet.Union(mapped, TaintSet.Of(through with { Path = FlowStepNode.Append(through.Path, inv.GetLocation(), $"returned from '{callee}'") }));
                }
            }

            return mapped;
        }

        var result = Empty;
        // What each member of the returned object carries, while every body tells its members apart.
        var memberSummaries = new List<ObjectMembers>();
        foreach (var body in bodies)
        {
            // An implementation the receiver's object cannot be is not run (a request string compared through IComparable).
            var dispatchedTo = _engine.DispatchedTo(method, body);
            if (dispatchedTo is not null && receiverExpr is not null && offset == 0 && !dispatchedTo.MayBe(KnownType(receiverExpr)))
            {
                continue;
            }

            var summary = _engine.Summary(body, _callDepth + 1);
            if (summary is null)
            {
                result = argTaints.Aggregate(TaintSet.Union(result, receiver), TaintSet.Union);
                memberSummaries = null;
                continue;
            }

            var returnedTaint = Returned(summary.Returns, dispatchedTo);
            result = TaintSet.Union(result, returnedTaint);
            if (!returnedTaint.IsEmpty)
            {
                if (summary.ReturnMembers is { } members)
                {
                    memberSummaries?.Add(members);
                }
                else
                {
                    memberSummaries = null;
                }
            }

            foreach (var (parameter, hit) in summary.ParameterSinks)
            {
                foreach (var through in Through(parameter, dispatchedTo))
                {
                    if ((through.Sanitized & hit.Sink.KindBit) == 0)
                    {
                        Deliver(hit, through);
                    }
                }
            }
        }

        if (offset == 0 && !method.IsStatic && !receiver.IsEmpty)
        {
            result = TaintSet.Union(result, receiver);
            memberSummaries = null;
        }

        // The members are mapped without the implementing types: a member of a dispatched body's result may carry its receiver's taint.
        return memberSummaries is { Count: > 0 } ? result.WithMembers(MembersOf(memberSummaries, r => Returned(r, null))) : result;
    }

    /// <summary>The members of the object returned by any of the bodies: a member one body does not name carries what its other members do.</summary>
    private static ObjectMembers MembersOf(List<ObjectMembers> bodies, Func<TaintSet, TaintSet> returned)
    {
        var others = bodies.Aggregate(Empty, (all, b) => TaintSet.Union(all, returned(b.Others)));
        var members = new Dictionary<string, TaintSet>(StringComparer.Ordinal);
        foreach (var name in bodies.SelectMany(b => b.Members.Keys).Distinct(StringComparer.Ordinal))
        {
            members[name] = bodies.Aggregate(Empty, (all, b) => TaintSet.Union(all, returned(b.Members.TryGetValue(name, out var t) ? t : b.Others)));
        }

        return new ObjectMembers(members, others);
    }

    /// <summary>
    /// The caller's origins for a callee path that starts at its receiver's fields. When the callee is one
    /// implementation of an interface or abstract member (<paramref name="dispatchedTo"/>) and the receiver is one of
    /// the caller's parameters itself, the taint holds only if that parameter's object can be of the implementing type:
    /// the origin carries the type, checked at the caller's own callers (<see cref="ThroughParameter"/>).
    /// </summary>
    private IEnumerable<Origin> ThroughReceiver(Origin inner, TaintSet receiver, ExpressionSyntax? receiverExpr, Location location, string callee, ImplementationType? dispatchedTo)
    {
        var receiverParameter = dispatchedTo is null ? -1 : ParameterItself(receiverExpr);
        foreach (var outer in receiver.Origins)
        {
            var path = FlowStepNode.Concat(FlowStepNode.Append(outer.Path, location, $"receiver of '{callee}'"), inner.Path);
            var via = !outer.IsSource && outer.Parameter >= 0 && outer.Parameter == receiverParameter ? dispatchedTo : outer.Via;
            yield return outer with { Path = path, Sanitized = outer.Sanitized | inner.Sanitized, Via = via };
        }
    }

    /// <summary>
    /// The caller's origins for a callee path that starts at one of its parameters: none when the path needs that
    /// parameter's object to be of a type (<see cref="Origin.Via"/>) the argument's static type cannot be.
    /// </summary>
    private IEnumerable<Origin> ThroughParameter(Origin inner, TaintSet[] parameterTaints, Location[] locations, ExpressionSyntax?[] expressions, IMethodSymbol definition, string callee)
    {
        if (inner.Parameter < 0 || inner.Parameter >= parameterTaints.Length || parameterTaints[inner.Parameter] is not { IsEmpty: false } passed)
        {
            yield break;
        }

        var argument = expressions[inner.Parameter];
        if (inner.Via is { } required && argument is not null && !required.MayBe(KnownType(argument)))
        {
            yield break;
        }

        var argumentParameter = inner.Via is null ? -1 : ParameterItself(argument);
        var step = $"passed to parameter '{definition.Parameters[inner.Parameter].Name}' of '{callee}'";
        foreach (var outer in passed.Origins)
        {
            var path = FlowStepNode.Concat(FlowStepNode.Append(outer.Path, locations[inner.Parameter], step), inner.Path);
            var via = !outer.IsSource && outer.Parameter >= 0 && outer.Parameter == argumentParameter ? inner.Via : outer.Via;
            yield return outer with { Path = path, Sanitized = outer.Sanitized | inner.Sanitized, Via = via };
        }
    }

    /// <summary>
    /// The position of the parameter of the analysed body that <paramref name="expression"/> is, when it is that
    /// parameter's object itself (its name, never assigned in the body); -1 otherwise. A member of a parameter, a
    /// local or a reassigned parameter may hold another object than the one the caller passed.
    /// </summary>
    private int ParameterItself(ExpressionSyntax? expression)
    {
        if (expression is not IdentifierNameSyntax id || Model.GetSymbolInfo(id, _engine.CancellationToken).Symbol is not IParameterSymbol symbol)
        {
            return -1;
        }

        var parameters = ParametersOf(_body);
        var name = id.Identifier.ValueText;
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Identifier.ValueText == name && symbol.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == _body.SyntaxTree && r.Span == parameters[i].Span))
            {
                return Reassigned(_body, name) ? -1 : i;
            }
        }

        return -1;
    }

    /// <summary>Whether a variable of that name is assigned, or passed by reference, anywhere in <paramref name="body"/>.</summary>
    private static bool Reassigned(SyntaxNode body, string name) => body.DescendantNodes().Any(n =>
        n is AssignmentExpressionSyntax { Left: IdentifierNameSyntax left } && left.Identifier.ValueText == name
        || n is ArgumentSyntax { RefKindKeyword.RawKind: not 0, Expression: IdentifierNameSyntax passed } && passed.Identifier.ValueText == name);

    /// <summary>
    /// The most precise static type known for an expression's object: a parameter of a local function being inlined,
    /// never assigned in it, is of the type of the argument it was called with (a key passed to a
    /// <c>Release(IDisposable)</c> helper is still an <c>ECDsa</c>).
    /// </summary>
    private ITypeSymbol? KnownType(ExpressionSyntax expression) =>
        expression is IdentifierNameSyntax id && Model.GetSymbolInfo(id, _engine.CancellationToken).Symbol is IParameterSymbol parameter
        && _inlinedArgumentTypes.TryGetValue(parameter, out var argumentType)
            ? argumentType
            : Model.GetTypeInfo(expression, _engine.CancellationToken).Type;

    /// <summary>The containing member's signature, from syntax: part of a result's identity that survives line moves.</summary>
    private static string Signature(SyntaxNode node)
    {
        var parts = new List<string>();
        for (var n = node.Parent; n is not null; n = n.Parent)
        {
            switch (n)
            {
                case LocalFunctionStatementSyntax l:
                    parts.Add(l.Identifier.ValueText);
                    break;
                case MethodDeclarationSyntax m:
                    parts.Add($"{TaintEngine.TypeKey(m)}.{m.Identifier.ValueText}({string.Join(",", m.ParameterList.Parameters.Select(p => p.Type?.ToString()))})");
                    return string.Join('/', Enumerable.Reverse(parts));
                case ConstructorDeclarationSyntax c:
                    parts.Add($"{TaintEngine.TypeKey(c)}..ctor({string.Join(",", c.ParameterList.Parameters.Select(p => p.Type?.ToString()))})");
                    return string.Join('/', Enumerable.Reverse(parts));
                case BasePropertyDeclarationSyntax p:
                    parts.Add($"{TaintEngine.TypeKey(p)}.{(p as PropertyDeclarationSyntax)?.Identifier.ValueText ?? "this[]"}");
                    return string.Join('/', Enumerable.Reverse(parts));
            }
        }

        parts.Add("<top-level>");
        return string.Join('/', Enumerable.Reverse(parts));
    }

    private static string Normalize(string text)
    {
        var collapsed = Whitespace().Replace(text, " ");
        return collapsed.Length <= 200 ? collapsed : collapsed[..200];
    }

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
