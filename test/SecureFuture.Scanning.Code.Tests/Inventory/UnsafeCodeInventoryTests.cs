using System.Collections.Concurrent;
using SecureFuture.Core;
using Stats = SecureFuture.Scanning.Code.Inventory.UnsafeCodeInventory.Statistics;

namespace SecureFuture.Scanning.Code.Tests.Inventory;

public sealed class UnsafeCodeInventoryTests
{
    private const string Interop = """
        using System;
        using System.Runtime.InteropServices;

        internal static unsafe partial class Native
        {
            [DllImport("libc", EntryPoint = "getpid")]
            private static extern int GetPid();

            [LibraryImport("libc", EntryPoint = "strlen")]
            private static partial nuint StrLen(byte* s);

            [System.Runtime.InteropServices.DllImportAttribute("libc")]
            private static extern void free(IntPtr p);

            public static delegate* unmanaged<int, int> Callback;

            public static void Copy(byte[] data)
            {
                var buffer = Marshal.AllocHGlobal(data.Length);
                Marshal.Copy(data, 0, buffer, data.Length);
                System.Runtime.InteropServices.Marshal.FreeHGlobal(buffer);
            }
        }
        """;

    private const string Spans = """
        using System;

        internal struct Parser
        {
            public int Sum(ReadOnlySpan<byte> input)
            {
                Span<int> counts = stackalloc int[16];
                var scratch = stackalloc[] { 1, 2, 3 };
                unsafe
                {
                    fixed (byte* p = input)
                    {
                        return p[0] + counts[0] + scratch[0];
                    }
                }
            }

            private unsafe void Clear(int* p) { *p = 0; }

            public void Local()
            {
                unsafe void Zero(int* q) { *q = 0; }
            }
        }
        """;

    /// <summary>Every construct's name, in comments, strings and identifiers, and none of the constructs.</summary>
    private const string LookAlikes = """
        // unsafe { } stackalloc fixed (byte* p = x) [DllImport("x")] Marshal.AllocHGlobal(1) delegate* unmanaged<void>
        internal sealed class Safe
        {
            private const string Doc = "unsafe { stackalloc int[4]; } Marshal.Copy [DllImport]";
            private readonly int @fixed = 1;
            private readonly int[] _counts = new int[16];

            public int Unsafe() => @fixed;

            public void Marshal() { }

            public void Call(Safe other) => other.Marshal();

            [Obsolete("DllImport")]
            public static extern int NotAnImport();
        }
        """;

    [Fact]
    public void Each_construct_that_leaves_memory_safety_is_counted()
    {
        var counts = Analyze(("src/Native.cs", Interop), ("src/Parser.cs", Spans));

        Assert.Equal(1, counts[Stats.Blocks]);
        Assert.Equal(3, counts[Stats.Members]); // the class Native, the method Clear, the local function Zero
        Assert.Equal(2, counts[Stats.Stackalloc]);
        Assert.Equal(1, counts[Stats.Fixed]);
        Assert.Equal(3, counts[Stats.PInvoke]);
        Assert.Equal(3, counts[Stats.MarshalCalls]);
        Assert.Equal(1, counts[Stats.FunctionPointers]);
        Assert.Equal(2, counts[Stats.Files]);
    }

    [Fact]
    public void Names_in_comments_strings_and_identifiers_are_not_counted_and_every_statistic_is_still_reported()
    {
        var counts = Analyze(("src/Safe.cs", LookAlikes));

        Assert.Equal(Stats.All.Order(StringComparer.Ordinal), counts.Keys.Order(StringComparer.Ordinal));
        Assert.All(counts, c => Assert.Equal(0, c.Value));
    }

    [Fact]
    public void Counts_add_up_over_projects_and_loose_files()
    {
        var counts = Analyze(
            ("a/A.csproj", "<Project />"),
            ("a/Native.cs", Interop),
            ("b/B.csproj", "<Project />"),
            ("b/Native.cs", Interop),
            ("tools/Parser.cs", Spans));

        Assert.Equal(6, counts[Stats.PInvoke]);
        Assert.Equal(6, counts[Stats.MarshalCalls]);
        Assert.Equal(1, counts[Stats.Fixed]);
        Assert.Equal(3, counts[Stats.Files]);
    }

    [Fact]
    public void A_file_that_does_not_parse_is_counted_for_what_parses()
    {
        var counts = Analyze(("src/Broken.cs", "class Broken { void M() { unsafe { int* p = stackalloc int[1]; } "));

        Assert.Equal(1, counts[Stats.Blocks]);
        Assert.Equal(1, counts[Stats.Stackalloc]);
        Assert.Equal(1, counts[Stats.Files]);
    }

    [Fact]
    public void Code_nested_beyond_the_compilers_limit_is_reported_as_an_incomplete_inventory_not_a_crash()
    {
        const int depth = 20_000;
        var nested = "class Deep { void M() { " + string.Concat(Enumerable.Repeat("unsafe { ", depth)) + string.Concat(Enumerable.Repeat("} ", depth)) + "} }";
        var sink = new CountingSink();

        new CodeAnalyzer().Analyze(new ProjectInput("/repo", [new ScanTarget("src/Deep.cs", nested), new ScanTarget("src/Parser.cs", Spans)]), sink, CancellationToken.None);

        // The other file's figures survive whatever happens to the deep one.
        Assert.True(sink.Counts[Stats.Fixed] == 1, "the shallow file was not counted");
        // The compiler stops parsing at its nesting limit, so the deep file's count is short: the run must say so.
        var notification = Assert.Single(sink.Notifications, n => n.Id == "code-inventory-incomplete");
        Assert.Equal("src/Deep.cs", notification.Path);
        Assert.InRange(sink.Counts[Stats.Blocks], 1, depth);
    }

    /// <summary>Through the analyzer's default constructor: the inventory runs in every <c>sfi scan</c> with code analysis.</summary>
    private static Dictionary<string, long> Analyze(params (string Path, string Text)[] files)
    {
        var sink = new CountingSink();
        new CodeAnalyzer().Analyze(new ProjectInput("/repo", [.. files.Select(f => new ScanTarget(f.Path, f.Text))]), sink, CancellationToken.None);
        Assert.DoesNotContain(sink.Notifications, n => n.Level == NotificationLevel.Error);
        return sink.Counts.Where(c => c.Key.StartsWith("unsafe.", StringComparison.Ordinal)).ToDictionary(c => c.Key, c => c.Value);
    }

    private sealed class CountingSink : IProjectSink
    {
        public ConcurrentDictionary<string, long> Counts { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<Notification> Notifications { get; } = new();

        public void Report(string path, Detection detection)
        {
        }

        public void Count(string statistic, long value) => Counts.AddOrUpdate(statistic, value, (_, v) => v + value);

        public void Notify(Notification notification) => Notifications.Enqueue(notification);
    }
}
