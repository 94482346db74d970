using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>A resource control whose fix sets a property; knows the ARM api-version to PATCH with.</summary>
public abstract class PropertyControl : ResourceControl
{
    protected abstract string ApiVersion { get; }

    protected virtual string? Caution => null;

    protected RemediationAction Fix(TenantResource resource, string path, JsonNode? value) =>
        Remedy.Property(resource, path, value, ApiVersion, Caution);

    /// <summary>A boolean the fix sets to <paramref name="expected"/>.</summary>
    protected Verdict Bool(TenantResource resource, string path, bool expected) =>
        Checks.Bool(resource, path, expected, () => Fix(resource, path, JsonValue.Create(expected)));

    protected Verdict OneOf(TenantResource resource, string path, string[] passing, string fixValue) =>
        Checks.OneOf(resource, path, passing, () => Fix(resource, path, JsonValue.Create(fixValue)));
}
