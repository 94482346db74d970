using System.Xml;
using System.Xml.Linq;
using SecureFuture.Core;

namespace SecureFuture.ThreatModeling.Tm7;

/// <summary>
/// Loads XML that may come from anyone. DTDs are refused outright (no billion-laughs entity expansion, no
/// external entities), nothing is resolved, and the document size is capped so that memory stays bounded.
/// </summary>
public static class SafeXml
{
    /// <summary>Threat models with many diagrams and the Azure template are a few MB; 256 MB characters is far above.</summary>
    public const long MaxCharactersInDocument = 256L * 1024 * 1024;

    /// <summary>A fresh instance each time, so that no caller can loosen the settings for everyone else.</summary>
    public static XmlReaderSettings CreateSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 1024,
        MaxCharactersInDocument = MaxCharactersInDocument,
        IgnoreWhitespace = false,
        IgnoreComments = false,
        CloseInput = false,
    };

    /// <summary>Loads with whitespace and line information kept; malformed XML is an <see cref="InputException"/> with line and column.</summary>
    public static XDocument Load(Stream stream, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayPath);
        try
        {
            using var reader = XmlReader.Create(stream, CreateSettings());
            return XDocument.Load(reader, LoadOptions.PreserveWhitespace | LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new InputException(displayPath, e.LineNumber == 0 ? null : e.LineNumber, e.LinePosition == 0 ? null : e.LinePosition, "malformed XML: " + e.Message, e);
        }
    }

    public static XDocument Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var stream = File.OpenRead(path);
            return Load(stream, path);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputException(path, null, null, "file not found", e);
        }
    }

    internal static XElement? Child(this XElement element, string localName)
    {
        foreach (var child in element.Elements())
        {
            if (string.Equals(child.Name.LocalName, localName, StringComparison.Ordinal))
            {
                return child;
            }
        }

        return null;
    }

    internal static IEnumerable<XElement> Children(this XElement? element, string localName) =>
        element is null ? [] : element.Elements().Where(e => string.Equals(e.Name.LocalName, localName, StringComparison.Ordinal));

    /// <summary>The text of a child, or null when it is missing or <c>i:nil="true"</c>.</summary>
    internal static string? ChildText(this XElement element, string localName)
    {
        var child = element.Child(localName);
        return child is null || IsNil(child) ? null : child.Value;
    }

    internal static bool IsNil(XElement element) =>
        element.Attributes().Any(a => a.Name.LocalName == "nil" && a.Name.NamespaceName == "http://www.w3.org/2001/XMLSchema-instance" && a.Value == "true");

    internal static Model.SourcePosition? PositionOf(XObject node) =>
        node is IXmlLineInfo info && info.HasLineInfo() ? new Model.SourcePosition(info.LineNumber, info.LinePosition) : null;
}
