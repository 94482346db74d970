namespace SecureFuture.Scanning.Dependencies;

/// <summary>The ecosystem names of the OSV schema, which every part of dependency scanning uses.</summary>
public static class Ecosystems
{
    public const string NuGet = "NuGet";
    public const string Npm = "npm";
    public const string PyPI = "PyPI";
    public const string Maven = "Maven";
    public const string Go = "Go";
    public const string Cargo = "crates.io";
}

/// <summary>
/// One package a manifest or lock file resolves: what the inventory produces and advisory matching, the SBOM and the
/// scan's findings consume.
/// </summary>
/// <param name="Ecosystem">One of <see cref="Ecosystems"/>.</param>
/// <param name="Name">The package name as its ecosystem spells it (Maven: <c>group:artifact</c>; Go: module path).</param>
/// <param name="Version">The resolved version, verbatim (never normalised here: matching parses it per ecosystem).</param>
/// <param name="Direct">Whether the project depends on it directly.</param>
/// <param name="Via">For a transitive package, the names of the packages that bring it, from a direct dependency down; empty for a direct one.</param>
/// <param name="Manifest">The manifest or lock file, relative to the scan root, with '/'.</param>
/// <param name="Line">The 1-based line in <paramref name="Manifest"/> that declares or locks it.</param>
/// <param name="Hashes">Integrity hashes the lock file records, as <c>algorithm-value</c> (e.g. <c>sha512-...</c>).</param>
public sealed record ResolvedPackage(
    string Ecosystem,
    string Name,
    string Version,
    bool Direct,
    IReadOnlyList<string> Via,
    string Manifest,
    int Line,
    IReadOnlyList<string> Hashes);
