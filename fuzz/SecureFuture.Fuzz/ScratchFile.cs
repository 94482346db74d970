namespace SecureFuture.Fuzz;

/// <summary>
/// The parsers that take a path (a baseline log, a model, a tenant export) read the input from one file per target
/// and extension in a private temporary folder, rewritten for every input; the folder is removed at exit.
/// </summary>
internal static class ScratchFile
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("sfi-fuzz-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    });

    /// <summary><c>FOLDER/name</c>, created empty (whatever the previous input left in it removed).</summary>
    public static string EmptyDirectory(string name)
    {
        var path = Path.Combine(Folder.Value, name);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes <paramref name="input"/> to <c>FOLDER/name</c> and returns the path.</summary>
    public static string Write(string name, byte[] input)
    {
        var path = Path.Combine(Folder.Value, name);
        File.WriteAllBytes(path, input);
        return path;
    }
}
