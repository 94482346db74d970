namespace SecureFuture.Core.Tests;

/// <summary>
/// The expected values are the CodeQL action's own test vectors for primaryLocationLineHash, so a result that
/// SecureFuture uploads keeps the identity GitHub would give it.
/// </summary>
public sealed class LineHashTests
{
    [Fact]
    public void EmptyFile_HasTheHashOfAnEmptyLine() =>
        Assert.Equal(["c129715d7a2bc9a3:1"], LineHash.Compute(string.Empty));

    [Fact]
    public void LeadingWhitespace_IsIgnored() =>
        Assert.Equal(
            ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"],
            LineHash.Compute(" a\nb\n  \t\tc\n d"));

    [Theory]
    [InlineData(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n")]
    [InlineData(" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r")]
    [InlineData(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n")]
    [InlineData(" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n")]
    public void LineEndings_DoNotChangeTheHashes(string text) =>
        Assert.Equal(
            ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1", "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
            LineHash.Compute(text));

    [Fact]
    public void RepeatedLines_AreNumbered()
    {
        var text = string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet.\n", 10));
        Assert.Equal(
            [
                "a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4", "a7f2ff13bc495cf2:5",
                "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1",
                "c129715d7a2bc9a3:1",
            ],
            LineHash.Compute(text));
    }

    [Fact]
    public void InsertingALineAbove_KeepsTheHashOfTheLinesBelow()
    {
        var before = LineHash.Compute("a\nb\nsecret = 1\nc\n");
        var after = LineHash.Compute("new line\na\nb\nsecret = 1\nc\n");
        Assert.Equal(before[2], after[3]);
    }
}
