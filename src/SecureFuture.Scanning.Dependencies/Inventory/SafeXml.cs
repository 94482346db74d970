using System.Xml;
using System.Xml.Linq;

namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>
/// XML manifests (.csproj, packages.config, Directory.Packages.props, pom.xml) loaded with line information and without
/// DTDs: a manifest from an untrusted repository cannot expand entities (billion laughs) or fetch external ones (XXE).
/// </summary>
internal static class SafeXml
{
    /// <summary>Element nesting: manifests use five or six levels; building a tree a hostile file nests 100,000 deep takes a minute.</summary>
    private const int MaxDepth = 64;

    public static XDocument Load(string text)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersFromEntities = 0 };
        try
        {
            using (var probe = XmlReader.Create(new StringReader(text), settings))
            {
                while (probe.Read())
                {
                    if (probe.Depth > MaxDepth)
                    {
                        var info = (IXmlLineInfo)probe;
                        throw new ManifestFormatException(info.LineNumber, info.LinePosition, $"not accepted: elements nested deeper than {MaxDepth}");
                    }
                }
            }

            using var reader = XmlReader.Create(new StringReader(text), settings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e) when (e.LineNumber == 0 && text.IndexOf("<!DOCTYPE", StringComparison.Ordinal) is var doctype and >= 0)
        {
            // The reader refuses a DTD before it has a position; the DOCTYPE is where the fault is.
            var lines = new LineMap(text);
            throw new ManifestFormatException(lines.LineOf(doctype), lines.ColumnOf(doctype), "a DTD is not allowed in a manifest (its entities could expand without bound or read local files)", e);
        }
        catch (XmlException e)
        {
            throw new ManifestFormatException(Math.Max(1, e.LineNumber), Math.Max(1, e.LinePosition), $"not valid XML: {e.Message}", e);
        }
    }

    public static int LineOf(XObject node) => node is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 1;

    /// <summary>Child elements by local name, whatever the namespace (old-style MSBuild and Maven files declare one).</summary>
    public static IEnumerable<XElement> Children(this XContainer parent, string localName) =>
        parent.Elements().Where(e => e.Name.LocalName == localName);

    public static IEnumerable<XElement> DescendantsNamed(this XContainer parent, string localName) =>
        parent.Descendants().Where(e => e.Name.LocalName == localName);

    /// <summary>An attribute or, failing that, a child element's text (MSBuild accepts both for Version).</summary>
    public static string? AttributeOrChild(this XElement element, string name) =>
        element.Attribute(name)?.Value ?? element.Children(name).FirstOrDefault()?.Value;
}
