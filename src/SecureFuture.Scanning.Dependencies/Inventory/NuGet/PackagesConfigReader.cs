namespace SecureFuture.Scanning.Dependencies.Inventory.NuGet;

/// <summary>
/// <c>packages.config</c> (NuGet 2 style): every installed package with its exact version. The file does not say which
/// were asked for and which came along, so each is reported as direct.
/// </summary>
internal sealed class PackagesConfigReader : IManifestReader
{
    public string Ecosystem => Ecosystems.NuGet;

    public bool Reads(string fileName, string path) => fileName.Equals("packages.config", StringComparison.OrdinalIgnoreCase);

    public void Read(ManifestFile file, InventoryBuilder output)
    {
        var document = SafeXml.Load(file.Text);
        var graph = new PackageGraph(Ecosystem, file);
        foreach (var package in document.Root?.Children("package") ?? [])
        {
            var line = SafeXml.LineOf(package);
            if (package.Attribute("id")?.Value is not { Length: > 0 } id)
            {
                throw new ManifestFormatException(line, 1, "a <package> has no id");
            }

            if (package.Attribute("version")?.Value is not { Length: > 0 } version)
            {
                output.NotPinned(Ecosystem, id, "(no version)", file, line, "has no version");
                continue;
            }

            graph.Add(id, version, line).Direct = true;
        }

        graph.Emit(output, directIsExplicit: true);
    }
}
