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

    /// <summary>
    /// Preview language, no documentation comments, and no nullable analysis: the semantic model otherwise runs the
    /// nullable flow analysis over a whole method body the first time anything in it is bound (measured: a sixth of a
    /// run's time), and no rule reads nullable states. <c>run-nullable-analysis</c> is the compiler's own switch for it.
    /// </summary>
    private static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Preview, DocumentationMode.None)
        .WithFeatures([new("run-nullable-analysis", "never")]);

    private readonly IReadOnlyList<ICodeCheck> _checks;

    public CodeAnalyzer()
        : this([new Taint.TaintCheck(), new Patterns.PatternCheck(), new Inventory.UnsafeCodeInventory()])
    {
    }

    /// <summary>Runs the rules of <paramref name="catalog"/> (e.g. <see cref="CodeRuleCatalog.WithUserRules"/>) instead of the built-in ones.</summary>
    public CodeAnalyzer(CodeRuleCatalog catalog)
        : this([
            new Taint.TaintCheck(catalog ?? throw new ArgumentNullException(nameof(catalog)), () => Taint.TaintModel.Create(catalog, Taint.TaintModel.LoadEmbeddedDocument())),
            new Patterns.PatternCheck(catalog),
            new Inventory.UnsafeCodeInventory()])
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
        || Views.RazorViewCheck.IsView(relativePath)
        || IsProjectOrProps(relativePath);

    /// <summary>
    /// The MSBuild files that settle how a compilation binds: projects and the two props files read above them; and
    /// NuGet's lock and assets files, which say which package versions it runs with (<see cref="PackageVersions"/>).
    /// </summary>
    private static bool IsProjectOrProps(string path) =>
        path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase)
        || IsProps(path, DirectoryBuildProps)
        || IsProps(path, DirectoryPackagesProps)
        || IsPackageLock(path);

    private static bool IsPackageLock(string path) => IsProps(path, PackageVersions.LockFileName) || IsProps(path, "obj/" + PackageVersions.AssetsFileName);

    private const string DirectoryBuildProps = "Directory.Build.props";
    private const string DirectoryPackagesProps = "Directory.Packages.props";

    public void Analyze(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sink);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            AnalyzeCode(input, sink, cancellationToken);
        }
        finally
        {
            CodeTiming.Report(System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    private void AnalyzeCode(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
    {
        using (CodeTiming.Phase("views"))
        {
            AnalyzeViews(input, sink, cancellationToken);
        }

        var sources = input.Files.Where(f => f.Path.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)).ToList();
        if (sources.Count == 0)
        {
            return;
        }

        IReadOnlyList<MetadataReference> framework;
        using (CodeTiming.Phase("framework references"))
        {
            framework = ReferenceAssemblies.FrameworkReferences;
        }

        if (ReferenceAssemblies.Missing is { } missing)
        {
            sink.Notify(new Notification("code-references-missing", NotificationLevel.Warning,
                $"Code analysis binds by name only where types cannot be resolved: {missing}"));
        }

        var projects = ProjectFiles(input.Files, sink.Notify);
        var locks = input.Files.Where(f => IsPackageLock(f.Path)).ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
        // Every compilation is created first (parsing in parallel), then bound to the projects it references, so that
        // types and methods of another project of the scan resolve and flows follow them.
        var groups = GroupByProject(projects, sources);
        var built = new System.Collections.Concurrent.ConcurrentDictionary<string, CodeCompilation>(StringComparer.Ordinal);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
        Parallel.ForEach(groups, options, group =>
        {
            ProjectSettings settings;
            using (CodeTiming.Phase("package references"))
            {
                settings = Settings(group.Key, projects, locks, framework, sink.Notify);
            }

            using var _ = CodeTiming.Phase("parse");
            built[group.Key] = Build(group.Key, group.Value, settings.References, cancellationToken, settings.GlobalUsings, settings.Packages);
        });
        NotifySyntaxErrors(built.Values, sink, cancellationToken);
        var compilations = WithProjectReferences(built, projects);
        var owners = new Dictionary<SyntaxTree, CodeCompilation>();
        foreach (var compilation in compilations.Values)
        {
            foreach (var tree in compilation.Trees.Where(t => compilation.PathOf(t) is not null))
            {
                owners[tree] = compilation;
            }
        }

        foreach (var compilation in compilations.Values)
        {
            compilation.ShareTreesWith(owners);
        }

        // Compilations are analysed side by side, largest first so that a big project does not start last; checks keep
        // no state between compilations, and the sink is thread-safe (the scanner orders what it receives).
        var order = compilations.Values.OrderByDescending(c => c.Compilation.SyntaxTrees.Length).ThenBy(c => c.Name, StringComparer.Ordinal);
        var results = new OnePerResult(sink);
        Parallel.ForEach(order, options, compilation =>
        {
            var perCompilation = results.For(compilation);
            var started = CodeTiming.CompilationStart();
            foreach (var check in _checks)
            {
                using var _ = CodeTiming.Phase(check.GetType().Name);
                try
                {
                    check.Run(compilation, new CodeSink(compilation, perCompilation), cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failing check loses its results for this compilation, not the whole analysis.
                    sink.Notify(new Notification("code-check-failed", NotificationLevel.Error,
                        $"{check.GetType().Name} failed on {compilation.Name}: {e.GetType().Name}: {e.Message}"));
                }
            }

            CodeTiming.CompilationDone(compilation.Name, started);
        });
        results.Flush();
    }

    /// <summary>
    /// Projects that reference each other can each find the same result (a flow through a shared project is seen from
    /// every project whose analysis follows calls into it). Each result (rule, file, span, evidence) is reported once:
    /// preferably as found by the project that holds its source, else by the first project in name order, so that the
    /// output does not depend on which compilation finished first.
    /// </summary>
    private sealed class OnePerResult(IProjectSink sink)
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<(string Key, bool OwnsSource, string Compilation, string Path, Detection Detection)> _found = [];

        public IProjectSink For(CodeCompilation compilation) => new Collector(this, compilation);

        public void Flush()
        {
            foreach (var best in _found
                .GroupBy(f => f.Key, StringComparer.Ordinal)
                .Select(g => g.OrderByDescending(f => f.OwnsSource).ThenBy(f => f.Compilation, StringComparer.Ordinal).First())
                .OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                sink.Report(best.Path, best.Detection);
            }
        }

        private sealed class Collector(OnePerResult results, CodeCompilation compilation) : IProjectSink
        {
            private readonly HashSet<string> _ownFiles = [.. compilation.Trees.Select(compilation.PathOf).OfType<string>()];

            public void Report(string path, Detection detection)
            {
                var key = string.Join('\n', detection.RuleId, path, detection.Start, detection.Length, detection.Properties?.GetValueOrDefault(Detection.EvidenceKey));
                var source = detection.Flow is { Count: > 0 } flow ? flow[0].Path : path;
                results._found.Add((key, _ownFiles.Contains(source), compilation.Name, path, detection));
            }

            public void Count(string statistic, long value) => results.Sink.Count(statistic, value);

            public void Notify(Notification notification) => results.Sink.Notify(notification);
        }

        private IProjectSink Sink => sink;
    }

    /// <summary>
    /// Each compilation with the compilations of the projects it references, directly or through others (MSBuild passes
    /// project references on), each of those already bound to its own references. A reference cycle is cut where it closes.
    /// </summary>
    private static Dictionary<string, CodeCompilation> WithProjectReferences(IReadOnlyDictionary<string, CodeCompilation> built, Dictionary<string, ProjectFile> projects)
    {
        var done = new Dictionary<string, CodeCompilation>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);

        CodeCompilation Final(string name)
        {
            if (done.TryGetValue(name, out var finished))
            {
                return finished;
            }

            visiting.Add(name);
            var references = new List<CodeCompilation>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>(projects.TryGetValue(name, out var project) ? project.ProjectReferences : []);
            while (pending.Count > 0)
            {
                var dependency = pending.Pop();
                if (!seen.Add(dependency) || dependency == name || visiting.Contains(dependency) || !built.ContainsKey(dependency))
                {
                    continue;
                }

                references.Add(Final(dependency));
                foreach (var next in projects.TryGetValue(dependency, out var p) ? p.ProjectReferences : [])
                {
                    pending.Push(next);
                }
            }

            visiting.Remove(name);
            return done[name] = built[name].WithReferences(references);
        }

        foreach (var name in built.Keys.Order(StringComparer.Ordinal))
        {
            Final(name);
        }

        return done;
    }

    /// <summary>Razor views are not C# until generated: their XSS flows are found by <see cref="Views.RazorViewCheck"/>, under the XSS rule when this analyzer has it.</summary>
    private void AnalyzeViews(ProjectInput input, IProjectSink sink, CancellationToken cancellationToken)
    {
        var rule = CodeRuleCatalog.Default.Rules.FirstOrDefault(r => r.Descriptor.Name == Views.RazorViewCheck.RuleName);
        if (rule is null || !Rules.Any(r => r.Id == rule.Id && r.Name == rule.Descriptor.Name))
        {
            return;
        }

        foreach (var view in input.Files.Where(f => Views.RazorViewCheck.IsView(f.Path)))
        {
            try
            {
                Views.RazorViewCheck.Run(view, rule, sink, cancellationToken);
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                sink.Notify(new Notification("code-analysis-bound", NotificationLevel.Warning,
                    "The view was not fully analysed: a pattern took too long on it")
                { Path = view.Path });
            }
        }
    }

    /// <summary>
    /// A file that does not parse is analysed as far as Roslyn's error recovery goes (what follows the error may be
    /// misread or missed): said once per file, at its first syntax error.
    /// </summary>
    private static void NotifySyntaxErrors(IEnumerable<CodeCompilation> compilations, IProjectSink sink, CancellationToken cancellationToken)
    {
        foreach (var compilation in compilations)
        {
            foreach (var tree in compilation.Trees)
            {
                if (compilation.PathOf(tree) is not { } path || !tree.GetRoot(cancellationToken).ContainsDiagnostics
                    || tree.GetDiagnostics(cancellationToken).FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) is not { } error)
                {
                    continue;
                }

                var span = error.Location.GetLineSpan().Span;
                sink.Count("codeFilesWithSyntaxErrors", 1);
                sink.Notify(new Notification("code-syntax-error", NotificationLevel.Warning,
                    $"C# syntax error ({error.Id}: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}); the file is analysed as far as it parses")
                {
                    Path = path,
                    Region = new Region(span.Start.Line + 1, span.Start.Character + 1, span.End.Line + 1, span.End.Character + 1),
                });
            }
        }
    }

    private static bool IsProps(string path, string name) =>
        path.Equals(name, StringComparison.OrdinalIgnoreCase) || path.EndsWith("/" + name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Every project and props file of the input, read once, by path.</summary>
    private static Dictionary<string, ProjectFile> ProjectFiles(IReadOnlyList<ScanTarget> files, Action<Notification> notify)
    {
        var projects = new Dictionary<string, ProjectFile>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => IsProjectOrProps(f.Path) && !IsPackageLock(f.Path)))
        {
            if (ProjectFile.Parse(file.Path, file.Text, notify) is { } project)
            {
                projects[file.Path] = project;
            }
        }

        return projects;
    }

    /// <summary>What one compilation is built with (see <see cref="Settings"/>).</summary>
    private sealed record ProjectSettings(IReadOnlyList<MetadataReference> References, IReadOnlyList<string> GlobalUsings, PackageVersions Packages);

    /// <summary>
    /// The references and global usings of one compilation: the framework packs, the project's packages found in the
    /// local NuGet cache (with versions from the nearest <c>Directory.Packages.props</c>), and the implicit usings of its
    /// SDK when the project or the nearest <c>Directory.Build.props</c> enables them; and the versions of its packages
    /// (<see cref="PackageVersions"/>). What cannot be found is a note.
    /// </summary>
    private static ProjectSettings Settings(
        string name, Dictionary<string, ProjectFile> projects, Dictionary<string, string> locks, IReadOnlyList<MetadataReference> framework, Action<Notification> notify)
    {
        if (!projects.TryGetValue(name, out var project))
        {
            // Loose files (snippets, a single file, a tree without its project file) are most often from ASP.NET Core
            // projects with implicit usings; a type of the code's own namespaces still wins over these.
            return new ProjectSettings(framework, ImplicitUsings.For("Microsoft.NET.Sdk.Web"), PackageVersions.None);
        }

        var directory = ProjectFile.DirectoryOf(name);
        var buildProps = Nearest(projects, directory, DirectoryBuildProps);
        var packageProps = Nearest(projects, directory, DirectoryPackagesProps);
        var implicitUsings = project.ImplicitUsings ?? buildProps?.ImplicitUsings ?? false;
        var removed = new HashSet<string>([.. project.RemovedUsings, .. buildProps?.RemovedUsings ?? []], StringComparer.Ordinal);
        IReadOnlyList<string> usings = [.. (implicitUsings ? ImplicitUsings.For(project.Sdk) : [])
            .Concat(buildProps?.Usings ?? [])
            .Concat(project.Usings)
            .Where(u => !removed.Contains(u))
            .Distinct(StringComparer.Ordinal)];

        var packages = project.Packages.Concat(buildProps?.Packages ?? [])
            .Select(p => p.Version is null && packageProps?.PackageVersions.TryGetValue(p.Id, out var v) == true ? p with { Version = v } : p)
            .ToList();
        (string, string)? Lock(string path) => locks.TryGetValue(path, out var text) ? (path, text) : null;
        var prefix = directory.Length == 0 ? string.Empty : directory + "/";
        var versions = PackageVersions.From(packages, Lock(prefix + PackageVersions.LockFileName), Lock(prefix + "obj/" + PackageVersions.AssetsFileName), notify);
        if (packages.Count == 0)
        {
            return new ProjectSettings(framework, usings, versions);
        }

        var frameworkNames = ReferenceAssemblies.FileNames;
        var missing = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        var resolved = PackageAssemblies.Resolve(packages, frameworkNames, missing);
        if (missing.Count > 0)
        {
            notify(new Notification("code-packages-missing", NotificationLevel.Note,
                $"{missing.Count} package(s) are not in the local NuGet cache, so their types bind by name only: {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : string.Empty)}")
            { Path = name });
        }

        return new ProjectSettings([.. framework, .. resolved], usings, versions);
    }

    /// <summary>The props file of that name in the directory or the nearest directory above it.</summary>
    /// <summary>
    /// The nearest <paramref name="fileName"/> at or above <paramref name="directory"/>, with the ones further up that it
    /// imports by MSBuild's chaining (<see cref="ProjectFile.ImportsOuterPropsOfItsName"/>) under it.
    /// </summary>
    private static ProjectFile? Nearest(Dictionary<string, ProjectFile> projects, string directory, string fileName)
    {
        var (nearest, at) = NearestWithDirectory(projects, directory, fileName);
        var merged = nearest;
        // Each step starts above the last file found, so the chain ends at the scan root.
        while (merged is { ImportsOuterPropsOfItsName: true } && at is { Length: > 0 })
        {
            var (outer, outerAt) = NearestWithDirectory(projects, ProjectFile.DirectoryOf(at), fileName);
            if (outer is null)
            {
                break;
            }

            merged = merged.Over(outer);
            at = outerAt;
        }

        return merged;
    }

    private static (ProjectFile? Props, string? Directory) NearestWithDirectory(Dictionary<string, ProjectFile> projects, string directory, string fileName)
    {
        foreach (var dir in ProjectFile.DirectoryAndAncestors(directory))
        {
            if (projects.GetValueOrDefault(dir.Length == 0 ? fileName : dir + "/" + fileName) is { } props)
            {
                return (props, dir);
            }
        }

        return (null, null);
    }

    /// <summary>Parses the files in parallel and creates the compilation (binding happens later, lazily, per check).</summary>
    /// <param name="globalUsings">Namespaces imported everywhere, as the SDK's generated <c>GlobalUsings.g.cs</c> would.</param>
    internal static CodeCompilation Build(string name, IReadOnlyList<ScanTarget> files, IReadOnlyList<MetadataReference> references, CancellationToken cancellationToken, IReadOnlyList<string>? globalUsings = null, PackageVersions? packages = null)
    {
        var trees = new SyntaxTree[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            trees[i] = CSharpSyntaxTree.ParseText(files[i].Text, ParseOptions, files[i].Path, cancellationToken: cancellationToken));
        var paths = new Dictionary<SyntaxTree, string>();
        for (var i = 0; i < trees.Length; i++)
        {
            paths[trees[i]] = files[i].Path;
        }

        // Generated, so it has no path: nothing is ever reported in it.
        var allTrees = globalUsings is { Count: > 0 }
            ? trees.Append(CSharpSyntaxTree.ParseText(string.Concat(globalUsings.Select(u => $"global using global::{u};\n")), ParseOptions, cancellationToken: cancellationToken))
            : trees;
        // Top-level statements only bind in an executable; nothing else depends on the kind.
        var kind = trees.Any(t => t.GetRoot(cancellationToken) is Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax unit && unit.Members.Any(m => m is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax))
            ? OutputKind.ConsoleApplication
            : OutputKind.DynamicallyLinkedLibrary;
        var compilation = CSharpCompilation.Create(
            AssemblyName(name),
            allTrees,
            references,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false));
        return new CodeCompilation(name, compilation, paths, packages);
    }

    /// <summary>A valid assembly name for a project path (<c>src/App/App.csproj</c> → <c>App</c>).</summary>
    private static string AssemblyName(string name)
    {
        var stem = Path.GetFileNameWithoutExtension(name);
        var clean = new string([.. stem.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')]);
        return clean.Length == 0 ? "LooseFiles" : clean;
    }

    /// <summary>Each source goes to the deepest directory above it that holds a <c>.csproj</c>; the rest are loose.</summary>
    private static SortedDictionary<string, List<ScanTarget>> GroupByProject(Dictionary<string, ProjectFile> all, List<ScanTarget> sources)
    {
        var projects = all.Keys
            .Where(p => p.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
            .GroupBy(ProjectFile.DirectoryOf, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Order(StringComparer.Ordinal).First(), StringComparer.Ordinal);
        var groups = new SortedDictionary<string, List<ScanTarget>>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var name = ProjectFile.DirectoryAndAncestors(ProjectFile.DirectoryOf(source.Path))
                .Select(dir => projects.GetValueOrDefault(dir))
                .FirstOrDefault(project => project is not null) ?? LooseFiles;

            if (!groups.TryGetValue(name, out var list))
            {
                groups[name] = list = [];
            }

            list.Add(source);
        }

        return groups;
    }
}
