using System.Globalization;

namespace SecureFuture.Core;

/// <summary>
/// The names of the run statistics that make up <c>sfi scan</c>'s code inventory (an inventory, not findings): lines
/// of code per language and how many are in memory-safe languages, and the C# unsafe-code inventory. The scanner
/// counts them; every writer shows them the same way.
/// </summary>
public static class CodeInventory
{
    /// <summary>Non-blank lines in one language: <c>linesOfCode.csharp</c>, <c>linesOfCode.c</c>...</summary>
    public const string LinesOfCodePrefix = "linesOfCode.";

    /// <summary>Non-blank lines in memory-safe languages (C#, Java, Go, Rust...).</summary>
    public const string MemorySafeLines = "linesOfCodeMemorySafe";

    /// <summary>Non-blank lines in languages that are not memory-safe (C, C++, Objective-C, assembly).</summary>
    public const string MemoryUnsafeLines = "linesOfCodeMemoryUnsafe";

    /// <summary>C# unsafe-code inventory: <c>unsafe.blocks</c>, <c>unsafe.stackalloc</c>...</summary>
    public const string UnsafeCodePrefix = "unsafe.";

    /// <summary>Whether a statistic belongs to the inventory rather than to the run's counters.</summary>
    public static bool IsInventory(string statistic)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        return statistic.StartsWith(LinesOfCodePrefix, StringComparison.Ordinal)
            || statistic is MemorySafeLines or MemoryUnsafeLines
            || statistic.StartsWith(UnsafeCodePrefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// The share of counted lines written in memory-safe languages, in percent, rounded down to a tenth (so 100.0 means
    /// no unsafe line at all); null when no line of a counted language was seen.
    /// </summary>
    public static double? MemorySafeShare(IReadOnlyDictionary<string, long> statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var safe = statistics.GetValueOrDefault(MemorySafeLines);
        var total = safe + statistics.GetValueOrDefault(MemoryUnsafeLines);
        return total == 0 ? null : safe * 1000 / total / 10.0;
    }

    /// <summary>The share as text, e.g. <c>97.3 %</c>.</summary>
    public static string FormatShare(double share) => share.ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
