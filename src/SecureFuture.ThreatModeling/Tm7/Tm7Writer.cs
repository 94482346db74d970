using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Interop;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Tm7;

/// <summary>
/// Creates a new Threat Modeling Tool <c>.tm7</c> from any model: one drawing surface per diagram (one for a model
/// without diagrams), elements as stencils of the template's types, flows as connectors, border boundaries as
/// border stencils (around their members when the model lists members), line boundaries as lines, properties the
/// template declares as list attributes and the others as string attributes, the threats as ThreatInstances and
/// the template embedded. Ids that are not GUIDs (YAML ids) become deterministic GUIDs, see <see cref="GuidFor"/>.
/// </summary>
public static class Tm7Writer
{
    private const string OutOfScopeName = "71f3d9aa-b8ef-4e54-8126-607a1d903103";
    private const string ReasonName = "752473b6-52d4-4776-9a24-202153f7d579";

    private static readonly XNamespace M = "http://schemas.datacontract.org/2004/07/ThreatModeling.Model";
    private static readonly XNamespace Abs = "http://schemas.datacontract.org/2004/07/ThreatModeling.Model.Abstracts";
    private static readonly XNamespace Arr = Tm7Document.Arrays;
    private static readonly XNamespace Kb = Tm7Document.KnowledgeBaseNs;
    private static readonly XNamespace Xsi = Tm7Document.Xsi;
    private static readonly XNamespace Ser = "http://schemas.microsoft.com/2003/10/Serialization/";
    private static readonly XNamespace Xs = "http://www.w3.org/2001/XMLSchema";
    private static readonly XNamespace Interfaces = "http://schemas.datacontract.org/2004/07/ThreatModeling.Interfaces";

    /// <summary>
    /// Creates a <c>.tm7</c> embedding <paramref name="template"/>, serialized from the typed template (element
    /// types with their attributes, categories, threat types with their filters and priority). Use this for a
    /// model whose template did not come from a <c>.tm7</c> (the default catalogue, a YAML model).
    /// </summary>
    public static Tm7Document Create(ThreatModel model, KnowledgeBase template, IReadOnlyList<Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Build(model, template, TemplateXml(template), threats);
    }

    /// <summary>
    /// Creates a <c>.tm7</c> embedding the template of <paramref name="templateSource"/> exactly as that file holds
    /// it (every GUID, image and attribute the tool wrote).
    /// </summary>
    public static Tm7Document Create(ThreatModel model, Tm7Document templateSource, IReadOnlyList<Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(templateSource);
        var template = templateSource.Template ?? throw new ArgumentException("the document has no embedded template", nameof(templateSource));
        using var stream = new MemoryStream(templateSource.ToBytes());
        var root = SafeXml.Load(stream, templateSource.SourcePath).Root!;
        var kb = root.Child("KnowledgeBase") ?? throw new ArgumentException("the document has no embedded template", nameof(templateSource));
        return Build(model, template, new XElement(kb), threats);
    }

    /// <summary>
    /// Creates a <c>.tm7</c> from a loaded model: a model loaded from a <c>.tm7</c> embeds that file's template
    /// verbatim, any other model embeds <see cref="LoadedModel.Template"/> serialized from its typed form.
    /// </summary>
    public static Tm7Document Create(LoadedModel loaded, IReadOnlyList<Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        return loaded.Tm7 is { Template: not null } tm7 ? Create(loaded.Model, tm7, threats) : Create(loaded.Model, loaded.Template, threats);
    }

    /// <summary>The GUID an element, flow, boundary or diagram id gets in the file: itself when it is a GUID, else a name-based GUID.</summary>
    public static string GuidFor(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Guid.TryParseExact(id, "D", out _))
        {
            return id;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("securefuture:" + id));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D", CultureInfo.InvariantCulture);
    }

    private static Tm7Document Build(ThreatModel model, KnowledgeBase template, XElement knowledgeBase, IReadOnlyList<Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(threats);
        var diagrams = model.Diagrams.Count > 0 ? model.Diagrams : [new Diagram(GuidFor("diagram:" + model.Name), "Diagram 1")];
        var first = diagrams[0].Id;
        string DiagramOf(string? id) => id is not null && diagrams.Any(d => d.Id == id) ? id : first;

        var statics = StaticAttributes(knowledgeBase);
        var nextId = 1;
        var surfaces = new XElement(M + "DrawingSurfaceList");
        var flowDiagram = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var diagram in diagrams)
        {
            var elements = model.Elements.Where(e => DiagramOf(e.DiagramId) == diagram.Id).ToList();
            var flows = model.Flows.Where(f => DiagramOf(f.DiagramId) == diagram.Id).ToList();
            var boundaries = model.Boundaries.Where(b => DiagramOf(b.DiagramId) == diagram.Id).ToList();
            var boxes = ThreatDragonWriter.Layout(elements, boundaries, model.Boundaries);
            var surface = new XElement(
                M + "DrawingSurfaceModel",
                new XAttribute(Ser + "Id", Zid(nextId++)),
                new XAttribute(XNamespace.Xmlns + "z", Ser.NamespaceName),
                AbsText("GenericTypeId", "DRAWINGSURFACE"),
                AbsText("Guid", GuidFor(diagram.Id)),
                new XElement(Abs + "Properties", new XAttribute("xmlns", Abs.NamespaceName), new XAttribute(XNamespace.Xmlns + "a", Arr.NamespaceName), Header("Diagram"), StringAttribute("Name", string.Empty, diagram.Name)),
                AbsText("TypeId", "DRAWINGSURFACE"));
            var borders = new XElement(M + "Borders", new XAttribute(XNamespace.Xmlns + "a", Arr.NamespaceName));
            foreach (var element in elements)
            {
                var box = boxes.TryGetValue(element.Id, out var b) ? b : new Rect(0, 0, 100, 100);
                var (generic, xsiType) = element.Kind switch
                {
                    ElementKind.Process => ("GE.P", "StencilEllipse"),
                    ElementKind.DataStore => ("GE.DS", "StencilParallelLines"),
                    ElementKind.Annotation => ("GE.A", "StencilAnnotation"),
                    _ => ("GE.EI", "StencilRectangle"),
                };
                borders.Add(Entry(element.Id, Shape(ref nextId, xsiType, element.Id, element.TypeId, element.GenericTypeId, generic, element.Name, element.Properties, template, statics, box, null)));
            }

            foreach (var boundary in boundaries.Where(b => b.Shape == BoundaryShape.Border || b.Start is null))
            {
                if ((boundary.Bounds ?? ThreatDragonWriter.MemberBox(boundary, boxes, model.Boundaries)) is not { } box)
                {
                    continue;
                }

                borders.Add(Entry(boundary.Id, Shape(ref nextId, "BorderBoundary", boundary.Id, boundary.TypeId, boundary.GenericTypeId, "GE.TB.B", boundary.Name, boundary.Properties, template, statics, box, "1")));
            }

            var lines = new XElement(M + "Lines", new XAttribute(XNamespace.Xmlns + "a", Arr.NamespaceName));
            foreach (var flow in flows)
            {
                flowDiagram[flow.Id] = GuidFor(diagram.Id);
                var source = boxes.TryGetValue(flow.SourceId, out var s) ? s : new Rect(0, 0, 100, 100);
                var target = boxes.TryGetValue(flow.TargetId, out var t) ? t : new Rect(0, 0, 100, 100);
                var (start, portSource, end, portTarget) = flow.Start is { } fs && flow.End is { } fe
                    ? (fs, PortOf(source, fs), fe, PortOf(target, fe))
                    : Ports(source, target);
                var handle = flow.Handle ?? new Point((start.X + end.X) / 2, (start.Y + end.Y) / 2);
                lines.Add(Entry(flow.Id, Line(ref nextId, "Connector", flow.Id, flow.TypeId, flow.GenericTypeId, "GE.DF", flow.Name, flow.Properties, template, statics, start, end, handle, portSource, portTarget, GuidFor(flow.SourceId), GuidFor(flow.TargetId))));
            }

            foreach (var boundary in boundaries.Where(b => b.Shape == BoundaryShape.Line && b.Start is not null))
            {
                var start = boundary.Start!.Value;
                var end = boundary.End ?? start;
                var handle = boundary.Handle ?? new Point((start.X + end.X) / 2, (start.Y + end.Y) / 2);
                lines.Add(Entry(boundary.Id, Line(ref nextId, "LineBoundary", boundary.Id, boundary.TypeId, boundary.GenericTypeId, "GE.TB.L", boundary.Name, boundary.Properties, template, statics, start, end, handle, "None", "None", Guid.Empty.ToString("D"), Guid.Empty.ToString("D"))));
            }

            surface.Add(InFileOrder(borders, model), new XElement(M + "Header", diagram.Name), InFileOrder(lines, model), new XElement(M + "Zoom", "1"));
            surfaces.Add(surface);
        }

        knowledgeBase.SetAttributeValue(Ser + "Id", Zid(nextId));
        if (knowledgeBase.Attribute(XNamespace.Xmlns + "z") is null)
        {
            knowledgeBase.Add(new XAttribute(XNamespace.Xmlns + "z", Ser.NamespaceName));
        }

        var root = new XElement(
            M + "ThreatModel",
            new XAttribute("xmlns", M.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "i", Xsi.NamespaceName),
            surfaces,
            new XElement(
                M + "MetaInformation",
                new XElement(M + "Assumptions"),
                new XElement(M + "Contributors"),
                new XElement(M + "ExternalDependencies"),
                new XElement(M + "HighLevelSystemDescription", model.Description ?? string.Empty),
                new XElement(M + "Owner"),
                new XElement(M + "Reviewer"),
                new XElement(M + "ThreatModelName", model.Name)),
            new XElement(M + "Notes"),
            new XElement(M + "ThreatInstances", new XAttribute(XNamespace.Xmlns + "a", Arr.NamespaceName)),
            new XElement(M + "ThreatGenerationEnabled", "true"),
            new XElement(M + "Validations", new XAttribute(XNamespace.Xmlns + "a", Kb.NamespaceName)),
            new XElement(M + "Version", "4.3"),
            knowledgeBase,
            new XElement(M + "Profile", new XElement(XNamespace.None + "PromptedKb", new XAttribute("xmlns", string.Empty))));

        // Object ids in document order, as the serializer numbers them.
        var zid = 1;
        foreach (var element in root.DescendantsAndSelf().Where(e => e.Attribute(Ser + "Id") is not null))
        {
            element.SetAttributeValue(Ser + "Id", Zid(zid++));
        }

        // DataContract writes an empty string as <x/>.
        foreach (var element in root.DescendantsAndSelf().Where(e => !e.IsEmpty && !e.HasElements && e.Value.Length == 0))
        {
            element.RemoveNodes();
        }

        var displayPath = model.SourcePath is { } p ? Path.ChangeExtension(p, ".tm7") : model.Name + ".tm7";
        using var stream = new MemoryStream(new UTF8Encoding(false).GetBytes(CompactXmlWriter.Write(root)));
        var document = Tm7Document.Load(stream, displayPath);
        var flowNames = model.Flows.ToDictionary(f => f.Id, f => f.Name, StringComparer.Ordinal);
        var tm7Threats = threats.Select((t, i) => ToTm7(t, i + 1, template, flowNames, flowDiagram)).ToList();
        return document.WithThreats(tm7Threats);
    }

    private static Tm7Threat ToTm7(Threat threat, int id, KnowledgeBase template, Dictionary<string, string> flowNames, Dictionary<string, string> flowDiagram)
    {
        var key = new ThreatKey(threat.RuleId, GuidFor(threat.Key.SourceId), GuidFor(threat.Key.FlowId), GuidFor(threat.Key.TargetId));
        var category = template.Categories.FirstOrDefault(c => c.Name == threat.Category);
        var priority = threat.Severity switch
        {
            Severity.Critical or Severity.High => "High",
            Severity.Medium => "Medium",
            _ => "Low",
        };
        var flowName = flowNames.GetValueOrDefault(threat.Key.FlowId);
        return new Tm7Threat
        {
            Key = Tm7Threats.ToolKey(key),
            DrawingSurfaceGuid = flowDiagram.GetValueOrDefault(threat.Key.FlowId) ?? (threat.DiagramId is { } d ? GuidFor(d) : string.Empty),
            FlowGuid = key.FlowId,
            Id = id,
            InteractionKey = key.Interaction,
            Priority = priority,
            Properties =
            [
                new("Title", threat.Title),
                new("UserThreatCategory", threat.Category),
                new("UserThreatShortDescription", category?.ShortDescription),
                new("UserThreatDescription", threat.Description),
                new("InteractionString", flowName),
                new("Priority", priority),
            ],
            SourceGuid = key.SourceId,
            State = Tm7Threats.ToolState(threat.State),
            StateInformation = threat.Justification,
            TargetGuid = key.TargetId,
            TypeId = threat.RuleId,
        };
    }

    private static (Point Start, string PortSource, Point End, string PortTarget) Ports(Rect source, Rect target)
    {
        var dx = target.Center.X - source.Center.X;
        var dy = target.Center.Y - source.Center.Y;
        if (Math.Abs(dx) >= Math.Abs(dy))
        {
            return dx >= 0
                ? (new Point(source.Left + source.Width, source.Center.Y), "East", new Point(target.Left, target.Center.Y), "West")
                : (new Point(source.Left, source.Center.Y), "West", new Point(target.Left + target.Width, target.Center.Y), "East");
        }

        return dy >= 0
            ? (new Point(source.Center.X, source.Top + source.Height), "South", new Point(target.Center.X, target.Top), "North")
            : (new Point(source.Center.X, source.Top), "North", new Point(target.Center.X, target.Top + target.Height), "South");
    }

    /// <summary>The side of <paramref name="box"/> nearest to <paramref name="p"/>, the tool's anchor name.</summary>
    private static string PortOf(Rect box, Point p)
    {
        var sides = new[]
        {
            (Math.Abs(p.X - (box.Left + box.Width)), "East"),
            (Math.Abs(p.X - box.Left), "West"),
            (Math.Abs(p.Y - box.Top), "North"),
            (Math.Abs(p.Y - (box.Top + box.Height)), "South"),
        };
        return sides.MinBy(s => s.Item1).Item2;
    }

    /// <summary>Stencils, connectors and boundaries in the order the model was read (a re-saved <c>.tm7</c> keeps the tool's order).</summary>
    private static XElement InFileOrder(XElement lines, ThreatModel model)
    {
        var positions = model.Flows.Select(f => (f.Id, f.Position)).Concat(model.Elements.Select(e => (e.Id, e.Position))).Concat(model.Boundaries.Select(b => (b.Id, b.Position)))
            .Where(p => p.Position is not null)
            .GroupBy(p => GuidFor(p.Id), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Position!, StringComparer.Ordinal);
        var entries = lines.Elements().ToList();
        if (!entries.All(e => positions.ContainsKey(e.Elements().First().Value)))
        {
            return lines;
        }

        var ordered = entries.OrderBy(e => positions[e.Elements().First().Value].Line).ThenBy(e => positions[e.Elements().First().Value].Column).ToList();
        lines.RemoveNodes();
        lines.Add(ordered);
        return lines;
    }

    private static string Zid(int n) => "i" + n.ToString(CultureInfo.InvariantCulture);

    private static XElement Entry(string id, XElement value) =>
        new(Arr + "KeyValueOfguidanyType", new XElement(Arr + "Key", GuidFor(id)), value);

    private static XElement Shape(ref int nextId, string xsiType, string id, string typeId, string? modelGeneric, string generic, string name, IReadOnlyDictionary<string, string> properties, KnowledgeBase template, HashSet<string> statics, Rect box, string? dash)
    {
        var (type, gen) = Types(template, typeId, modelGeneric, generic);
        return new XElement(
            Arr + "Value",
            new XAttribute(Ser + "Id", Zid(nextId++)),
            new XAttribute(Xsi + "type", xsiType),
            AbsText("GenericTypeId", gen),
            AbsText("Guid", GuidFor(id)),
            Properties(template, statics, xsiType is "BorderBoundary" or "LineBoundary", type, name, properties),
            AbsText("TypeId", type),
            AbsText("Height", N(box.Height)),
            AbsText("Left", N(box.Left)),
            dash is null ? new XElement(Abs + "StrokeDashArray", new XAttribute(Xsi + "nil", "true"), new XAttribute("xmlns", Abs.NamespaceName)) : AbsText("StrokeDashArray", dash),
            AbsText("StrokeThickness", "1"),
            AbsText("Top", N(box.Top)),
            AbsText("Width", N(box.Width)));
    }

    private static XElement Line(ref int nextId, string xsiType, string id, string typeId, string? modelGeneric, string generic, string name, IReadOnlyDictionary<string, string> properties, KnowledgeBase template, HashSet<string> statics, Point start, Point end, Point handle, string portSource, string portTarget, string sourceGuid, string targetGuid)
    {
        var (type, gen) = Types(template, typeId, modelGeneric, generic);
        return new XElement(
            Arr + "Value",
            new XAttribute(Ser + "Id", Zid(nextId++)),
            new XAttribute(Xsi + "type", xsiType),
            AbsText("GenericTypeId", gen),
            AbsText("Guid", GuidFor(id)),
            Properties(template, statics, xsiType is "BorderBoundary" or "LineBoundary", type, name, properties),
            AbsText("TypeId", type),
            AbsText("HandleX", N(handle.X)),
            AbsText("HandleY", N(handle.Y)),
            AbsText("PortSource", portSource),
            AbsText("PortTarget", portTarget),
            AbsText("SourceGuid", sourceGuid),
            AbsText("SourceX", N(start.X)),
            AbsText("SourceY", N(start.Y)),
            AbsText("TargetGuid", targetGuid),
            AbsText("TargetX", N(end.X)),
            AbsText("TargetY", N(end.Y)));
    }

    /// <summary>
    /// The element's own type when the template has it, else the generic type. The generic type is the model's, else
    /// the type's top ancestor below ROOT in the template, else the kind's generic type.
    /// </summary>
    private static (string Type, string Generic) Types(KnowledgeBase template, string typeId, string? modelGeneric, string fallback)
    {
        var known = template.FindType(typeId);
        var type = known is not null ? typeId : modelGeneric ?? fallback;
        if (modelGeneric is not null)
        {
            return (type, modelGeneric);
        }

        var top = known;
        for (var depth = 0; top?.ParentId is { } parent && parent != KnowledgeBase.Root && template.FindType(parent) is { } next && depth < 64; depth++)
        {
            top = next;
        }

        return (type, top?.Id ?? fallback);
    }

    private static XElement Properties(KnowledgeBase template, HashSet<string> statics, bool isBoundary, string typeId, string name, IReadOnlyDictionary<string, string> properties)
    {
        var result = new XElement(Abs + "Properties", new XAttribute("xmlns", Abs.NamespaceName));
        result.Add(Header(template.FindType(typeId)?.Name ?? name));
        result.Add(StringAttribute("Name", string.Empty, name));
        if (!isBoundary || properties.ContainsKey(OutOfScopeName))
        {
            result.Add(BooleanAttribute("Out Of Scope", OutOfScopeName, properties.GetValueOrDefault(OutOfScopeName)?.Trim().ToUpperInvariant() is "TRUE" or "YES"));
            result.Add(StringAttribute("Reason For Out Of Scope", ReasonName, properties.GetValueOrDefault(ReasonName) ?? string.Empty));
        }

        var written = new HashSet<string>(StringComparer.Ordinal) { OutOfScopeName, ReasonName };
        var chain = new List<ElementType>();
        for (var type = template.FindType(typeId); type is not null && chain.Count < 64 && !chain.Contains(type); type = type.ParentId is { } parent ? template.FindType(parent) : null)
        {
            chain.Add(type);
        }

        // The tool lists a type's predefined (static) attributes first, then the configurable ones type by type.
        var fixedOnes = chain.SelectMany(t => t.Attributes.Where(a => statics.Contains(t.Id + "\u0001" + a.Name))).Where(a => properties.ContainsKey(a.Name)).ToList();
        if (fixedOnes.Count > 0)
        {
            result.Add(Header("Predefined Static Attributes"));
            foreach (var attribute in fixedOnes.Where(a => written.Add(a.Name)))
            {
                var index = attribute.Values.ToList().IndexOf(properties[attribute.Name]);
                result.Add(index >= 0 ? ListAttribute(attribute.DisplayName, attribute.Name, attribute.Values, index, "StaticListDisplayAttribute") : StringAttribute(attribute.DisplayName, attribute.Name, properties[attribute.Name]));
            }
        }

        var headerWritten = false;
        foreach (var type in chain)
        {
            var declared = type.Attributes.Where(a => properties.ContainsKey(a.Name) && !written.Contains(a.Name)).ToList();
            if (!headerWritten && (declared.Count > 0 || chain.Count > 1))
            {
                result.Add(Header("Configurable Attributes"));
                headerWritten = true;
            }

            if (type != chain[0])
            {
                result.Add(Header("As " + type.Name));
            }

            foreach (var attribute in declared.Where(a => written.Add(a.Name)))
            {
                var value = properties[attribute.Name];
                var index = attribute.Values.ToList().IndexOf(value);
                result.Add(index >= 0 ? ListAttribute(attribute.DisplayName, attribute.Name, attribute.Values, index) : StringAttribute(attribute.DisplayName, attribute.Name, value));
            }
        }

        foreach (var (key, value) in properties.Where(p => !written.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            result.Add(StringAttribute(key, key, value));
        }

        return result;
    }

    private static XElement Attribute(string kind, string displayName, string name, params object[] value) =>
        new(
            Arr + "anyType",
            new XAttribute(Xsi + "type", "b:" + kind),
            new XAttribute(XNamespace.Xmlns + "b", Kb.NamespaceName),
            new XElement(Kb + "DisplayName", displayName),
            new XElement(Kb + "Name", name),
            value);

    private static XElement Header(string displayName) =>
        Attribute("HeaderDisplayAttribute", displayName, string.Empty, new XElement(Kb + "Value", new XAttribute(Xsi + "nil", "true")));

    private static XElement StringAttribute(string displayName, string name, string value) =>
        Attribute("StringDisplayAttribute", displayName, name, new XElement(Kb + "Value", new XAttribute(Xsi + "type", "c:string"), new XAttribute(XNamespace.Xmlns + "c", Xs.NamespaceName), value));

    private static XElement BooleanAttribute(string displayName, string name, bool value) =>
        Attribute("BooleanDisplayAttribute", displayName, name, new XElement(Kb + "Value", new XAttribute(Xsi + "type", "c:boolean"), new XAttribute(XNamespace.Xmlns + "c", Xs.NamespaceName), value ? "true" : "false"));

    private static XElement ListAttribute(string displayName, string name, IReadOnlyList<string> values, int selected, string kind = "ListDisplayAttribute") =>
        Attribute(
            kind,
            displayName,
            name,
            new XElement(Kb + "Value", new XAttribute(Xsi + "type", "a:ArrayOfstring"), values.Select(v => new XElement(Arr + "string", v))),
            new XElement(Kb + "SelectedIndex", selected.ToString(CultureInfo.InvariantCulture)));

    private static XElement AbsText(string name, string value) => new(Abs + name, new XAttribute("xmlns", Abs.NamespaceName), value);

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The DataContract form of a typed template, as embedded in a <c>.tm7</c>.</summary>
    private static XElement TemplateXml(KnowledgeBase template)
    {
        var a = Kb;
        XElement Type(ElementType t) => new(
            a + "ElementType",
            new XElement(a + "IsExtension", "false"),
            new XElement(
                a + "Attributes",
                t.Attributes.Select(p => new XElement(
                    a + "Attribute",
                    new XElement(a + "IsExtension", "false"),
                    new XElement(a + "AttributeValues", new XAttribute(XNamespace.Xmlns + "b", Interfaces.NamespaceName), p.Values.Select(v => new XElement(Interfaces + "Value", v))),
                    new XElement(a + "DisplayName", p.DisplayName),
                    new XElement(a + "Inheritance", "Virtual"),
                    new XElement(a + "Mode", "Dynamic"),
                    new XElement(a + "Name", p.Name),
                    new XElement(a + "Type", "List")))),
            new XElement(a + "AvailableToBaseModels", new XAttribute(XNamespace.Xmlns + "b", "http://schemas.datacontract.org/2004/07/ThreatModeling.ExternalStorage.OM")),
            new XElement(a + "Behavior", new XAttribute(Xsi + "nil", "true")),
            new XElement(a + "Description", string.Empty),
            new XElement(a + "Hidden", "false"),
            new XElement(a + "Id", t.Id),
            new XElement(a + "ImageLocation", template.IsA(t.Id, "GE.P") ? "Centered on stencil" : template.IsA(t.Id, "GE.EI") || template.IsA(t.Id, "GE.DS") ? "Lower right of stencil" : "Before label"),
            new XElement(a + "ImageSource", new XAttribute(Xsi + "nil", "true")),
            new XElement(a + "ImageStream", new XAttribute(Xsi + "nil", "true")),
            new XElement(a + "Name", t.Name),
            new XElement(a + "ParentId", t.ParentId ?? KnowledgeBase.Root),
            new XElement(a + "Representation", t.Representation ?? RepresentationOf(template, t.Id)),
            new XElement(a + "Shape", new XAttribute(Xsi + "nil", "true")));

        XElement Datum(string name, string label, string? value) => new(
            M + "ThreatMetaDatum",
            new XElement(M + "Name", name),
            new XElement(M + "Label", label),
            new XElement(M + "HideFromUI", "false"),
            new XElement(M + "Values", new XAttribute(XNamespace.Xmlns + "b", Arr.NamespaceName), value is null ? new XElement(Arr + "string", new XAttribute(Xsi + "nil", "true")) : new XElement(Arr + "string", value)),
            new XElement(M + "Id", GuidFor("meta:" + name)));

        bool IsGeneric(ElementType t) => t.ParentId is null || t.ParentId == KnowledgeBase.Root;
        return new XElement(
            M + "KnowledgeBase",
            new XAttribute(XNamespace.Xmlns + "a", a.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "z", Ser.NamespaceName),
            new XElement(a + "GenericElements", template.ElementTypes.Where(IsGeneric).Select(Type)),
            new XElement(
                a + "Manifest",
                new XElement(a + "Author", "SecureFuture"),
                new XElement(a + "Id", template.Id ?? GuidFor("template:" + template.Name)),
                new XElement(a + "Name", template.Name),
                new XElement(a + "Version", template.Version ?? "1.0")),
            new XElement(a + "StandardElements", template.ElementTypes.Where(t => !IsGeneric(t)).Select(Type)),
            new XElement(
                a + "ThreatCategories",
                template.Categories.Select(c => new XElement(
                    a + "ThreatCategory",
                    new XElement(a + "IsExtension", "false"),
                    new XElement(a + "Id", c.Id),
                    new XElement(a + "LongDescription", c.LongDescription ?? string.Empty),
                    new XElement(a + "Name", c.Name),
                    new XElement(a + "ShortDescription", c.ShortDescription ?? string.Empty)))),
            new XElement(
                a + "ThreatMetaData",
                new XElement(M + "IsPriorityUsed", "true"),
                new XElement(M + "IsStatusUsed", "true"),
                new XElement(M + "PropertiesMetaData", Datum("Title", "Title", string.Empty), Datum("UserThreatDescription", "Description", string.Empty), Datum("Priority", "Priority", null))),
            new XElement(
                a + "ThreatTypes",
                template.ThreatTypes.Select(t => new XElement(
                    a + "ThreatType",
                    new XElement(a + "IsExtension", "false"),
                    new XElement(a + "Category", t.CategoryId),
                    new XElement(a + "Description", t.Description),
                    new XElement(
                        a + "GenerationFilters",
                        new XElement(a + "Exclude", t.Exclude ?? string.Empty),
                        new XElement(a + "Include", t.Include)),
                    new XElement(a + "Id", t.Id),
                    new XElement(
                        a + "PropertiesMetaData",
                        Datum("UserThreatDescription", "Description", t.Description),
                        Datum("Priority", "Priority", t.Severity.ToString())),
                    new XElement(a + "RelatedCategory"),
                    new XElement(a + "ShortTitle", t.Title)))));
    }

    /// <summary><c>typeId U+0001 attributeName</c> of every attribute the template marks <c>Mode = Static</c>.</summary>
    private static HashSet<string> StaticAttributes(XElement knowledgeBase)
    {
        var result = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in knowledgeBase.Elements().Where(e => e.Name.LocalName is "GenericElements" or "StandardElements").SelectMany(e => e.Elements()))
        {
            var id = type.ChildText("Id") ?? type.ChildText("ID");
            foreach (var attribute in type.Child("Attributes").Children("Attribute").Where(a => a.ChildText("Mode") == "Static"))
            {
                result.Add(id + "\u0001" + attribute.ChildText("Name"));
            }
        }

        return result;
    }

    private static string RepresentationOf(KnowledgeBase template, string typeId) =>
        template.IsA(typeId, "GE.P") ? "Ellipse"
        : template.IsA(typeId, "GE.DS") ? "ParallelLines"
        : template.IsA(typeId, "GE.DF") ? "Line"
        : template.IsA(typeId, "GE.TB.L") ? "LineBoundary"
        : template.IsA(typeId, "GE.A") ? "Annotation"
        : template.IsA(typeId, "GE.TB.B") ? "BorderBoundary"
        : "Rectangle";
}
