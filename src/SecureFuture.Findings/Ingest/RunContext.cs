using System.Text.Json;

namespace SecureFuture.Findings.Ingest;

/// <summary>What a rule says that a result needs: its id, default level, security-severity, CVEs and message strings.</summary>
internal sealed record RuleInfo(
    string? Id,
    string? DefaultLevel,
    string? SecuritySeverity,
    IReadOnlyCollection<string> Cves,
    IReadOnlyDictionary<string, string>? MessageStrings);

/// <summary>A tool component (§3.19): the driver or an extension, with its rules by index and by id.</summary>
internal sealed class ToolComponentInfo
{
    private readonly Dictionary<string, RuleInfo> _byId = new(StringComparer.Ordinal);

    public ToolComponentInfo(string? name, List<RuleInfo> rules)
    {
        Name = name;
        Rules = rules;
        foreach (var rule in rules)
        {
            if (rule.Id is not null)
            {
                _byId.TryAdd(rule.Id, rule);
            }
        }
    }

    public string? Name { get; }

    public IReadOnlyList<RuleInfo> Rules { get; }

    public RuleInfo? ById(string id) => _byId.GetValueOrDefault(id);
}

/// <summary>
/// One run as far as it has been read: its tool and rules (once <c>tool</c> is read), its artifacts' URIs, its
/// automation id, what its invocations say about completeness, and counts for <see cref="IngestedRun"/>.
/// </summary>
internal sealed class RunContext(int index, string? pushedCategory)
{
    private const int MaxWarnings = 100;
    private const int MaxReasonLength = 200;
    private const int MaxReasons = 20;

    private readonly List<string> _warnings = [];
    private string? _category;
    private readonly List<string> _incompleteReasons = [];
    private int _warningsLeftOut;
    private int _reasonsLeftOut;

    public int Index { get; } = index;

    public string Path => $"$.runs[{Index}]";

    public string? ToolName { get; private set; }

    public string? ToolVersion { get; private set; }

    public ToolComponentInfo? Driver { get; private set; }

    public IReadOnlyList<ToolComponentInfo> Extensions { get; private set; } = [];

    public bool HasTool => Driver is not null;

    public bool SeenAutomationDetails { get; private set; }

    public string? AutomationId { get; private set; }

    /// <summary><c>results</c> present (an array, even empty); absent or null means the tool did not run (§3.14.23).</summary>
    public bool ResultsPresent { get; set; }

    public List<string?> Artifacts { get; } = [];

    public ResultSpool? Spool { get; set; }

    public int Emitted { get; set; }

    public int Duplicates { get; set; }

    public int Skipped { get; set; }

    /// <summary>
    /// The analysis category. GitHub's convention for <c>automationDetails.id</c> (§3.17.4, and GitHub's "runAutomationDetails"
    /// documentation): the part up to the last <c>/</c> is the category and what follows names the run, so
    /// <c>"code/csharp/2026-05-01"</c> is category <c>"code/csharp"</c> (kept without its trailing slash:
    /// <see cref="AnalysisCategory.Normalize"/>); an id without <c>/</c> is all category. Without an id, the category
    /// pushed with the log; without that, the tool's name.
    /// </summary>
    public string Category => _category ??= AnalysisCategory.Normalize(ComputeCategory());

    private string ComputeCategory()
    {
        if (!string.IsNullOrEmpty(AutomationId))
        {
            var slash = AutomationId.LastIndexOf('/');
            return slash < 0 ? AutomationId : AutomationId[..(slash + 1)];
        }

        return string.IsNullOrEmpty(pushedCategory) ? ToolName ?? "" : pushedCategory;
    }

    public void Warn(string message)
    {
        if (_warnings.Count < MaxWarnings)
        {
            _warnings.Add(message);
        }
        else
        {
            _warningsLeftOut++;
        }
    }

    /// <summary>Records why the run is incomplete; the first few reasons are kept, the rest counted (a log can hold millions).</summary>
    public void Incomplete(string reason)
    {
        if (_incompleteReasons.Count < MaxReasons)
        {
            _incompleteReasons.Add(reason.Length <= MaxReasonLength ? reason : string.Concat(reason.AsSpan(0, MaxReasonLength), "..."));
        }
        else
        {
            _reasonsLeftOut++;
        }
    }

    public void ReadTool(JsonElement tool)
    {
        if (!tool.TryGetProperty("driver", out var driver) || driver.ValueKind != JsonValueKind.Object)
        {
            throw new RunFormatException(".driver", "a run's tool has no driver object (SARIF §3.18.2)");
        }

        if (!driver.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(name.GetString()))
        {
            throw new RunFormatException(".driver.name", "the tool has no name (SARIF §3.19.8)");
        }

        ToolName = name.GetString();
        _category = null;
        ToolVersion = Text(driver, "semanticVersion") ?? Text(driver, "version");
        Driver = ReadComponent(driver, ".driver");
        if (tool.TryGetProperty("extensions", out var extensions) && extensions.ValueKind == JsonValueKind.Array)
        {
            var list = new List<ToolComponentInfo>();
            var i = 0;
            foreach (var extension in extensions.EnumerateArray())
            {
                list.Add(extension.ValueKind == JsonValueKind.Object
                    ? ReadComponent(extension, $".extensions[{i}]")
                    : throw new RunFormatException($".extensions[{i}]", "a tool extension is not an object"));
                i++;
            }

            Extensions = list;
        }
    }

    public void ReadAutomationDetails(JsonElement details)
    {
        SeenAutomationDetails = true;
        AutomationId = Text(details, "id");
        _category = null;
    }

    /// <summary>
    /// An invocation (§3.20) makes the run incomplete when it did not succeed or reported an error: a file that could not
    /// be analysed is not proof that its findings were fixed.
    /// </summary>
    public void ReadInvocation(JsonElement invocation, int index)
    {
        if (invocation.TryGetProperty("executionSuccessful", out var ok) && ok.ValueKind == JsonValueKind.False)
        {
            Incomplete($"invocations[{index}].executionSuccessful is false");
        }

        foreach (var list in (ReadOnlySpan<string>)["toolExecutionNotifications", "toolConfigurationNotifications"])
        {
            if (!invocation.TryGetProperty(list, out var notifications) || notifications.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var n = 0;
            foreach (var notification in notifications.EnumerateArray())
            {
                // §3.58.6: a notification's level defaults to "warning".
                if (notification.ValueKind == JsonValueKind.Object && Text(notification, "level") == "error")
                {
                    var text = notification.TryGetProperty("message", out var message) ? Text(message, "text") : null;
                    Incomplete($"invocations[{index}].{list}[{n}] is an error: {text ?? "(no message)"}");
                }

                n++;
            }
        }
    }

    public void ReadArtifact(JsonElement artifact) =>
        Artifacts.Add(artifact.TryGetProperty("location", out var location) && location.ValueKind == JsonValueKind.Object
            ? Text(location, "uri")
            : null);

    public IngestedRun ToRun() => new(
        Index,
        ToolName ?? "",
        ToolVersion,
        Category,
        _incompleteReasons.Count == 0,
        _reasonsLeftOut == 0 ? [.. _incompleteReasons] : [.. _incompleteReasons, $"... and {_reasonsLeftOut} more"],
        Emitted,
        Duplicates,
        Skipped,
        _warningsLeftOut == 0 ? [.. _warnings] : [.. _warnings, $"... and {_warningsLeftOut} more warnings"]);

    internal static string? Text(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    internal static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static ToolComponentInfo ReadComponent(JsonElement component, string path)
    {
        var rules = new List<RuleInfo>();
        if (component.TryGetProperty("rules", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var rule in list.EnumerateArray())
            {
                rules.Add(rule.ValueKind == JsonValueKind.Object
                    ? ReadRule(rule)
                    : throw new RunFormatException($"{path}.rules[{i}]", "a rule is not an object"));
                i++;
            }
        }

        return new ToolComponentInfo(Text(component, "name"), rules);
    }

    private static RuleInfo ReadRule(JsonElement rule)
    {
        var id = Text(rule, "id");
        SortedSet<string>? cves = null;
        CveIds.AddFrom(id, ref cves);
        string? securitySeverity = null;
        if (rule.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            securitySeverity = SarifSeverity.SecuritySeverityText(properties);
            CveIds.AddFrom(properties, ref cves);
        }

        string? defaultLevel = null;
        if (rule.TryGetProperty("defaultConfiguration", out var configuration) && configuration.ValueKind == JsonValueKind.Object
            && configuration.TryGetProperty("level", out var level))
        {
            defaultLevel = level.ValueKind == JsonValueKind.String ? level.GetString() : level.GetRawText();
        }

        Dictionary<string, string>? messageStrings = null;
        if (rule.TryGetProperty("messageStrings", out var strings) && strings.ValueKind == JsonValueKind.Object)
        {
            messageStrings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in strings.EnumerateObject())
            {
                if (Text(entry.Value, "text") is { } text)
                {
                    messageStrings[entry.Name] = text;
                }
            }
        }

        return new RuleInfo(id, defaultLevel, securitySeverity, cves is null ? [] : [.. cves], messageStrings);
    }
}

/// <summary>A fault inside a run-level object or a result, with the path below it; the reader adds where it is.</summary>
internal sealed class RunFormatException(string relativePath, string message) : Exception(message)
{
    public string RelativePath { get; } = relativePath;
}
