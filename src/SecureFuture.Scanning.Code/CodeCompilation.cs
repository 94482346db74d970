using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// One C# compilation built from source only: the files of one <c>.csproj</c> (or the loose files of a scan), against
/// the reference assemblies the SDK ships. Binding is error-tolerant: a missing reference leaves some symbols
/// unresolved, never the whole compilation.
/// </summary>
internal sealed class CodeCompilation
{
    private readonly Dictionary<SyntaxTree, string> _paths;
    private readonly Dictionary<SyntaxTree, SemanticModel> _models = [];
    private readonly Lock _gate = new();

    public CodeCompilation(string name, CSharpCompilation compilation, IReadOnlyDictionary<SyntaxTree, string> paths)
    {
        Name = name;
        Compilation = compilation;
        _paths = new Dictionary<SyntaxTree, string>(paths);
    }

    /// <summary>The project's file (relative path) or <c>(loose files)</c>.</summary>
    public string Name { get; }

    public CSharpCompilation Compilation { get; }

    public IEnumerable<SyntaxTree> Trees => Compilation.SyntaxTrees;

    /// <summary>The scan-relative path of a tree of this compilation; null for trees from elsewhere (metadata).</summary>
    public string? PathOf(SyntaxTree? tree) => tree is not null && _paths.TryGetValue(tree, out var p) ? p : null;

    /// <summary>The semantic model of a tree, created once and shared (creating one is not free).</summary>
    public SemanticModel Model(SyntaxTree tree)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(tree, out var model))
            {
                model = Compilation.GetSemanticModel(tree, ignoreAccessibility: true);
                _models[tree] = model;
            }

            return model;
        }
    }
}
