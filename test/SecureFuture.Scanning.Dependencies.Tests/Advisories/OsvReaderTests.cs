using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Scanning.Dependencies.Tests.Advisories;

/// <summary>
/// A record that is not OSV is refused with <see cref="OsvFormatException"/> (the importer reports it and goes on),
/// never with another exception that would stop the whole import. The inputs were found by fuzzing (docs/fuzzing.md).
/// </summary>
public sealed class OsvReaderTests
{
    [Fact]
    public void A_json_record_with_a_lone_surrogate_is_a_format_error()
    {
        var e = Assert.Throws<OsvFormatException>(() => OsvReader.ReadJson("{\"id\": \"GHSA-\\ud800\", \"affected\": []}"u8));
        Assert.Contains("not well-formed Unicode", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id: PYSEC-1\naffected:\n- : http://example.test\n")] // YamlDotNet's model throws ArgumentException on it
    [InlineData("? id: PYSEC-1\n: value\n")] // a mapping as a key: it was cast to a scalar
    public void A_yaml_record_yamldotnet_or_osv_cannot_read_is_a_format_error(string yaml) =>
        Assert.Throws<OsvFormatException>(() => OsvReader.ReadYaml(yaml));

    [Fact]
    public void A_yaml_record_nested_deeper_than_any_osv_record_is_refused_before_it_can_exhaust_the_stack()
    {
        var deep = "id: PYSEC-1\naffected: " + string.Concat(Enumerable.Repeat("[", 10_000)) + string.Concat(Enumerable.Repeat("]", 10_000)) + "\n";
        var e = Assert.Throws<OsvFormatException>(() => OsvReader.ReadYaml(deep));
        Assert.Contains("nested deeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_well_formed_yaml_record_still_reads() =>
        Assert.Equal("PYSEC-1", OsvReader.ReadYaml("id: PYSEC-1\nmodified: '2024-01-01T00:00:00Z'\naffected: []\n").Id);
}
