using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
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
    /// <param name="target">Counted on its UTF-8 bytes unless its text was already decoded: the same count either way.</param>
    public static void Count(ScanTarget target, Action<string, long> add)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(add);
        if (!ByExtension.TryGetValue(Path.GetExtension(target.Path), out var language))
        {
            return;
        }

        var lines = target.IsDecoded ? NonBlankLines(target.Text) : NonBlankLines(target.Utf8.Span);
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

    /// <summary>
    /// What <see cref="NonBlankLines(string)"/> counts in the text that <paramref name="utf8"/> decodes to, counted on
    /// the bytes: 32 at a time while they are ASCII (<see cref="NonBlankLinesOfAsciiBlocks"/>), then blank stretches (ASCII white space and line breaks) are skipped with a vectorised search, a line
    /// with anything else in it is counted and its rest skipped to the next line break. Only a non-ASCII byte needs a
    /// closer look: a character that is white space (no-break space, the ideographic space ...) leaves the line blank,
    /// any other character (an invalid sequence decodes to U+FFFD) does not.
    /// </summary>
    internal static long NonBlankLines(ReadOnlySpan<byte> utf8)
    {
        var (count, i, inLine) = NonBlankLinesOfAsciiBlocks(utf8);
        if (inLine)
        {
            // The blocks stopped inside a line with something in it: it counts, and its rest is skipped.
            count++;
            var lineBreak = utf8[i..].IndexOfAny((byte)'\n', (byte)'\r');
            if (lineBreak < 0)
            {
                return count;
            }

            i += lineBreak + 1;
        }

        while (i < utf8.Length)
        {
            var next = utf8[i..].IndexOfAnyExcept(AsciiBlank);
            if (next < 0)
            {
                break;
            }

            i += next;
            if (utf8[i] >= 0x80 && Rune.DecodeFromUtf8(utf8[i..], out var rune, out var consumed) == OperationStatus.Done && Rune.IsWhiteSpace(rune))
            {
                i += consumed;
                continue;
            }

            count++;
            var lineBreak = utf8[i..].IndexOfAny((byte)'\n', (byte)'\r');
            if (lineBreak < 0)
            {
                break;
            }

            i += lineBreak + 1;
        }

        return count;
    }

    /// <summary>
    /// The start of <see cref="NonBlankLines(ReadOnlySpan{byte})"/>, 32 bytes at a time while they are ASCII: a vector
    /// compare marks the line breaks and the bytes that are not white space, and a line counts when a marked byte lies
    /// between its break and the one before. Returns the lines ended so far, where it stopped (at a non-ASCII block or
    /// fewer than 32 bytes from the end), and whether the line it stopped in has anything but white space so far.
    /// </summary>
    private static (long Count, int Stopped, bool InLine) NonBlankLinesOfAsciiBlocks(ReadOnlySpan<byte> utf8)
    {
        long count = 0;
        var inLine = false;
        var i = 0;
        if (!Vector256.IsHardwareAccelerated)
        {
            return (0, 0, false);
        }

        for (; i + 32 <= utf8.Length; i += 32)
        {
            var block = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(utf8), (nuint)i);
            if (block.ExtractMostSignificantBits() != 0)
            {
                break; // a non-ASCII byte: a character that may or may not be white space, for the scalar loop
            }

            var breaks = (Vector256.Equals(block, Vector256.Create((byte)'\n')) | Vector256.Equals(block, Vector256.Create((byte)'\r'))).ExtractMostSignificantBits();
            // \t \n \v \f \r are 9 to 13.
            var blank = Vector256.LessThan(block - Vector256.Create((byte)'\t'), Vector256.Create((byte)5)) | Vector256.Equals(block, Vector256.Create((byte)' '));
            var content = ~blank.ExtractMostSignificantBits();
            var from = 0;
            for (; breaks != 0; breaks &= breaks - 1)
            {
                var at = BitOperations.TrailingZeroCount(breaks);
                if (inLine || (content & ((1u << at) - 1) & ~((1u << from) - 1)) != 0)
                {
                    count++;
                }

                inLine = false;
                from = at + 1;
            }

            inLine |= from < 32 && content >> from != 0;
        }

        return (count, i, inLine);
    }

    /// <summary>The ASCII characters <see cref="char.IsWhiteSpace(char)"/> is true of (line breaks among them).</summary>
    private static readonly SearchValues<byte> AsciiBlank = SearchValues.Create("\t\n\v\f\r "u8);
}
