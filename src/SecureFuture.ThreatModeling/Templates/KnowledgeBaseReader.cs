using System.Xml.Linq;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Tm7;

namespace SecureFuture.ThreatModeling.Templates;

/// <summary>
/// Reads the Threat Modeling Tool's template. A standalone <c>.tb7</c> is XmlSerializer XML with no namespace
/// (<c>ID</c>, <c>ParentElement</c>); the copy embedded in a <c>.tm7</c> is DataContract XML (<c>Id</c>,
/// <c>ParentId</c>). Both carry the same information, so elements are matched by local name.
/// </summary>
public static class KnowledgeBaseReader
{
    public static KnowledgeBase ReadTb7(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromElement(SafeXml.Load(path).Root ?? throw new InputException(path, null, null, "empty template"), path);
    }

    public static KnowledgeBase ReadTb7(Stream stream, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return FromElement(SafeXml.Load(stream, displayPath).Root ?? throw new InputException(displayPath, null, null, "empty template"), displayPath);
    }

    /// <summary>Reads a <c>KnowledgeBase</c> element of either dialect.</summary>
    public static KnowledgeBase FromElement(XElement root, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.Name.LocalName != "KnowledgeBase")
        {
            throw new InputException(displayPath, SafeXml.PositionOf(root)?.Line, SafeXml.PositionOf(root)?.Column, $"expected a KnowledgeBase element, found '{root.Name.LocalName}'");
        }

        var manifest = root.Child("Manifest");
        var name = manifest?.Attribute("name")?.Value ?? manifest?.ChildText("Name") ?? "template";
        var id = manifest?.Attribute("id")?.Value ?? manifest?.ChildText("Id");
        var version = manifest?.Attribute("version")?.Value ?? manifest?.ChildText("Version");
        var types = new List<ElementType>();
        foreach (var section in new[] { "GenericElements", "StandardElements" })
        {
            foreach (var e in root.Child(section).Children("ElementType"))
            {
                var typeId = e.ChildText("Id") ?? e.ChildText("ID");
                if (string.IsNullOrWhiteSpace(typeId))
                {
                    var p = SafeXml.PositionOf(e);
                    throw new InputException(displayPath, p?.Line, p?.Column, "element type without an id");
                }

                types.Add(new ElementType
                {
                    Id = typeId.Trim(),
                    Name = e.ChildText("Name") ?? typeId,
                    ParentId = (e.ChildText("ParentId") ?? e.ChildText("ParentElement"))?.Trim(),
                    Representation = e.ChildText("Representation"),
                    Attributes = [.. e.Child("Attributes").Children("Attribute").Select(a => new ElementProperty(
                        a.ChildText("Name") ?? string.Empty,
                        a.ChildText("DisplayName") ?? string.Empty,
                        [.. a.Child("AttributeValues").Children("Value").Select(v => v.Value)]))],
                });
            }
        }

        var categories = root.Child("ThreatCategories").Children("ThreatCategory")
            .Select(c => new ThreatCategory(c.ChildText("Id") ?? string.Empty, c.ChildText("Name") ?? string.Empty, c.ChildText("ShortDescription"), c.ChildText("LongDescription")))
            .ToList();
        var threats = new List<ThreatType>();
        foreach (var t in root.Child("ThreatTypes").Children("ThreatType"))
        {
            var filters = t.Child("GenerationFilters");
            var priority = t.Child("PropertiesMetaData").Children("ThreatMetaDatum")
                .FirstOrDefault(m => m.ChildText("Name") == "Priority")?.Child("Values").Children("Value").FirstOrDefault(v => !SafeXml.IsNil(v))?.Value;
            threats.Add(new ThreatType
            {
                Id = t.ChildText("Id") ?? string.Empty,
                Title = t.ChildText("ShortTitle") ?? string.Empty,
                Description = t.ChildText("Description") ?? string.Empty,
                CategoryId = t.ChildText("Category") ?? string.Empty,
                Include = filters?.ChildText("Include") ?? string.Empty,
                Exclude = filters?.ChildText("Exclude"),
                Severity = SeverityExtensions.TryParseSeverity(priority, out var s) ? s : Severity.High,
            });
        }

        return new KnowledgeBase(name, id, version, types, categories, threats);
    }
}
