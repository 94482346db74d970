using System.Globalization;
using SecureFuture.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Baseline;

/// <summary>
/// Thresholds and tenant facts the controls need. Defaults come from the catalogue; a YAML file may override them:
/// <code>
/// thresholds:
///   secretLifetimeDays: 90
/// breakGlass:
///   users: [ "00000000-0000-0000-0000-00000000b001" ]
///   groups: []
/// privilegedRoles: [ ... role template ids ... ]
/// </code>
/// </summary>
public sealed record BaselineConfiguration
{
    /// <summary>The roles SCuBA MS.AAD.7 calls highly privileged, by display name (as ScubaGear exports them) and role template id.</summary>
    internal static readonly (string Name, string Id)[] ScubaPrivilegedRoles =
    [
        ("Global Administrator", "62e90394-69f5-4237-9190-012177145e10"),
        ("Privileged Role Administrator", "e8611ab8-c189-46e8-94e1-60213ab1f814"),
        ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
        ("Exchange Administrator", "29232cdf-9323-42fd-ade2-1d097af3e4de"),
        ("SharePoint Administrator", "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"),
        ("Hybrid Identity Administrator", "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"),
        ("Application Administrator", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"),
        ("Cloud Application Administrator", "158c047a-c907-4556-b7ef-446551a6b5f7"),
    ];

    /// <summary>The roles SCuBA MS.AAD.7 calls highly privileged (role template ids).</summary>
    public static readonly IReadOnlyList<string> DefaultPrivilegedRoles = [.. ScubaPrivilegedRoles.Select(r => r.Id)];

    public required IReadOnlyDictionary<string, double> Thresholds { get; init; }

    /// <summary>Object ids of emergency-access users that every CA policy must exclude (PRV-06) and that may be excluded from "all users".</summary>
    public IReadOnlyList<string> BreakGlassUsers { get; init; } = [];

    public IReadOnlyList<string> BreakGlassGroups { get; init; } = [];

    public IReadOnlyList<string> PrivilegedRoles { get; init; } = DefaultPrivilegedRoles;

    /// <summary>The catalogue's defaults.</summary>
    public static BaselineConfiguration Default { get; } = FromCatalogue(ControlCatalogue.Default);

    public double Threshold(string name) =>
        Thresholds.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"No threshold '{name}' in the baseline configuration.");

    public bool IsBreakGlass(string id) =>
        BreakGlassUsers.Contains(id, StringComparer.OrdinalIgnoreCase) || BreakGlassGroups.Contains(id, StringComparer.OrdinalIgnoreCase);

    private static BaselineConfiguration FromCatalogue(ControlCatalogue catalogue) => new()
    {
        Thresholds = catalogue.Controls.SelectMany(c => c.Thresholds).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
    };

    /// <summary>Reads a configuration file over the defaults; errors name file:line:column.</summary>
    public static BaselineConfiguration Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = OpenText(path, "configuration file");
        return Parse(reader, path);
    }

    public static BaselineConfiguration Parse(TextReader text, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(text);
        }
        catch (YamlException ex)
        {
            throw new InputException(displayPath, ex.Start.Line, ex.Start.Column, $"malformed YAML: {ex.Message}", ex);
        }

        var result = Default;
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return result;
        }

        var thresholds = new Dictionary<string, double>(Default.Thresholds, StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = Key(keyNode, displayPath);
            switch (key)
            {
                case "thresholds":
                    foreach (var (k, v) in Mapping(value, displayPath).Children)
                    {
                        var name = Key(k, displayPath);
                        if (!thresholds.ContainsKey(name))
                        {
                            throw Error(displayPath, k, $"unknown threshold '{name}'; known: {string.Join(", ", thresholds.Keys.Order(StringComparer.Ordinal))}");
                        }

                        if (v is not YamlScalarNode s || !double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0)
                        {
                            throw Error(displayPath, v, $"threshold '{name}' must be a non-negative number");
                        }

                        thresholds[name] = number;
                    }

                    break;
                case "breakGlass":
                    foreach (var (k, v) in Mapping(value, displayPath).Children)
                    {
                        var name = Key(k, displayPath);
                        if (name == "users")
                        {
                            result = result with { BreakGlassUsers = Strings(v, displayPath) };
                        }
                        else if (name == "groups")
                        {
                            result = result with { BreakGlassGroups = Strings(v, displayPath) };
                        }
                        else
                        {
                            throw Error(displayPath, k, $"unknown key '{name}' under breakGlass (users, groups)");
                        }
                    }

                    break;
                case "privilegedRoles":
                    result = result with { PrivilegedRoles = Strings(value, displayPath) };
                    break;
                default:
                    throw Error(displayPath, keyNode, $"unknown key '{key}' (thresholds, breakGlass, privilegedRoles)");
            }
        }

        return result with { Thresholds = thresholds };
    }

    /// <summary>Opens a user's file; a missing or unreadable file is an input error (exit code 2), not a crash.</summary>
    internal static StreamReader OpenText(string path, string what = "file")
    {
        // A FIFO or a device would block the read forever or never end; a directory is not a file.
        FileKinds.RequireRegularFile(path, what);
        try
        {
            return File.OpenText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, $"cannot read: {ex.Message}", ex);
        }
    }

    /// <summary>The text of a mapping key; a complex key is an error at its position.</summary>
    internal static string Key(YamlNode node, string path) =>
        (node as YamlScalarNode)?.Value ?? throw Error(path, node, "expected a plain key");

    private static YamlMappingNode Mapping(YamlNode node, string path) =>
        node as YamlMappingNode ?? throw Error(path, node, "expected a mapping");

    private static string[] Strings(YamlNode node, string path) =>
        node is YamlSequenceNode seq
            ? [.. seq.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw Error(path, c, "expected a string"))]
            : throw Error(path, node, "expected a list");

    internal static InputException Error(string path, YamlNode node, string message) =>
        new(path, node.Start.Line, node.Start.Column, message);
}
