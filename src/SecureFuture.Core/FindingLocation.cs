namespace SecureFuture.Core;

/// <summary>
/// Where a finding is: a file and region (code and IaC), a resource and property path (tenant
/// configuration), or a model element (threat models). Paths are relative to the scan root and use '/'.
/// </summary>
public sealed record FindingLocation
{
    public string? Path { get; init; }

    public Region? Region { get; init; }

    public string? ResourceId { get; init; }

    public string? PropertyPath { get; init; }

    public string? ModelElement { get; init; }

    public static FindingLocation InFile(string path, Region? region = null) => new() { Path = path, Region = region };

    public override string ToString() =>
        Path is not null
            ? (Region is null ? Path : $"{Path}:{Region}")
            : ResourceId is not null
                ? (PropertyPath is null ? ResourceId : $"{ResourceId}#{PropertyPath}")
                : ModelElement ?? "(no location)";
}
