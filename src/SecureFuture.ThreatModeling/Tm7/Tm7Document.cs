using System.Globalization;
using System.Text;
using System.Xml.Linq;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Tm7;

/// <summary>
/// A Threat Modeling Tool <c>.tm7</c> file. The whole XML infoset is kept (every GUID, property, layout value and
/// the embedded template), a typed <see cref="Model"/>, <see cref="Template"/> and <see cref="Threats"/> are read
/// from it, and <see cref="WithThreats"/> replaces only the threat list. <see cref="Save(Stream)"/> writes the
/// compact DataContract form the tool insists on: no XML declaration, no indentation, UTF-8 without BOM,
/// <c>&lt;x/&gt;</c> for empty elements.
/// </summary>
public sealed class Tm7Document
{
    internal static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    internal static readonly XNamespace Arrays = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
    internal static readonly XNamespace KnowledgeBaseNs = "http://schemas.datacontract.org/2004/07/ThreatModeling.KnowledgeBase";

    private readonly XDocument _xml;

    private Tm7Document(XDocument xml, string displayPath)
    {
        _xml = xml;
        SourcePath = displayPath;
        var root = xml.Root ?? throw new InputException(displayPath, null, null, "empty document");
        if (root.Name.LocalName != "ThreatModel")
        {
            var p = SafeXml.PositionOf(root);
            throw new InputException(displayPath, p?.Line, p?.Column, $"not a Threat Modeling Tool model: root element is '{root.Name.LocalName}', expected 'ThreatModel'");
        }

        var kb = root.Child("KnowledgeBase");
        Template = kb is null ? null : KnowledgeBaseReader.FromElement(kb, displayPath);
        Model = Tm7ModelReader.Read(root, Template, displayPath);
        Threats = [.. (root.Child("ThreatInstances")?.Elements() ?? []).Select(ReadThreat)];
        Model = Model with { RecordedThreats = [.. Threats.Select(Tm7Threats.ToThreat)] };
    }

    public string SourcePath { get; }

    public ThreatModel Model { get; }

    /// <summary>The template embedded in the file; null only for a file saved without one.</summary>
    public KnowledgeBase? Template { get; }

    public IReadOnlyList<Tm7Threat> Threats { get; }

    public static Tm7Document Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new Tm7Document(SafeXml.Load(path), path);
    }

    public static Tm7Document Load(Stream stream, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayPath);
        return new Tm7Document(SafeXml.Load(stream, displayPath), displayPath);
    }

    /// <summary>A copy of this document whose <c>ThreatInstances</c> are <paramref name="threats"/>, in that order.</summary>
    public Tm7Document WithThreats(IEnumerable<Tm7Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(threats);
        var copy = new XDocument(_xml);
        var root = copy.Root!;
        var instances = root.Child("ThreatInstances");
        if (instances is null)
        {
            instances = new XElement(root.Name.Namespace + "ThreatInstances", new XAttribute(XNamespace.Xmlns + "a", Arrays.NamespaceName));
            root.Add(instances);
        }

        instances.RemoveNodes();
        foreach (var threat in threats)
        {
            instances.Add(WriteThreat(threat));
        }

        return new Tm7Document(copy, SourcePath);
    }

    public void Save(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var bytes = ToBytes();
        output.Write(bytes);
    }

    /// <summary>Writes atomically (temp file + rename) as every SecureFuture output is.</summary>
    public Task SaveAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = ToBytes();
        return AtomicFile.WriteAsync(path, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), cancellationToken);
    }

    public byte[] ToBytes() => new UTF8Encoding(false).GetBytes(CompactXmlWriter.Write(_xml.Root!));

    private static Tm7Threat ReadThreat(XElement pair)
    {
        var v = pair.Child("Value") ?? throw new InputException("ThreatInstances entry without a Value");
        return new Tm7Threat
        {
            Key = pair.ChildText("Key") ?? string.Empty,
            ChangedBy = v.ChildText("ChangedBy"),
            DrawingSurfaceGuid = v.ChildText("DrawingSurfaceGuid") ?? string.Empty,
            FlowGuid = Tm7ModelReader.Guid(v, "FlowGuid"),
            Id = int.TryParse(v.ChildText("Id"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : 0,
            InteractionKey = v.ChildText("InteractionKey") ?? string.Empty,
            InteractionString = v.ChildText("InteractionString"),
            ModifiedAt = v.ChildText("ModifiedAt") ?? "0001-01-01T00:00:00",
            Priority = v.ChildText("Priority"),
            Properties = [.. v.Child("Properties").Children("KeyValueOfstringstring")
                .Select(p => new KeyValuePair<string, string?>(p.ChildText("Key") ?? string.Empty, p.ChildText("Value")))],
            SourceGuid = Tm7ModelReader.Guid(v, "SourceGuid"),
            State = v.ChildText("State") ?? "AutoGenerated",
            StateInformation = v.ChildText("StateInformation"),
            TargetGuid = Tm7ModelReader.Guid(v, "TargetGuid"),
            Title = v.ChildText("Title"),
            TypeId = v.ChildText("TypeId") ?? string.Empty,
            Upgraded = string.Equals(v.ChildText("Upgraded"), "true", StringComparison.Ordinal),
            UserThreatCategory = v.ChildText("UserThreatCategory"),
            UserThreatDescription = v.ChildText("UserThreatDescription"),
            UserThreatShortDescription = v.ChildText("UserThreatShortDescription"),
            Wide = string.Equals(v.ChildText("Wide"), "true", StringComparison.Ordinal),
        };
    }

    /// <summary>DataContract's layout of <c>KeyValueOfstringThreatpc_P0_PhOB</c> (members in alphabetical order).</summary>
    private static XElement WriteThreat(Tm7Threat t)
    {
        var b = KnowledgeBaseNs;
        return new XElement(
            Arrays + "KeyValueOfstringThreatpc_P0_PhOB",
            new XElement(Arrays + "Key", t.Key),
            new XElement(
                Arrays + "Value",
                new XAttribute(XNamespace.Xmlns + "b", b.NamespaceName),
                Text(b + "ChangedBy", t.ChangedBy),
                Text(b + "DrawingSurfaceGuid", t.DrawingSurfaceGuid),
                Text(b + "FlowGuid", t.FlowGuid),
                Text(b + "Id", t.Id.ToString(CultureInfo.InvariantCulture)),
                Text(b + "InteractionKey", t.InteractionKey),
                Text(b + "InteractionString", t.InteractionString),
                Text(b + "ModifiedAt", t.ModifiedAt),
                Text(b + "Priority", t.Priority),
                new XElement(b + "Properties", t.Properties.Select(p => new XElement(Arrays + "KeyValueOfstringstring", Text(Arrays + "Key", p.Key), Text(Arrays + "Value", p.Value)))),
                Text(b + "SourceGuid", t.SourceGuid),
                Text(b + "State", t.State),
                Text(b + "StateInformation", t.StateInformation),
                Text(b + "TargetGuid", t.TargetGuid),
                Text(b + "Title", t.Title),
                Text(b + "TypeId", t.TypeId),
                Text(b + "Upgraded", t.Upgraded ? "true" : "false"),
                Text(b + "UserThreatCategory", t.UserThreatCategory),
                Text(b + "UserThreatDescription", t.UserThreatDescription),
                Text(b + "UserThreatShortDescription", t.UserThreatShortDescription),
                Text(b + "Wide", t.Wide ? "true" : "false")));
    }

    private static XElement Text(XName name, string? value) =>
        value is null ? new XElement(name, new XAttribute(Xsi + "nil", "true"))
        : value.Length == 0 ? new XElement(name)
        : new XElement(name, value);
}
