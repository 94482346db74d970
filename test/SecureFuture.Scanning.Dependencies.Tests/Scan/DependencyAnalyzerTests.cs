using SecureFuture.Scanning.Dependencies.Scan;

namespace SecureFuture.Scanning.Dependencies.Tests.Scan;

public sealed class DependencyAnalyzerTests
{
    [Theory]
    [InlineData("a==1\nDjango==3.2.0\n", 2, "Django==3.2.0")]
    [InlineData("a==1\r\n  Django==3.2.0  \r\nb==2\r\n", 2, "Django==3.2.0")] // CRLF and indentation are not part of the finding
    [InlineData("Django==3.2.0", 1, "Django==3.2.0")]                          // no final line break
    public void A_finding_covers_the_text_of_its_line(string text, int line, string expected)
    {
        var (start, length) = DependencyAnalyzer.LineSpan(text, line);
        Assert.Equal(expected, text.Substring(start, length));
    }

    [Fact]
    public void A_line_past_the_end_of_the_file_is_an_empty_span_at_its_start()
    {
        Assert.Equal((0, 0), DependencyAnalyzer.LineSpan("a==1\n", 5));
    }
}
