using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// "Never pass without evidence": every control's passing example, with the fields it reads stripped away (ARM
/// properties, Terraform attributes, Graph entity fields), must not pass any more.
/// </summary>
public sealed class NoEvidenceTests
{
    private static readonly string[] KeptGraphKeys = ["id", "displayName", "@odata.type", "@odata.context"];

    public static TheoryData<string, string> PassingCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var row in GoldenTests.Cases())
        {
            var (control, file) = ((string)row[0], (string)row[1]);
            if (file.StartsWith("pass.", StringComparison.Ordinal))
            {
                data.Add(control, file);
            }
        }

        return data;
    }

    private static void StripEntity(JsonObject entity)
    {
        if (entity["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type.Contains('/', StringComparison.Ordinal))
        {
            foreach (var key in new[] { "properties", "identity", "location", "tags" })
            {
                entity.Remove(key);
            }

            return;
        }

        foreach (var key in entity.Select(p => p.Key).Where(k => !KeptGraphKeys.Contains(k)).ToList())
        {
            entity.Remove(key);
        }
    }

    private static string Strip(string json)
    {
        var root = JsonNode.Parse(json)!;
        if (root is JsonArray array)
        {
            array.OfType<JsonObject>().ToList().ForEach(StripEntity);
        }
        else if (root["resource_changes"] is JsonArray changes)
        {
            foreach (var change in changes.OfType<JsonObject>())
            {
                change["change"]!["after"] = new JsonObject();
            }
        }
        else if (root["resources"] is JsonArray resources)
        {
            resources.OfType<JsonObject>().ToList().ForEach(r => r.Remove("properties"));
        }
        else
        {
            var o = root.AsObject();
            var collections = o.ContainsKey("value") || o.ContainsKey("data") ? [.. o.Where(p => p.Key is "value" or "data").Select(p => p.Value!.AsArray())]
                : o.ContainsKey("baseline_version") ? o.Where(p => p.Value is JsonArray && p.Key != "tenant_details").Select(p => p.Value!.AsArray()).ToList()
                : [];
            if (collections.Count == 0)
            {
                StripEntity(root.AsObject());
            }

            collections.SelectMany(c => c.OfType<JsonObject>()).ToList().ForEach(StripEntity);

            // ScubaGear's privileged_users and privileged_service_principals map object ids to entities.
            if (o.ContainsKey("baseline_version"))
            {
                o.Select(p => p.Value).OfType<JsonObject>().SelectMany(section => section.Select(p => p.Value).OfType<JsonObject>()).ToList().ForEach(StripEntity);
            }
        }

        return root.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(PassingCases))]
    public void PassingExample_WithoutItsFields_DoesNotPass(string controlId, string file)
    {
        var path = Path.Combine(TestSupport.TestData, controlId, file);
        var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.json") : [path];
        var resources = new List<TenantResource>();
        var inputs = new List<InputFile>();
        foreach (var f in files)
        {
            var snapshot = TestSupport.FromJson(Strip(File.ReadAllText(f)), Path.GetFileName(f));
            resources.AddRange(snapshot.Resources);
            inputs.AddRange(snapshot.Files);
        }

        var results = TestSupport.Assess(new TenantSnapshot { Resources = resources, Files = inputs }, BaselineConfiguration.Default with { BreakGlassUsers = ["00000000-0000-0000-0000-00000000bg01"] }, controls: controlId).Results;
        Assert.NotEmpty(results);
        // A pass without the fields is right only where Azure documents a secure default for them (a template that
        // leaves out allowBlobPublicAccess creates an account with anonymous access off), and then the evidence says so.
        Assert.All(results, r => Assert.True(r.Status != ControlStatus.Pass || r.Evidence.Contains("(absent: Azure's default)", StringComparison.Ordinal), $"{r.Resource}: {r.Evidence}"));
    }
}
