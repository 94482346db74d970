namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// The packages one manifest or lock file resolves and who depends on whom, keyed by name and version (several copies
/// of one version, in nested node_modules or in several target frameworks, are one package, at its first line).
/// <see cref="Emit"/> decides direct versus transitive and, for a transitive package, the shortest path from a direct
/// dependency (breadth-first from the direct ones, in line order, so the path is stable).
/// </summary>
internal sealed class PackageGraph(string ecosystem, ManifestFile file)
{
    private readonly Dictionary<(string Name, string Version), Node> _nodes = [];
    private readonly List<Node> _order = [];

    public string Ecosystem { get; } = ecosystem;

    public ManifestFile File { get; } = file;

    /// <summary>Whether the file recorded which packages are direct; when not, every package is reported as direct.</summary>
    public bool HasRoots => _order.Exists(n => n.Direct || n.Project);

    /// <summary>The package, added at <paramref name="line"/> unless already known (the first line stays).</summary>
    public Node Add(string name, string version, int line, IEnumerable<string>? hashes = null)
    {
        if (!_nodes.TryGetValue((name, version), out var node))
        {
            node = new Node(name, version, line);
            _nodes.Add((name, version), node);
            _order.Add(node);
        }

        if (hashes is not null)
        {
            foreach (var hash in hashes)
            {
                if (!node.Hashes.Contains(hash, StringComparer.Ordinal))
                {
                    node.Hashes.Add(hash);
                }
            }
        }

        return node;
    }

    public Node? Find(string name, string version) => _nodes.GetValueOrDefault((name, version));

    public static void Depend(Node from, Node to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from != to && from.ChildSet.Add(to))
        {
            from.Children.Add(to);
        }
    }

    /// <param name="output">Where the packages and edges go.</param>
    /// <param name="directIsExplicit">
    /// The format marks each package direct or not (go.mod, packages.config), so a file without direct ones has none;
    /// otherwise a file that records no roots has every package reported as direct, with a note.
    /// </param>
    public void Emit(InventoryBuilder output, bool directIsExplicit = false)
    {
        // A project of the same build (a referenced project, a workspace member) is part of the product: what it
        // declares is as direct as what the project itself declares.
        foreach (var project in _order.Where(n => n.Project))
        {
            foreach (var child in project.Children.Where(c => !c.Project))
            {
                child.Direct = true;
            }
        }

        var roots = HasRoots || directIsExplicit;
        if (!roots && _order.Count > 0)
        {
            output.Note(InventoryNotifications.NoRoots, File.Path, null,
                $"{File.Path}: the lock file does not record which dependencies are direct and no manifest beside it says; every package is reported as direct");
        }

        var parent = new Dictionary<Node, Node?>();
        var queue = new Queue<Node>();
        foreach (var root in _order.Where(n => (n.Direct && !n.Project) || !roots).OrderBy(n => n.Line))
        {
            parent[root] = null;
            queue.Enqueue(root);
        }

        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var child in node.Children)
            {
                if (parent.TryAdd(child, node))
                {
                    queue.Enqueue(child);
                }
            }
        }

        foreach (var node in _order.Where(n => !n.Project).OrderBy(n => n.Line).ThenBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Version, StringComparer.Ordinal))
        {
            var direct = node.Direct || !roots;
            var via = direct ? [] : PathTo(node, parent);
            output.Package(new ResolvedPackage(Ecosystem, node.Name, node.Version, direct, via, File.Path, node.Line, [.. node.Hashes]));
            foreach (var child in node.Children.Where(c => !c.Project))
            {
                output.Edge(new DependencyEdge(File.Path, node.Id(Ecosystem), child.Id(Ecosystem)));
            }
        }
    }

    /// <summary>Names from the direct dependency down to the package's parent; empty when no direct dependency reaches it.</summary>
    private static string[] PathTo(Node node, Dictionary<Node, Node?> parent)
    {
        if (!parent.TryGetValue(node, out var up))
        {
            return [];
        }

        var path = new List<string>();
        for (; up is not null; up = parent[up])
        {
            path.Add(up.Name);
        }

        path.Reverse();
        return [.. path];
    }

    internal sealed class Node(string name, string version, int line)
    {
        public string Name { get; } = name;

        public string Version { get; } = version;

        public int Line { get; } = line;

        public bool Direct { get; set; }

        /// <summary>
        /// A project of the same build (a NuGet project reference, a Cargo or uv workspace member, a yarn workspace): not
        /// itself a package; what it depends on is direct.
        /// </summary>
        public bool Project { get; set; }

        public List<string> Hashes { get; } = [];

        public List<Node> Children { get; } = [];

        public HashSet<Node> ChildSet { get; } = [];

        public PackageId Id(string ecosystem) => new(ecosystem, Name, Version);
    }
}
