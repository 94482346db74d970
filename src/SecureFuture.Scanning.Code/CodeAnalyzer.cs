using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code;

/// <summary>
/// <c>sfi scan</c>'s code analysis: groups the walked <c>.cs</c> files into compilations by the nearest <c>.csproj</c>
/// above them (files under no project form one compilation), builds each against the SDK's reference packs, and runs
/// every <see cref="ICodeCheck"/> over it. Nothing is built or restored.
/// </summary>
public sealed class CodeAnalyzer : IProjectAnalyzer
{
    /// <summary>Name of the compilation of files under no <c>.csproj</c>.</summary>
    public const string LooseFiles = "(loose files)";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview, DocumentationMode.None);

    private readonly IReadOnlyList<ICodeCheck> _checks;

    public CodeAnalyzer()
        : this([new Taint.TaintCheck()])
    {
    }

    internal CodeAnalyzer(IReadOnlyList<ICodeCheck> checks)
    {
        _checks = checks;
        Rules = [.. checks.SelectMany(c => c.Rules).OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    public bool Wants(string relativePath) =>
        relativePath.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)
        || relativePath.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase);

    public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        var sources = input.Files.Where(f => f.Path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)).ToList();
        if (sources.Count == 0)
        {
            return;
        }

        var references = ReferenceAssemblies.FrameworkReferences;
        if (ReferenceAssemblies.Missing is { } missing)
        {
            sink.Notify(new Notification("code-references-missing", NotificationLevel.Warning,
                $"Code analysis binds by name only where types cannot be resolved: {missing}"));
        }

        foreach (var group in GroupByProject(input.Files, sources))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var compilation = Build(group.Key, group.Value, references, cancellationToken);
            foreach (var check in _checks)
            {
                try
                {
                    check.Run(compilation, new CodeSink(compilation, sink), cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failing check loses its results for this compilation, not the whole analysis.
                    sink.Notify(new Notification("code-check-failed", NotificationLevel.Error,
                        $"{check.GetType().Name} failed on {compilation.Name}: {e.GetType().Name}: {e.Message}"));
                }
            }
        }
    }

    /// <summary>Parses the files in parallel and creates the compilation (binding happens later, lazily, per check).</summary>
    internal static CodeCompilation Build(string name, IReadOnlyList<ScanTarget> files, IReadOnlyList<MetadataReference> references, CancellationToken cancellationToken)
    {
        var trees = new SyntaxTree[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            trees[i] = CSharpSyntaxTree.ParseText(files[i].Text, ParseOptions, files[i].Path, cancellationToken: cancellationToken));
        var paths = new Dictionary<SyntaxTree, string>();
        for (var i = 0; i < trees.Length; i++)
        {
            paths[trees[i]] = files[i].Path;
        }

        var compilation = CSharpCompilation.Create(
            name,
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false));
        return new CodeCompilation(name, compilation, paths);
    }

    /// <summary>Each source goes to the deepest directory above it that holds a <c>.csproj</c>; the rest are loose.</summary>
    private static SortedDictionary<string, List<ScanTarget>> GroupByProject(IReadOnlyList<ScanTarget> all, List<ScanTarget> sources)
    {
        var projects = all
            .Where(f => f.Path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
            .GroupBy(f => DirectoryOf(f.Path), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(f => f.Path, StringComparer.Ordinal).First().Path, StringComparer.Ordinal);
        var groups = new SortedDictionary<string, List<ScanTarget>>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var name = LooseFiles;
            for (var dir = DirectoryOf(source.Path); ; dir = DirectoryOf(dir))
            {
                if (projects.TryGetValue(dir, out var project))
                {
                    name = project;
                    break;
                }

                if (dir.Length == 0)
                {
                    break;
                }
            }

            if (!groups.TryGetValue(name, out var list))
            {
                groups[name] = list = [];
            }

            list.Add(source);
        }

        return groups;
    }

    private static string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }
}
