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
    private IReadOnlyDictionary<SyntaxTree, CodeCompilation>? _owners;
    private IReadOnlyList<CodeCompilation> _referenced = [];

    public CodeCompilation(string name, CSharpCompilation compilation, IReadOnlyDictionary<SyntaxTree, string> paths, PackageVersions? packages = null)
    {
        Name = name;
        Compilation = compilation;
        _paths = new Dictionary<SyntaxTree, string>(paths);
        Packages = packages ?? PackageVersions.None;
    }

    /// <summary>
    /// A copy that also binds to the compilations of the projects it references (<c>ProjectReference</c>), and knows
    /// the versions of the packages they bring (NuGet passes them on) where its own project does not say.
    /// </summary>
    public CodeCompilation WithReferences(IReadOnlyList<CodeCompilation> projects) =>
        projects.Count == 0
            ? this
            : new CodeCompilation(Name, Compilation.AddReferences(projects.Select(p => p.Compilation.ToMetadataReference())), _paths,
                Packages.Then(projects.Select(p => p.Packages)))
            { _referenced = projects };

    /// <summary>The versions of the packages this project uses, as far as its files tell (see <see cref="PackageVersions"/>).</summary>
    public PackageVersions Packages { get; }

    /// <summary>The package versions of the project that owns <paramref name="tree"/> (this one, or a referenced project).</summary>
    public PackageVersions PackagesOf(SyntaxTree tree) =>
        !Compilation.ContainsSyntaxTree(tree) && _owners is not null && _owners.TryGetValue(tree, out var owner) && owner != this ? owner.Packages : Packages;

    /// <summary>The source trees of the referenced projects of the scan (their bodies can be followed into, see <see cref="WithReferences"/>).</summary>
    public IEnumerable<SyntaxTree> ReferencedTrees => _referenced.SelectMany(p => p.Trees.Where(t => p.PathOf(t) is not null));

    /// <summary>
    /// Tells this compilation which compilation owns each tree of the scan, so that a symbol declared in a referenced
    /// project (a repository method called from a controller) is read with its own project's model and path: flows go
    /// across projects as they go across files.
    /// </summary>
    public void ShareTreesWith(IReadOnlyDictionary<SyntaxTree, CodeCompilation> owners) => _owners = owners;

    /// <summary>The project's file (relative path) or <c>(loose files)</c>.</summary>
    public string Name { get; }

    public CSharpCompilation Compilation { get; }

    public IEnumerable<SyntaxTree> Trees => Compilation.SyntaxTrees;

    /// <summary>The scan-relative path of a tree of this compilation or of a referenced project; null for trees from elsewhere (metadata).</summary>
    public string? PathOf(SyntaxTree? tree) =>
        tree is null ? null
        : _paths.TryGetValue(tree, out var p) ? p
        : _owners is not null && _owners.TryGetValue(tree, out var owner) && owner != this ? owner.PathOf(tree)
        : null;

    /// <summary>
    /// The semantic model of a tree, created once and shared (creating one is not free). A tree of a referenced project
    /// gets that project's model.
    /// </summary>
    public SemanticModel Model(SyntaxTree tree)
    {
        if (!Compilation.ContainsSyntaxTree(tree) && _owners is not null && _owners.TryGetValue(tree, out var owner) && owner != this)
        {
            return owner.Model(tree);
        }

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
