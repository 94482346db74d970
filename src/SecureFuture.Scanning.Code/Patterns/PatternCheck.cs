using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>
/// Runs every rule of a catalogue whose YAML says <c>pattern: &lt;Name&gt;</c>. Each tree is walked once, by tokens:
/// an identifier whose text is some pattern's trigger goes to that pattern, and only then is anything bound.
/// </summary>
internal sealed class PatternCheck : ICodeCheck
{
    private readonly List<(CodeRule Rule, CodePattern Pattern)> _rules;
    private readonly Dictionary<string, List<(CodeRule Rule, CodePattern Pattern)>> _byTrigger = new(StringComparer.Ordinal);

    public PatternCheck()
        : this(CodeRuleCatalog.Default)
    {
    }

    public PatternCheck(CodeRuleCatalog catalog)
        : this(catalog, PatternCatalog.Find)
    {
    }

    /// <param name="findPattern">The implementation of a pattern name (tests substitute one).</param>
    internal PatternCheck(CodeRuleCatalog catalog, Func<string, CodePattern?> findPattern)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(findPattern);
        _rules = [.. catalog.Rules
            .Where(r => r.Document.Pattern is not null)
            .Select(r => (r, findPattern(r.Document.Pattern!)
                ?? throw new InvalidOperationException($"{r.Source}: pattern {r.Document.Pattern} is not implemented")))];
        foreach (var entry in _rules)
        {
            foreach (var trigger in entry.Pattern.Triggers)
            {
                if (!_byTrigger.TryGetValue(trigger, out var list))
                {
                    _byTrigger[trigger] = list = [];
                }

                list.Add(entry);
            }
        }

        Rules = [.. _rules.Select(r => r.Rule.Descriptor)];
    }

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    public void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        ArgumentNullException.ThrowIfNull(sink);
        if (_rules.Count == 0)
        {
            return;
        }

        var facts = new CompilationFacts(compilation);
        var statistics = new PatternStatistics();
        var failed = new HashSet<CodeRule>();
        foreach (var tree in compilation.Trees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Dictionary<CodeRule, PatternContext>? contexts = null;
            foreach (var token in tree.GetRoot(cancellationToken).DescendantTokens())
            {
                if (!token.IsKind(SyntaxKind.IdentifierToken)
                    || token.Parent is not SimpleNameSyntax name
                    || !_byTrigger.TryGetValue(token.ValueText, out var entries))
                {
                    continue;
                }

                foreach (var (rule, pattern) in entries)
                {
                    if (failed.Contains(rule))
                    {
                        continue;
                    }

                    contexts ??= [];
                    if (!contexts.TryGetValue(rule, out var context))
                    {
                        contexts[rule] = context = new PatternContext(compilation, tree, facts, rule, sink, statistics);
                    }

                    try
                    {
                        pattern.Inspect(name, context);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // A pattern that throws is a bug in the pattern, not in the scanned code: switch the rule off for
                        // the rest of this compilation, say where it happened, and let the other rules run.
                        failed.Add(rule);
                        var position = name.GetLocation().GetLineSpan().StartLinePosition;
                        sink.Notify(new Notification("code-pattern-failed", NotificationLevel.Error,
                            $"{compilation.PathOf(tree)}:{position.Line + 1}:{position.Character + 1}: rule {rule.Id} ({pattern.Name}) failed and was switched off for {compilation.Name}: {e.GetType().Name}: {e.Message}")
                        {
                            RuleId = rule.Id,
                            Path = compilation.PathOf(tree),
                        });
                    }
                }
            }
        }

        if (statistics.ByName > 0)
        {
            sink.Notify(new Notification("code-pattern-names-only", NotificationLevel.Note,
                $"{compilation.Name}: {statistics.ByName} pattern result(s) were matched by type and member names because the types could not be resolved (packages are not restored for code analysis); restore the project's packages locally for symbol-exact results."));
        }
    }
}
