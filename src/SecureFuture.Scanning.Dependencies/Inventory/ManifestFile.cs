namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// One manifest or lock file being read, with the other walked files it may consult (a <c>package.json</c> beside a
/// v1 lock file, a <c>Directory.Packages.props</c> above a project).
/// </summary>
internal sealed class ManifestFile(string path, string text, IReadOnlyDictionary<string, string> walked)
{
    private LineMap? _lines;

    /// <summary>Relative to the scan root, with '/'.</summary>
    public string Path { get; } = path;

    public string Text { get; } = text;

    public string FileName => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The directory, relative, with a trailing '/' (empty at the root).</summary>
    public string Directory => Path[..(Path.LastIndexOf('/') + 1)];

    public LineMap Lines => _lines ??= new LineMap(Text);

    /// <summary>The text of a walked file in this file's directory, or null.</summary>
    public string? Sibling(string relativePath) => walked.GetValueOrDefault(Resolve(relativePath));

    /// <summary>A path relative to this file's directory ('..' allowed), as a scan-relative path.</summary>
    public string Resolve(string relativePath)
    {
        var parts = new List<string>(Directory.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var part in relativePath.Split('/'))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part is not ("." or ""))
            {
                parts.Add(part);
            }
        }

        return string.Join('/', parts);
    }

    /// <summary>The nearest walked file of this name in this directory or above it: its path and text.</summary>
    public (string Path, string Text)? Nearest(string fileName)
    {
        var directory = Directory;
        while (true)
        {
            if (walked.TryGetValue(directory + fileName, out var text))
            {
                return (directory + fileName, text);
            }

            if (directory.Length == 0)
            {
                return null;
            }

            var up = directory.LastIndexOf('/', directory.Length - 2);
            directory = up < 0 ? string.Empty : directory[..(up + 1)];
        }
    }
}
