using System.Text;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Tm7;

namespace SecureFuture.ThreatModeling.Tests;

public sealed class XmlSafetyTests
{
    [Fact]
    public void BillionLaughs_IsRefused_BeforeAnyExpansion()
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (var i = 1; i < 10; i++)
        {
            xml.Append(System.Globalization.CultureInfo.InvariantCulture, $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? string.Empty : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))};", 10))}\">");
        }

        xml.Append("]><ThreatModel>&lol9;</ThreatModel>");
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(xml.ToString()));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<InputException>(() => Tm7Document.Load(stream, "lolz.tm7"));

        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
        Assert.Equal("lolz.tm7", e.FilePath);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
    }

    [Fact]
    public void ExternalEntity_IsRefused()
    {
        const string Xml = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><ThreatModel>&e;</ThreatModel>";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Xml));
        Assert.Throws<InputException>(() => Tm7Document.Load(stream, "xxe.tm7"));
    }

    [Fact]
    public void MalformedTm7_NamesFileLineAndColumn()
    {
        using var stream = new MemoryStream("<ThreatModel>\n<DrawingSurfaceList>\n</ThreatModel>"u8.ToArray());
        var e = Assert.Throws<InputException>(() => Tm7Document.Load(stream, "broken.tm7"));
        Assert.Equal(3, e.Line);
        Assert.Equal(3, e.Column);
        Assert.StartsWith("broken.tm7:3:3: malformed XML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotAThreatModel_IsAnInputError()
    {
        using var stream = new MemoryStream("<Something/>"u8.ToArray());
        var e = Assert.Throws<InputException>(() => Tm7Document.Load(stream, "other.tm7"));
        Assert.Contains("ThreatModel", e.Message, StringComparison.Ordinal);
    }
}
