using System.Text.Json.Nodes;

namespace SecureFuture.Baseline;

/// <summary>The verdict of one control on one resource.</summary>
public enum ControlStatus
{
    /// <summary>The evidence shows the control is met.</summary>
    Pass,

    /// <summary>The evidence shows the control is not met.</summary>
    Fail,

    /// <summary>The control does not apply (no resource of its kind in an input of its format).</summary>
    NotApplicable,

    /// <summary>The data the control needs is missing, of the wrong type, an unevaluated expression, or not evaluated yet. Never a pass.</summary>
    Unknown,

    /// <summary>The evaluator failed; the run went on.</summary>
    Error,
}

/// <summary>How a fix is applied.</summary>
public enum RemediationKind
{
    /// <summary>An ARM REST call (<c>management.azure.com</c>).</summary>
    Arm,

    /// <summary>A Microsoft Graph call.</summary>
    Graph,

    /// <summary>Change an attribute of a Terraform resource.</summary>
    Terraform,

    /// <summary>Change a literal value in an ARM template.</summary>
    ArmTemplate,

    /// <summary>No safe programmatic fix: follow the steps.</summary>
    Manual,
}

/// <summary>
/// What fixes one failure: an ARM or Graph call (<see cref="Method"/>, <see cref="Url"/>, <see cref="Body"/>),
/// a Terraform attribute change (<see cref="Address"/>, <see cref="Attribute"/>, <see cref="Value"/>), a template
/// edit, or manual <see cref="Steps"/>.
/// </summary>
public sealed record RemediationAction
{
    public required RemediationKind Kind { get; init; }

    public required string Description { get; init; }

    public string? Method { get; init; }

    public string? Url { get; init; }

    public JsonNode? Body { get; init; }

    /// <summary>Terraform resource address, or the template resource.</summary>
    public string? Address { get; init; }

    /// <summary>Terraform attribute (<c>site_config.0.minimum_tls_version</c>) or template property path.</summary>
    public string? Attribute { get; init; }

    public JsonNode? Value { get; init; }

    public string? Steps { get; init; }

    /// <summary>A warning the operator must read first (irreversible, costs money, may break clients).</summary>
    public string? Caution { get; init; }
}

/// <summary>A resource as results name it.</summary>
public sealed record ResourceRef(string Id, string Type, string? Name, SourceLocation? Source)
{
    /// <summary>The pseudo-resource tenant-wide controls report on.</summary>
    public static ResourceRef Tenant(SourceLocation? source = null) => new("tenant", "tenant", "tenant", source);

    public static ResourceRef Of(TenantResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.Ref;
    }

    public override string ToString() => Name is null || Name == Id ? Id : $"{Name} ({Id})";
}

/// <summary>One result per control and resource.</summary>
public sealed record ControlResult
{
    public required string ControlId { get; init; }

    public required ControlStatus Status { get; init; }

    public required ResourceRef Resource { get; init; }

    /// <summary>What the verdict rests on: the values read, or what was missing. Never a secret value.</summary>
    public required string Evidence { get; init; }

    /// <summary>The property the verdict is about, when there is one (<c>properties.allowBlobPublicAccess</c>).</summary>
    public string? PropertyPath { get; init; }

    /// <summary>The fix, for failures; built when first read (see <see cref="Verdict.DeferredRemediation"/>).</summary>
    public RemediationAction? Remediation
    {
        get => _remediation ??= DeferredRemediation?.Invoke();
        init => _remediation = value;
    }

    private RemediationAction? _remediation;

    /// <summary>Builds <see cref="Remediation"/> when a report or plan first asks for it.</summary>
    internal Func<RemediationAction>? DeferredRemediation { get; init; }

    /// <summary>The exception that covers this failure (still a failure, but accepted until it expires).</summary>
    public ExceptionEntry? Exception { get; init; }

    /// <summary>An exception that would have covered this failure but has expired.</summary>
    public ExceptionEntry? ExpiredException { get; init; }

    public bool IsExcepted => Exception is not null;
}

/// <summary>What an evaluator says about one resource; the framework adds the control id and resource.</summary>
public sealed record Verdict(ControlStatus Status, string Evidence, string? PropertyPath = null, RemediationAction? Remediation = null)
{
    private RemediationAction? _remediation = Remediation;

    /// <summary>The fix, for failures: given, or built from <see cref="DeferredRemediation"/> when first read.</summary>
    public RemediationAction? Remediation
    {
        get => _remediation ??= DeferredRemediation?.Invoke();
        init => _remediation = value;
    }

    /// <summary>
    /// A fix built only when a report or plan asks for it. An assessment of 100,000 resources has tens of thousands
    /// of failures, and their PATCH URLs and bodies were a third of its memory (bench/baseline-assess.sh); most
    /// outputs (text, the summary, a gate in CI) never read them. Only for fixes that cannot fail to build.
    /// </summary>
    internal Func<RemediationAction>? DeferredRemediation { get; init; }

    /// <summary>A failure whose fix is built when first read.</summary>
    internal static Verdict FailWithDeferredFix(string evidence, string? path, Func<RemediationAction>? fix) =>
        new(ControlStatus.Fail, evidence, path) { DeferredRemediation = fix };

    public static Verdict Pass(string evidence, string? path = null) => new(ControlStatus.Pass, evidence, path);

    public static Verdict Fail(string evidence, string? path = null, RemediationAction? fix = null) => new(ControlStatus.Fail, evidence, path, fix);

    public static Verdict Unknown(string evidence, string? path = null) => new(ControlStatus.Unknown, evidence, path);

    public static Verdict NotApplicable(string evidence) => new(ControlStatus.NotApplicable, evidence);
}
