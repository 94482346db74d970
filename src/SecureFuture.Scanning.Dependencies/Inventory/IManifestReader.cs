namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>Reads one kind of manifest or lock file into the packages it resolves.</summary>
internal interface IManifestReader
{
    string Ecosystem { get; }

    /// <summary>Whether this reader reads a file of this name (the last path segment; <paramref name="path"/> is relative, with '/').</summary>
    bool Reads(string fileName, string path);

    /// <summary>Whether a more exact file beside this one (a lock file beside its manifest) is read instead.</summary>
    bool SupersededBy(ManifestFile file) => false;

    /// <exception cref="ManifestFormatException">The file does not parse.</exception>
    /// <exception cref="UnknownLockFileVersionException">The lock file's format version is not a known one.</exception>
    void Read(ManifestFile file, InventoryBuilder output);
}
