using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Findings.Ingest;

/// <summary>
/// One SARIF result (§3.27) as an <see cref="IngestedResult"/>: its rule resolved through <c>ruleId</c>,
/// <c>rule</c> (a reportingDescriptorReference, §3.52) or <c>ruleIndex</c> into the driver or an extension; its
/// severity (<see cref="SarifSeverity"/>), first location, identity (<see cref="FindingIdentity"/>), CVEs and first
/// code flow. Returns null for a result that is not an open finding or repeats an earlier one, and counts it.
/// </summary>
internal static class ResultMapper
{
    public static IngestedResult? Map(JsonElement result, RunContext run, IdentityTracker identities, int resultIndex)
    {
        if (result.ValueKind != JsonValueKind.Object)
        {
            throw new RunFormatException("", "a result is not an object");
        }

        if (!IsOpenFinding(result))
        {
            run.Skipped++;
            return null;
        }

        void Warn(string message) => run.Warn($"{run.Path}.results[{resultIndex}]: {message}");

        var (ruleId, rule) = ResolveRule(result, run);
        var severity = SarifSeverity.Resolve(result, rule, Warn);
        var message = MessageText(result, rule);
        var location = ReadLocation(result, run, Warn);
        var tool = run.ToolName ?? "";
        var category = run.Category;

        var (identity, source) = FindingIdentity.Of(result, tool, ruleId, location, message, category, identities);
        if (!identities.FirstTime(category, identity))
        {
            run.Duplicates++;
            return null;
        }

        SortedSet<string>? cves = null;
        CveIds.AddFrom(ruleId, ref cves);
        foreach (var cve in rule?.Cves ?? [])
        {
            (cves ??= new SortedSet<string>(StringComparer.Ordinal)).Add(cve);
        }

        if (result.TryGetProperty("properties"u8, out var properties))
        {
            CveIds.AddFrom(properties, ref cves);
        }

        run.Emitted++;
        return new IngestedResult(
            tool,
            category,
            ruleId,
            severity,
            message,
            location.Path,
            location.StartLine,
            location.EndLine,
            Convert.ToHexStringLower(identity),
            source,
            cves is null ? [] : [.. cves],
            FirstCodeFlow(result));
    }

    /// <summary>
    /// Not an open finding: <c>kind</c> pass or notApplicable (§3.27.9), <c>baselineState</c> absent (§3.27.24: it was
    /// in the baseline and is gone), or a suppression whose status is absent or <c>accepted</c> (§3.34.3: absent means
    /// accepted).
    /// </summary>
    private static bool IsOpenFinding(JsonElement result)
    {
        if (RunContext.Text(result, "kind"u8) is "pass" or "notApplicable" || RunContext.Text(result, "baselineState"u8) == "absent")
        {
            return false;
        }

        if (result.TryGetProperty("suppressions"u8, out var suppressions) && suppressions.ValueKind == JsonValueKind.Array)
        {
            foreach (var suppression in suppressions.EnumerateArray())
            {
                if (suppression.ValueKind == JsonValueKind.Object && RunContext.Text(suppression, "status"u8) is null or "accepted")
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static (string RuleId, RuleInfo? Rule) ResolveRule(JsonElement result, RunContext run)
    {
        var ruleId = RunContext.Text(result, "ruleId"u8);
        var index = Integer(result, "ruleIndex", "ruleIndex");
        var component = run.Driver!;
        var componentPath = ".tool.driver";
        if (result.TryGetProperty("rule"u8, out var reference) && reference.ValueKind == JsonValueKind.Object)
        {
            ruleId ??= RunContext.Text(reference, "id"u8);
            index ??= Integer(reference, "index", "rule.index");
            if (reference.TryGetProperty("toolComponent"u8, out var toolComponent) && toolComponent.ValueKind == JsonValueKind.Object)
            {
                (component, componentPath) = ResolveComponent(toolComponent, run);
            }
        }

        RuleInfo? rule = null;
        if (index is { } i and not -1)
        {
            // §3.27.6: -1 means "no rule descriptor"; any other index must exist.
            rule = i >= 0 && i < component.Rules.Count
                ? component.Rules[i]
                : throw new RunFormatException(".ruleIndex", $"rule index {i} is not in {run.Path}{componentPath}.rules ({component.Rules.Count} rules)");
            if (ruleId is not null && rule.Id is not null && !IsSameRule(ruleId, rule.Id))
            {
                throw new RunFormatException(".ruleId", $"ruleId '{ruleId}' is not the id of the rule at index {i} ('{rule.Id}')");
            }
        }
        else if (ruleId is not null)
        {
            rule = Lookup(component, ruleId) ?? Lookup(run.Driver!, ruleId);
            foreach (var extension in run.Extensions)
            {
                rule ??= Lookup(extension, ruleId);
            }
        }

        ruleId ??= rule?.Id ?? throw new RunFormatException("", "the result names no rule: no ruleId, rule.id or rule with an id at ruleIndex (SARIF §3.27.5)");
        return (ruleId, rule);
    }

    // §3.27.5: a ruleId may be hierarchical ("CA2000/1"); the descriptor's id is then a prefix of it.
    private static bool IsSameRule(string ruleId, string descriptorId) =>
        ruleId == descriptorId || (ruleId.StartsWith(descriptorId, StringComparison.Ordinal) && ruleId[descriptorId.Length] == '/');

    private static RuleInfo? Lookup(ToolComponentInfo component, string ruleId)
    {
        var rule = component.ById(ruleId);
        var slash = ruleId.LastIndexOf('/');
        while (rule is null && slash > 0)
        {
            rule = component.ById(ruleId[..slash]);
            slash = ruleId.LastIndexOf('/', slash - 1);
        }

        return rule;
    }

    private static (ToolComponentInfo Component, string Path) ResolveComponent(JsonElement reference, RunContext run)
    {
        if (Integer(reference, "index", "rule.toolComponent.index") is { } i)
        {
            return i >= 0 && i < run.Extensions.Count
                ? (run.Extensions[i], $".tool.extensions[{i}]")
                : throw new RunFormatException(".rule.toolComponent.index", $"tool component index {i} is not in {run.Path}.tool.extensions ({run.Extensions.Count} extensions)");
        }

        if (RunContext.Text(reference, "name"u8) is { } name && name != run.Driver!.Name)
        {
            for (var e = 0; e < run.Extensions.Count; e++)
            {
                if (run.Extensions[e].Name == name)
                {
                    return (run.Extensions[e], $".tool.extensions[{e}]");
                }
            }

            throw new RunFormatException(".rule.toolComponent.name", $"no tool component is named '{name}'");
        }

        return (run.Driver!, ".tool.driver");
    }

    /// <summary>§3.11: message.text, else the rule's message string named by message.id with its arguments filled in.</summary>
    private static string MessageText(JsonElement result, RuleInfo? rule)
    {
        if (!result.TryGetProperty("message"u8, out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return "";
        }

        if (RunContext.Text(message, "text"u8) is { } text)
        {
            return text;
        }

        if (RunContext.Text(message, "id"u8) is { } id && rule?.MessageStrings?.GetValueOrDefault(id) is { } template)
        {
            return FillArguments(template, message);
        }

        return RunContext.Text(message, "markdown"u8) ?? "";
    }

    // §3.11.5: {0}, {1}... are replaced by the arguments; {{ and }} are literal braces.
    private static string FillArguments(string template, JsonElement message)
    {
        var arguments = message.TryGetProperty("arguments"u8, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(a => a.ValueKind == JsonValueKind.String ? a.GetString() ?? "" : a.GetRawText()).ToArray()
            : [];
        var builder = new StringBuilder(template.Length);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                builder.Append(c);
                i++;
                continue;
            }

            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close > i && int.TryParse(template.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < arguments.Length)
            {
                builder.Append(arguments[n]);
                i = close;
                continue;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private static ResultLocation ReadLocation(JsonElement result, RunContext run, Action<string> warn)
    {
        if (!result.TryGetProperty("locations"u8, out var locations) || locations.ValueKind != JsonValueKind.Array || locations.GetArrayLength() == 0)
        {
            return default;
        }

        var first = locations[0];
        if (first.ValueKind != JsonValueKind.Object)
        {
            throw new RunFormatException(".locations[0]", "a location is not an object");
        }

        string? logical = null;
        if (first.TryGetProperty("logicalLocations"u8, out var logicalLocations) && logicalLocations.ValueKind == JsonValueKind.Array
            && logicalLocations.GetArrayLength() > 0)
        {
            logical = RunContext.Text(logicalLocations[0], "fullyQualifiedName"u8) ?? RunContext.Text(logicalLocations[0], "name"u8);
        }

        if (!first.TryGetProperty("physicalLocation"u8, out var physical) || physical.ValueKind != JsonValueKind.Object)
        {
            return new ResultLocation(null, logical, null, null, null);
        }

        string? uri = null;
        if (physical.TryGetProperty("artifactLocation"u8, out var artifact) && artifact.ValueKind == JsonValueKind.Object)
        {
            uri = RunContext.Text(artifact, "uri"u8);
            if (uri is null && Integer(artifact, "index", ".locations[0].physicalLocation.artifactLocation.index") is { } index and >= 0)
            {
                if (index < run.Artifacts.Count)
                {
                    uri = run.Artifacts[index];
                }
                else
                {
                    warn($"artifactLocation.index {index} is not in {run.Path}.artifacts as read so far; the result has no path");
                }
            }
        }

        int? startLine = null, endLine = null;
        string? snippet = null;
        if (physical.TryGetProperty("region"u8, out var region) && region.ValueKind == JsonValueKind.Object)
        {
            startLine = Integer(region, "startLine", ".locations[0].physicalLocation.region.startLine");
            endLine = Integer(region, "endLine", ".locations[0].physicalLocation.region.endLine") ?? startLine;
            snippet = SnippetText(region);
        }

        if (snippet is null && physical.TryGetProperty("contextRegion"u8, out var context) && context.ValueKind == JsonValueKind.Object)
        {
            snippet = SnippetText(context);
        }

        return new ResultLocation(uri is null ? null : NormalizePath(uri), logical, startLine, endLine, snippet);
    }

    private static string? SnippetText(JsonElement region) =>
        region.TryGetProperty("snippet"u8, out var snippet) ? RunContext.Text(snippet, "text"u8) : null;

    /// <summary>
    /// An artifact URI (§3.4.3) as a path: percent-escapes decoded, a <c>file:</c> URI as its local path, a leading
    /// <c>./</c> dropped; relative URIs stay relative to their <c>uriBaseId</c> (the repository root for every producer
    /// that sets one), so that the same file has the same path on every CI agent.
    /// </summary>
    internal static string NormalizePath(string uri)
    {
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(uri, UriKind.Absolute, out var absolute))
        {
            return absolute.LocalPath;
        }

        var path = uri.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(uri) : uri;
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        return path;
    }

    /// <summary>The first code flow (§3.36), compact.</summary>
    private static string? FirstCodeFlow(JsonElement result)
    {
        if (!result.TryGetProperty("codeFlows"u8, out var flows) || flows.ValueKind != JsonValueKind.Array || flows.GetArrayLength() == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = true }))
        {
            flows[0].WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static int? Integer(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new RunFormatException(path.StartsWith('.') ? path : "." + path, $"{name} is {Describe(value)}, not an integer");
    }

    private static string Describe(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 40 ? raw : string.Concat(raw.AsSpan(0, 40), "...");
    }
}
