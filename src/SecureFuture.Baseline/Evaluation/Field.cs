using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline;

/// <summary>Why a field cannot be used as evidence.</summary>
public enum FieldState
{
    Present,
    Missing,

    /// <summary>An ARM template expression such as <c>[parameters('x')]</c>: not evaluated.</summary>
    Expression,

    /// <summary>A Terraform attribute known only after apply.</summary>
    KnownAfterApply,

    /// <summary>Absent, and the provider documents what absence means (<see cref="PropertyDefaults"/>): read as that value.</summary>
    Default,
}

/// <summary>
/// One field read from a resource by a dotted path (<c>properties.networkAcls.defaultAction</c>,
/// <c>site_config.0.minimum_tls_version</c>). Typed reads return a problem text instead of throwing, so that a
/// wrong value type becomes an <see cref="ControlStatus.Unknown"/> verdict, never a crash.
/// </summary>
public readonly record struct Field(string Path, FieldState State, JsonNode? Node)
{
    /// <summary>The documented default the value comes from, when <see cref="State"/> is <see cref="FieldState.Default"/>.</summary>
    public PropertyDefault? Default { get; init; }

    /// <summary>
    /// ARM resources and templates: unambiguous literals of another JSON type are read as Azure reads them (the
    /// strings "true"/"false" as booleans, a number as the string Azure compares, epoch seconds written as a string).
    /// </summary>
    private bool Lenient { get; init; }

    public static Field Read(TenantResource resource, string path)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(path);
        if (resource.AfterUnknown is { } unknown && Navigate(unknown, path) is JsonValue u && u.TryGetValue<bool>(out var isUnknown) && isUnknown)
        {
            return new Field(path, FieldState.KnownAfterApply, null);
        }

        var lenient = resource.Format is InputFormat.ArmResources or InputFormat.ArmTemplate;
        var node = Navigate(resource.Data, path);
        if (node is null)
        {
            return PropertyDefaults.For(resource, path) is { } absent
                // A parsed copy: the table's node is shared, and numbers read back as any numeric type only when parsed.
                ? new Field(path, FieldState.Default, JsonNode.Parse(absent.Value.ToJsonString())) { Default = absent, Lenient = lenient }
                : new Field(path, FieldState.Missing, null);
        }

        if (resource.Format == InputFormat.ArmTemplate && node is JsonValue v && v.TryGetValue<string>(out var s) && IsExpression(s))
        {
            return new Field(path, FieldState.Expression, node);
        }

        return new Field(path, FieldState.Present, node) { Lenient = lenient };
    }

    /// <summary>ARM template language: a string in brackets is an expression; "[[" escapes a literal bracket.</summary>
    public static bool IsExpression(string value) =>
        value.Length >= 2 && value[0] == '[' && value[^1] == ']' && !value.StartsWith("[[", StringComparison.Ordinal);

    public static JsonNode? Navigate(JsonNode? node, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (var segment in Segments(path))
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) => i < a.Count ? a[i] : null,
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>
    /// The segments of a path, split once: paths are the controls' constants, read for every resource. The cache is
    /// bounded so that paths built from data cannot grow it without limit.
    /// </summary>
    private static string[] Segments(string path)
    {
        if (SplitPaths.TryGetValue(path, out var segments))
        {
            return segments;
        }

        segments = path.Split('.');
        if (SplitPaths.Count < 4096)
        {
            SplitPaths.TryAdd(path, segments);
        }

        return segments;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> SplitPaths = new(StringComparer.Ordinal);

    /// <summary>A value to judge: present, or absent with a documented default.</summary>
    public bool IsPresent => State is FieldState.Present or FieldState.Default;

    /// <summary>The evidence for a value read from this field: says when it is Azure's documented default.</summary>
    public string Shown(string value) => State == FieldState.Default ? $"{Path} = {value} ({Default!.Label})" : $"{Path} = {value}";

    /// <summary>Why the field is not usable, or null when it is present.</summary>
    public string? Problem => State switch
    {
        FieldState.Missing => $"{Path} is missing",
        FieldState.Expression => $"{Path} is the template expression {Node?.GetValue<string>()}, which is not evaluated",
        FieldState.KnownAfterApply => $"{Path} is known only after apply",
        _ => null,
    };

    public bool TryBool(out bool value, out string? problem)
    {
        value = false;
        problem = Problem;
        if (problem is not null)
        {
            return false;
        }

        if (Node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            value = v.GetValue<bool>();
            return true;
        }

        if (Lenient && Text(Node) is { } text && bool.TryParse(text, out value))
        {
            return true;
        }

        problem = $"{Path} is {Describe(Node)}, expected a boolean";
        return false;
    }

    public bool TryString(out string value, out string? problem)
    {
        value = string.Empty;
        problem = Problem;
        if (problem is not null)
        {
            return false;
        }

        if (Node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            value = v.GetValue<string>();
            return true;
        }

        if (Lenient && Node is JsonValue n && n.GetValueKind() == JsonValueKind.Number)
        {
            // minTlsVersion: 1.2 is the string "1.2" to the resource provider.
            value = n.ToJsonString();
            return true;
        }

        problem = $"{Path} is {Describe(Node)}, expected a string";
        return false;
    }

    public bool TryNumber(out double value, out string? problem)
    {
        value = 0;
        problem = Problem;
        if (problem is not null)
        {
            return false;
        }

        if (Node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            value = v.GetValue<double>();
            return true;
        }

        if (Lenient && Text(Node) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        problem = $"{Path} is {Describe(Node)}, expected a number";
        return false;
    }

    public bool TryArray(out JsonArray value, out string? problem)
    {
        value = [];
        problem = Problem;
        if (problem is not null)
        {
            return false;
        }

        if (Node is JsonArray a)
        {
            value = a;
            return true;
        }

        problem = $"{Path} is {Describe(Node)}, expected an array";
        return false;
    }

    /// <summary>A date: ISO 8601 (Graph, ARM), .NET JSON <c>/Date(ms)/</c> (ScubaGear), or Unix seconds (Key Vault <c>attributes.exp</c>).</summary>
    public bool TryDate(out DateTimeOffset value, out string? problem)
    {
        value = default;
        problem = Problem;
        if (problem is not null)
        {
            return false;
        }

        if (Node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var seconds))
        {
            value = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }

        if (Node is JsonValue s && s.GetValueKind() == JsonValueKind.String && ParseDate(s.GetValue<string>()) is { } d)
        {
            value = d;
            return true;
        }

        // Key Vault attributes.exp written as a string of epoch seconds ("1594389505").
        if (Lenient && Text(Node) is { } digits && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            && epoch <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            value = DateTimeOffset.FromUnixTimeSeconds(epoch);
            return true;
        }

        problem = $"{Path} is {Describe(Node)}, expected a date";
        return false;
    }

    public static DateTimeOffset? ParseDate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("/Date(", StringComparison.Ordinal) && text.EndsWith(")/", StringComparison.Ordinal))
        {
            // "/Date(1700000000000)/" or "/Date(1700000000000+0000)/": milliseconds since the Unix epoch.
            var inner = text[6..^2];
            var end = inner.IndexOfAny(['+', '-'], 1);
            var ms = end > 0 ? inner[..end] : inner;
            return long.TryParse(ms, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m) ? DateTimeOffset.FromUnixTimeMilliseconds(m) : null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
    }

    /// <summary>The string value of a node, or null when it is absent or not a string.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>True only for a JSON <c>true</c>.</summary>
    public static bool IsTrue(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    /// <summary>The strings of an array (others skipped), or an empty list.</summary>
    public static IReadOnlyList<string> Texts(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(Text).OfType<string>()] : [];

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string \"{Truncate(v.GetValue<string>())}\"",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..57] + "...";

    public override string ToString() => IsPresent ? Shown(Node?.ToJsonString() ?? "null") : Problem ?? Path;
}
