using System.Text;

namespace SecureFuture.Scanning.Tests;

/// <summary>
/// Files are read as UTF-8 bytes and decoded only when something needs the text: the text must be exactly what the
/// decoder gives, and what is computed on the bytes (lines of code) exactly what the text would give.
/// </summary>
public sealed class ByteLevelTextTests
{
    [Theory]
    [InlineData(new byte[] { 0x61, 0x0A, 0xC3, 0xA9 })]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x61, 0xFF, 0x0A })]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x61, 0x00, 0x0A, 0x00 })]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x61 })]
    [InlineData(new byte[] { })]
    public void Read_GivesTheDecodersText_AndKeepsUtf8Undecoded(byte[] bytes)
    {
        var target = TextDecoder.Read("a.txt", bytes)!;
        var utf8 = bytes is not [0xFF, 0xFE, ..] and not [0xFE, 0xFF, ..];
        Assert.Equal(!utf8, target.IsDecoded);
        Assert.Equal(TextDecoder.Decode(bytes), target.Text);
        Assert.True(target.IsDecoded);
    }

    [Fact]
    public void Read_OfBinary_IsNull() => Assert.Null(TextDecoder.Read("a.bin", new byte[] { 0x61, 0x00, 0x62 }));

    [Theory]
    [InlineData("int a;\n\nint b;\r\n\r\n  \t\n", 2)]
    [InlineData("a\r\rb\r\n \u00A0\u3000\n\u2028x", 3)]
    [InlineData("\u00A0\n\u0085\n\u1680\r\u2000\u200A\u202F\u205F\u3000\n", 0)]
    [InlineData("\u001C\n\v\f\n\u00E9", 2)]
    [InlineData("no line break at the end", 1)]
    public void LinesOfCode_OnTheBytes_AreTheTextsNonBlankLines(string text, long expected)
    {
        Assert.Equal(expected, LinesOfCode(new ScanTarget("a.c", text)));
        Assert.Equal(expected, LinesOfCode(ScanTarget.FromUtf8("a.c", Encoding.UTF8.GetBytes(text))));
    }

    [Fact]
    public void LinesOfCode_OnRandomBytes_AreTheDecodedTextsNonBlankLines()
    {
        // White space of every kind, line breaks, non-ASCII letters and invalid UTF-8 (decoded to U+FFFD, which is not
        // white space), cut anywhere: what counting on bytes instead of characters could get wrong.
        byte[][] pieces =
        [
            "a"u8.ToArray(), " "u8.ToArray(), "\t"u8.ToArray(), "\v\f"u8.ToArray(), "\r"u8.ToArray(), "\n"u8.ToArray(), "\r\n"u8.ToArray(),
            "\u00A0"u8.ToArray(), "\u0085"u8.ToArray(), "\u3000"u8.ToArray(), "\u2028"u8.ToArray(), "\u00E9"u8.ToArray(), "\U0001F600"u8.ToArray(),
            [0x80], [0xC3], [0xE2, 0x80], [0xFF], [0x1C],
        ];
        var random = new Random(5);
        for (var round = 0; round < 2_000; round++)
        {
            var bytes = new List<byte>();
            var count = random.Next(30);
            for (var i = 0; i < count; i++)
            {
                bytes.AddRange(pieces[random.Next(pieces.Length)]);
            }

            var text = TextDecoder.Decode([.. bytes])!;
            Assert.Equal(LinesOfCode(new ScanTarget("a.c", text)), LinesOfCode(ScanTarget.FromUtf8("a.c", bytes.ToArray())));
        }
    }

    [Fact]
    public void LinesOfCode_OfLongMostlyAsciiText_AreTheDecodedTextsNonBlankLines()
    {
        // Mostly ASCII and long enough for the 32-byte blocks: lines ending on, before and after a block's edge,
        // blank lines of every white space, CRLF split by an edge, and a non-ASCII character (white space or not)
        // late in the file, where the blocks hand over to the byte-by-byte loop in the middle of a line.
        string[] pieces = ["int a;", "x", " ", "\t", "\v", "\f", "\r", "\n", "\r\n", "\n\n", "    ", "\u001C"];
        string[] late = ["\u00A0", "\u3000", "\u00E9", "\U0001F600"];
        var random = new Random(11);
        for (var round = 0; round < 2_000; round++)
        {
            var text = new StringBuilder();
            var count = random.Next(200);
            for (var i = 0; i < count; i++)
            {
                text.Append(random.Next(40) == 0 ? late[random.Next(late.Length)] : pieces[random.Next(pieces.Length)]);
            }

            var s = text.ToString();
            Assert.Equal(LinesOfCode(new ScanTarget("a.c", s)), LinesOfCode(ScanTarget.FromUtf8("a.c", Encoding.UTF8.GetBytes(s))));
        }
    }

    [Fact]
    public void LinesOfCode_AreCountedWithoutDecodingTheFile()
    {
        var target = ScanTarget.FromUtf8("a.c", "int main(void) { return 0; }\n"u8.ToArray());
        Assert.Equal(1, LinesOfCode(target));
        Assert.False(target.IsDecoded);
    }

    private static long LinesOfCode(ScanTarget target)
    {
        long lines = 0;
        LanguageInventory.Count(target, (statistic, value) => lines += statistic == "linesOfCode.c" ? value : 0);
        return lines;
    }
}
