using System.Text;
using System.Text.Json;

namespace SecureFuture.Core.Tests;

/// <summary>
/// JsonDocument parses strings it cannot read (invalid UTF-8, a lone surrogate); GetString then throws
/// InvalidOperationException wherever it is first called. StrictJson refuses them as JSON that does not parse.
/// Found by fuzzing (docs/fuzzing.md).
/// </summary>
public sealed class StrictJsonTests
{
    [Theory]
    [InlineData("{\"kid\": \"\\ud800\"}")] // a high surrogate alone
    [InlineData("{\"a\": [\"ok\", \"x\\udc00y\"]}")] // a low surrogate alone, inside an array
    [InlineData("{\"\\ud800\": 1}")] // in a member name
    public void A_lone_surrogate_is_refused_as_json_that_does_not_parse(string json)
    {
        var e = Assert.Throws<JsonException>(() => StrictJson.Parse(Encoding.UTF8.GetBytes(json), default).Dispose());
        Assert.Contains("not well-formed Unicode", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_refused_with_its_line()
    {
        byte[] json = [.. "{\n  \"message\": \""u8, 0xF3, 0x28, .. "\"\n}"u8];
        var e = Assert.Throws<JsonException>(() => StrictJson.Parse(json, default).Dispose());
        Assert.Equal(1, e.LineNumber); // zero-based, as System.Text.Json counts
    }

    [Theory]
    [InlineData("{\"emoji\": \"\\ud83d\\ude00\", \"raw\": \"é中😀\"}")]
    [InlineData("{\"plain\": \"ascii only\", \"escaped\": \"\\u0041\\n\"}")]
    public void Well_formed_strings_parse_as_before(string json)
    {
        using var document = StrictJson.Parse(Encoding.UTF8.GetBytes(json), default);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            Assert.NotNull(member.Value.GetString());
        }
    }

    [Fact]
    public void A_parsed_value_is_checked_too()
    {
        using var document = JsonDocument.Parse("{\"keys\": [{\"kid\": \"\\udfff\"}]}");
        Assert.Throws<JsonException>(() => StrictJson.RequireWellFormedStrings(document.RootElement));
    }
}
