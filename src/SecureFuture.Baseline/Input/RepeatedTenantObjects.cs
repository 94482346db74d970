using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SecureFuture.Core;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// The same tenant object read from two exports (a Conditional Access policy in Graph's
/// <c>conditionalAccessPolicies.json</c> and again in ScubaGear's <c>ProviderSettingsExport.json</c>) is one object:
/// evaluated once, listed once in evidence. Two copies are the same object when they have the same Graph type and id
/// and the same content once the exports' differences of form are set aside (key case, OData annotations, null or
/// empty values, ScubaGear's <c>AdditionalProperties</c>). Copies whose content differs (exports taken at different
/// times) are both kept and a warning says so: which one is current cannot be known, and dropping either could hide
/// the failure a control exists to catch.
/// </summary>
/// <remarks>
/// Only a digest of each object's content is kept (32 bytes per Graph object), so that a large export read as a
/// stream is not held whole. Objects without an id of their own (named by their position in a file) are never merged.
/// </remarks>
internal sealed class RepeatedTenantObjects
{
    public const string NotificationId = "baseline/repeated-object";

    private readonly Dictionary<(string Type, string Id), (byte[] Digest, SourceLocation First)> _seen = new(KeyComparer.Instance);
    private readonly List<Notification> _notifications = [];

    private int _merged;
    private string? _firstMerge;

    /// <summary>Warnings of copies that disagree, in input order, then one note counting the copies merged.</summary>
    public IReadOnlyList<Notification> Notifications => _merged == 0 ? _notifications :
        [.. _notifications, new Notification(NotificationId, NotificationLevel.Note,
            $"{_merged} tenant object(s) were read twice with the same content and evaluated once (first: {_firstMerge})")];

    /// <summary>
    /// True when <paramref name="resource"/> repeats an object already read with the same content: it is not kept.
    /// </summary>
    public bool IsRepeat(TenantResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!resource.Type.StartsWith(GraphTypes.Prefix, StringComparison.Ordinal) || IsPositional(resource))
        {
            return false;
        }

        var digest = Digest(resource.Json is { } json ? CompactJson.ParseObject(json) : resource.Data);
        var key = (resource.Type, resource.Id);
        if (!_seen.TryGetValue(key, out var first))
        {
            _seen[key] = (digest, resource.Source);
            return false;
        }

        var name = resource.Name is { Length: > 0 } n ? $"'{n}' ({resource.Id})" : resource.Id;
        if (first.Digest.AsSpan().SequenceEqual(digest))
        {
            _merged++;
            _firstMerge ??= $"{resource.Type} {name} at {first.First} and {resource.Source}";
            return true;
        }

        _notifications.Add(new Notification(NotificationId, NotificationLevel.Warning,
            $"{resource.Source}: {resource.Type} {name} differs from the copy at {first.First}; both are evaluated (export both at the same time to compare like with like)")
        {
            Path = resource.Source.Path,
            Region = new Region(resource.Source.Line, resource.Source.Column, resource.Source.Line, resource.Source.Column),
        });
        return false;
    }

    /// <summary>An entity without an id, named <c>type@line</c> by the reader: its name says nothing across files.</summary>
    private static bool IsPositional(TenantResource resource)
    {
        var bare = resource.Type.AsSpan(GraphTypes.Prefix.Length);
        return resource.Id.Length > bare.Length && resource.Id.AsSpan().StartsWith(bare, StringComparison.Ordinal) && resource.Id[bare.Length] == '@';
    }

    /// <summary>SHA-256 of a canonical form: keys lower-cased and sorted, annotations, nulls and empties left out.</summary>
    internal static byte[] Digest(JsonObject data)
    {
        var sb = new StringBuilder();
        Canonical(data, sb);
        return SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    private static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonArray a => a.All(IsEmpty),
        JsonObject o => o.All(p => Ignored(p.Key) || IsEmpty(p.Value)),
        _ => false,
    };

    private static bool Ignored(string key) =>
        key.Contains('@', StringComparison.Ordinal) || key.Equals("additionalProperties", StringComparison.OrdinalIgnoreCase);

    private static void Canonical(JsonNode? node, StringBuilder sb)
    {
        switch (node)
        {
            case JsonObject o:
                sb.Append('{');
                foreach (var (key, value) in o.Where(p => !Ignored(p.Key) && !IsEmpty(p.Value))
                    .Select(p => (Key: p.Key.ToLowerInvariant(), p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    sb.Append(JsonValue.Create(key).ToJsonString()).Append(':');
                    Canonical(value, sb);
                    sb.Append(',');
                }

                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                foreach (var item in a)
                {
                    Canonical(item, sb);
                    sb.Append(',');
                }

                sb.Append(']');
                break;
            case JsonValue v when v.TryGetValue(out decimal d):
                sb.Append(d.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                sb.Append(node?.ToJsonString() ?? "null");
                break;
        }
    }

    private sealed class KeyComparer : IEqualityComparer<(string Type, string Id)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((string Type, string Id) x, (string Type, string Id) y) =>
            StringComparer.OrdinalIgnoreCase.Equals(x.Type, y.Type) && StringComparer.OrdinalIgnoreCase.Equals(x.Id, y.Id);

        public int GetHashCode((string Type, string Id) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Type), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Id));
    }
}
