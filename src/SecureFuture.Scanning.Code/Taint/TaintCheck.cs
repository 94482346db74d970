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
    private readonly TaintModel _model;

    /// <summary>
    /// The syntax-only index of each tree, kept while the tree lives: a project's trees are indexed for every project
    /// that references it (a test project, a sample), and indexing them again was a fifth of a run's time.
    /// </summary>
    private readonly ConditionalWeakTable<SyntaxTree, TaintEngine.TreeIndex> _indexes = [];

    /// <summary>Method summaries shared between projects, kept while their declarations live (see <see cref="SummaryDependencies"/>).</summary>
    private readonly ConditionalWeakTable<SyntaxNode, SharedSummary> _summaries = [];

    public TaintCheck()
        : this(TaintModel.Default)
    {
    }

    internal TaintCheck(TaintModel model)
    {
        _model = model;
        Rules = [.. model.Rules.Select(r => r.Descriptor)];
    }

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    public void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken) =>
        new TaintEngine(_model, compilation, sink, cancellationToken,
            tree => _indexes.GetValue(tree, t => TaintEngine.IndexTree(_model, t, cancellationToken)), _summaries).Run();
}
