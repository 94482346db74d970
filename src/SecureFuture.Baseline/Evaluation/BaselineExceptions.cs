using System.Globalization;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecureFuture.Baseline;

/// <summary>
/// An accepted failure: a control on the resources a pattern matches, with an owner, a reason and an expiry date.
/// The day after <see cref="Expires"/> it stops applying and is reported as expired.
/// </summary>
public sealed record ExceptionEntry(string ControlId, string ResourcePattern, string Owner, string Reason, DateOnly Expires, SourceLocation Source)
{
    /// <summary>Glob over the resource id (or name): <c>*</c> any run of characters, <c>?</c> one; case-insensitive like ARM ids.</summary>
    public bool Matches(ResourceRef resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var regex = new Regex("^" + Regex.Escape(ResourcePattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return regex.IsMatch(resource.Id) || (resource.Name is not null && regex.IsMatch(resource.Name));
    }

    public bool IsExpired(DateOnly today) => today > Expires;
}

/// <summary>Reads the exceptions file.</summary>
/// <remarks>
/// <code>
/// exceptions:
///   - control: STO-01
///     resource: /subscriptions/*/resourceGroups/rg-web/providers/Microsoft.Storage/storageAccounts/stpublicassets
///     owner: web-team@contoso.example
///     reason: Serves public static assets; no private data
///     expires: 2026-12-31
/// </code>
/// </remarks>
public static class BaselineExceptions
{
    private static readonly string[] Required = ["control", "resource", "owner", "reason", "expires"];

    public static IReadOnlyList<ExceptionEntry> Load(string path, ControlCatalogue? catalogue = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = BaselineConfiguration.OpenText(path, "exceptions file");
        return Parse(reader, path, catalogue);
    }

    public static IReadOnlyList<ExceptionEntry> Parse(TextReader text, string displayPath, ControlCatalogue? catalogue = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(displayPath);
        catalogue ??= ControlCatalogue.Default;
        var stream = new YamlStream();
        try
        {
            stream.Load(text);
        }
        catch (YamlException ex)
        {
            throw new InputException(displayPath, ex.Start.Line, ex.Start.Column, $"malformed YAML: {ex.Message}", ex);
        }

        if (stream.Documents.Count == 0)
        {
            return [];
        }

        var rootNode = stream.Documents[0].RootNode;
        YamlSequenceNode list;
        if (rootNode is YamlMappingNode root && root.Children.TryGetValue(new YamlScalarNode("exceptions"), out var e) && e is YamlSequenceNode seq)
        {
            list = seq;
        }
        else if (rootNode is YamlSequenceNode bare)
        {
            list = bare;
        }
        else
        {
            throw BaselineConfiguration.Error(displayPath, rootNode, "expected 'exceptions:' followed by a list of exceptions");
        }

        var result = new List<ExceptionEntry>();
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode map)
            {
                throw BaselineConfiguration.Error(displayPath, item, "an exception is a mapping with control, resource, owner, reason, expires");
            }

            var values = new Dictionary<string, YamlScalarNode>(StringComparer.Ordinal);
            foreach (var (k, v) in map.Children)
            {
                var key = BaselineConfiguration.Key(k, displayPath);
                if (!Required.Contains(key))
                {
                    throw BaselineConfiguration.Error(displayPath, k, $"unknown key '{key}' (expected {string.Join(", ", Required)})");
                }

                values[key] = v as YamlScalarNode ?? throw BaselineConfiguration.Error(displayPath, v, $"'{key}' must be a single value");
            }

            foreach (var key in Required)
            {
                if (!values.TryGetValue(key, out var v) || string.IsNullOrWhiteSpace(v.Value))
                {
                    throw BaselineConfiguration.Error(displayPath, map, $"the exception has no '{key}'");
                }
            }

            var control = values["control"];
            if (!catalogue.Contains(control.Value!))
            {
                throw BaselineConfiguration.Error(displayPath, control, $"unknown control id '{control.Value}' (ids look like STO-01; see 'sfi baseline controls')");
            }

            var expires = values["expires"];
            if (!DateOnly.TryParseExact(expires.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw BaselineConfiguration.Error(displayPath, expires, $"bad date '{expires.Value}': expires must be a date in the form YYYY-MM-DD");
            }

            result.Add(new ExceptionEntry(control.Value!, values["resource"].Value!, values["owner"].Value!, values["reason"].Value!, date,
                new SourceLocation(displayPath, (int)map.Start.Line, (int)map.Start.Column)));
        }

        return result;
    }
}
