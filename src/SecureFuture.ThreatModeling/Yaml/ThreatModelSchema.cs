namespace SecureFuture.ThreatModeling.Yaml;

/// <summary>The JSON schema (draft 2020-12) of the YAML threat model, shipped as an embedded resource for editors and CI.</summary>
public static class ThreatModelSchema
{
    public const string ResourceName = "SecureFuture.ThreatModeling.threat-model.schema.json";

    /// <summary>The schema's <c>$id</c>.</summary>
    public const string Id = "https://securefuture.dev/schemas/threat-model/v1.json";

    public static string Json { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(ThreatModelSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
