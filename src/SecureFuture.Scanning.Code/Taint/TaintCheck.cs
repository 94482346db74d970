using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Taint;

/// <summary>
/// The data-flow rules (SFI-CODE-001..099): follows untrusted request data through assignments, strings, collections,
/// lambdas and calls across methods and files to the sinks the catalogue's taint rules name.
/// </summary>
internal sealed class TaintCheck : ICodeCheck
{
    private readonly Lazy<TaintModel> _model;

    /// <summary>
    /// The syntax-only index of each tree, kept while the tree lives: a project's trees are indexed for every project
    /// that references it (a test project, a sample), and indexing them again was a fifth of a run's time.
    /// </summary>
    private readonly ConditionalWeakTable<SyntaxTree, TaintEngine.TreeIndex> _indexes = [];

    /// <summary>Method summaries shared between projects, kept while their declarations live (see <see cref="SummaryDependencies"/>).</summary>
    private readonly ConditionalWeakTable<SyntaxNode, SharedSummary> _summaries = [];

    public TaintCheck()
        : this(CodeRuleCatalog.Default, () => TaintModel.Default)
    {
    }

    internal TaintCheck(TaintModel model)
        : this(model.Rules, () => model)
    {
    }

    /// <param name="catalog">The rules whose taint specifications <paramref name="model"/> is built from.</param>
    /// <param name="model">
    /// Built when the first compilation is analysed: the shared taint model (its YAML and every member pattern) is
    /// not read by a scan that meets no C# file. The rules' descriptors come from the catalogue alone.
    /// </param>
    internal TaintCheck(CodeRuleCatalog catalog, Func<TaintModel> model)
        : this(TaintModel.TaintRules(catalog), model)
    {
    }

    private TaintCheck(IEnumerable<CodeRule> rules, Func<TaintModel> model)
    {
        _model = new Lazy<TaintModel>(model, LazyThreadSafetyMode.ExecutionAndPublication);
        Rules = [.. rules.Select(r => r.Descriptor)];
    }

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    public void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken)
    {
        var model = _model.Value;
        new TaintEngine(model, compilation, sink, cancellationToken,
            tree => _indexes.GetValue(tree, t => TaintEngine.IndexTree(model, t, cancellationToken)), _summaries).Run();
    }
}
