using System.Text.Json;

namespace SecureFuture.Scanning.Dependencies.Inventory.Npm;

/// <summary>
/// The dependency names a <c>package.json</c> declares (dependencies, devDependencies, optionalDependencies,
/// peerDependencies), for lock files that do not record the project's own dependencies (package-lock v1, yarn v1).
/// </summary>
internal static class NpmManifest
{
    private static readonly string[] Sections = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

    /// <summary>Name to requested range; null when there is no readable package.json beside the lock file.</summary>
    public static Dictionary<string, string>? Beside(ManifestFile file)
    {
        if (file.Sibling("package.json") is not { } text)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return Declared(document.RootElement);
        }
        catch (JsonException)
        {
            return null; // the lock file is what is inventoried; a broken package.json only loses the direct/transitive split
        }
    }

    /// <summary>The dependencies an object with package.json's sections declares (a package.json, or package-lock's root entry).</summary>
    public static Dictionary<string, string> Declared(JsonElement package)
    {
        var declared = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var section in Sections)
        {
            foreach (var dependency in package.Obj(section).Props())
            {
                declared.TryAdd(dependency.Name, dependency.Value.ValueKind == JsonValueKind.String ? dependency.Value.GetString()! : string.Empty);
            }
        }

        return declared;
    }
}
