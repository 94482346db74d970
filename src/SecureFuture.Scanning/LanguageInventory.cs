using SecureFuture.Core;

namespace SecureFuture.Scanning;

/// <summary>
/// The memory-safety inventory of a working tree: non-blank lines per programming language, told apart by file
/// extension, and whether the language is memory-safe (the initiative's "memory safe languages"). Languages not listed
/// (markup, data, scripts of the shell) are not counted, so the share compares code with code.
/// </summary>
public static class LanguageInventory
{
    /// <param name="Name">The statistic's suffix: <c>linesOfCode.{Name}</c>.</param>
    private sealed record Language(string Name, bool MemorySafe, params string[] Extensions);

    private static readonly Language[] Languages =
    [
        new("csharp", true, ".cs", ".csx"),
        new("fsharp", true, ".fs", ".fsi", ".fsx"),
        new("vb", true, ".vb"),
        new("java", true, ".java"),
        new("kotlin", true, ".kt", ".kts"),
        new("go", true, ".go"),
        new("rust", true, ".rs"),
        new("python", true, ".py", ".pyi"),
        new("javascript", true, ".js", ".mjs", ".cjs", ".jsx"),
        new("typescript", true, ".ts", ".mts", ".cts", ".tsx"),
        new("swift", true, ".swift"),
        new("ruby", true, ".rb"),
        new("php", true, ".php"),
        // A .h header may be C, C++ or Objective-C; it is counted as C, like the other languages that are not memory-safe.
        new("c", false, ".c", ".h"),
        new("cpp", false, ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++"),
        new("objective-c", false, ".m", ".mm"),
        new("assembly", false, ".s", ".asm"),
    ];

    private static readonly Dictionary<string, Language> ByExtension = Languages
        .SelectMany(l => l.Extensions.Select(e => (Extension: e, Language: l)))
        .ToDictionary(p => p.Extension, p => p.Language, StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds the file's non-blank lines to its language's statistic and to the memory-safe or unsafe total.</summary>
    /// <param name="add">Adds a value to a run statistic.</param>
    public static void Count(string path, string text, Action<string, long> add)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(add);
        if (!ByExtension.TryGetValue(Path.GetExtension(path), out var language))
        {
            return;
        }

        var lines = NonBlankLines(text);
        if (lines == 0)
        {
            return;
        }

        add(CodeInventory.LinesOfCodePrefix + language.Name, lines);
        add(language.MemorySafe ? CodeInventory.MemorySafeLines : CodeInventory.MemoryUnsafeLines, lines);
    }

    /// <summary>Lines holding anything but white space; '\n', '\r\n' and a lone '\r' end a line.</summary>
    internal static long NonBlankLines(string text)
    {
        long count = 0;
        var blank = true;
        foreach (var c in text)
        {
            if (c is '\n' or '\r')
            {
                count += blank ? 0 : 1;
                blank = true;
            }
            else if (blank && !char.IsWhiteSpace(c))
            {
                blank = false;
            }
        }

        return count + (blank ? 0 : 1);
    }
}
