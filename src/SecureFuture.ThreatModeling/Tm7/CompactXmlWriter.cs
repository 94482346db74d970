using System.Text;
using System.Xml.Linq;

namespace SecureFuture.ThreatModeling.Tm7;

/// <summary>
/// Writes an element tree the way .NET's DataContract serializer does: no declaration, no indentation,
/// <c>&lt;x/&gt;</c> (no space) for empty elements, namespace prefixes as declared in the tree. XmlWriter is not
/// used because it writes <c>&lt;x /&gt;</c>, which the tool reads but which would make every round trip differ.
/// </summary>
internal static class CompactXmlWriter
{
    public static string Write(XElement root)
    {
        var output = new StringBuilder(1 << 16);
        WriteElement(output, root);
        return output.ToString();
    }

    private static void WriteElement(StringBuilder output, XElement element)
    {
        var name = QualifiedName(element, element.Name, isAttribute: false);
        output.Append('<').Append(name);
        foreach (var attribute in element.Attributes())
        {
            output.Append(' ');
            if (attribute.IsNamespaceDeclaration)
            {
                output.Append(attribute.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + attribute.Name.LocalName);
            }
            else
            {
                output.Append(QualifiedName(element, attribute.Name, isAttribute: true));
            }

            output.Append("=\"");
            Escape(output, attribute.Value, inAttribute: true);
            output.Append('"');
        }

        if (element.IsEmpty)
        {
            output.Append("/>");
            return;
        }

        output.Append('>');
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XElement child:
                    WriteElement(output, child);
                    break;
                case XCData cdata:
                    output.Append("<![CDATA[").Append(cdata.Value).Append("]]>");
                    break;
                case XText text:
                    Escape(output, text.Value, inAttribute: false);
                    break;
                case XComment comment:
                    output.Append("<!--").Append(comment.Value).Append("-->");
                    break;
                case XProcessingInstruction pi:
                    output.Append("<?").Append(pi.Target).Append(' ').Append(pi.Data).Append("?>");
                    break;
                default:
                    break;
            }
        }

        output.Append("</").Append(name).Append('>');
    }

    /// <summary>Finds the nearest declaration of the name's namespace, as the original writer chose it.</summary>
    private static string QualifiedName(XElement scope, XName name, bool isAttribute)
    {
        if (name.Namespace == XNamespace.None)
        {
            return name.LocalName;
        }

        if (name.Namespace == XNamespace.Xml)
        {
            return "xml:" + name.LocalName;
        }

        for (var e = scope; e is not null; e = e.Parent)
        {
            foreach (var declaration in e.Attributes())
            {
                if (!declaration.IsNamespaceDeclaration || declaration.Value != name.NamespaceName)
                {
                    continue;
                }

                var isDefault = declaration.Name.Namespace == XNamespace.None;
                if (isDefault && !isAttribute)
                {
                    return name.LocalName;
                }

                if (!isDefault)
                {
                    return declaration.Name.LocalName + ":" + name.LocalName;
                }
            }
        }

        throw new InvalidOperationException($"No prefix is declared for namespace '{name.NamespaceName}'.");
    }

    private static void Escape(StringBuilder output, string value, bool inAttribute)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '&': output.Append("&amp;"); break;
                case '<': output.Append("&lt;"); break;
                case '>': output.Append("&gt;"); break;
                case '\r': output.Append("&#xD;"); break;
                case '"' when inAttribute: output.Append("&quot;"); break;
                case '\n' when inAttribute: output.Append("&#xA;"); break;
                case '\t' when inAttribute: output.Append("&#x9;"); break;
                default: output.Append(c); break;
            }
        }
    }
}
