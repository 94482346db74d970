using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Shared reading of <c>Microsoft.Insights/diagnosticSettings</c>.</summary>
internal static class Diagnostics
{
    public const string SettingType = "Microsoft.Insights/diagnosticSettings";

    /// <summary>
    /// The <c>Microsoft.Insights/diagnosticSettings</c> of the snapshot, and for every id prefix that ends before a
    /// '/', the settings whose id starts with it (in snapshot order): <c>Under[resourceId]</c> is exactly the settings
    /// for which <c>id.StartsWith(resourceId + "/", OrdinalIgnoreCase)</c>, found without rescanning the snapshot.
    /// </summary>
    public sealed record SettingIndex(int Count, Dictionary<string, List<TenantResource>> Under)
    {
        public IReadOnlyList<TenantResource> SettingsUnder(string resourceId) =>
            Under.TryGetValue(resourceId, out var list) ? list : [];
    }

    public static SettingIndex Index(EvaluationContext context) => context.Memo("diagnosticSettings/under", snapshot =>
    {
        var under = new Dictionary<string, List<TenantResource>>(StringComparer.OrdinalIgnoreCase);
        var count = 0;
        foreach (var setting in snapshot.OfType(SettingType))
        {
            count++;
            var id = setting.Id;
            for (var slash = id.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = id.IndexOf('/', slash + 1))
            {
                var prefix = id[..slash];
                if (!under.TryGetValue(prefix, out var list))
                {
                    under[prefix] = list = [];
                }

                list.Add(setting);
            }
        }

        return new SettingIndex(count, under);
    });

    /// <summary>Categories and category groups with <c>enabled: true</c>.</summary>
    public static HashSet<string> EnabledCategories(TenantResource setting)
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (Field.Navigate(setting.Data, "properties.logs") is JsonArray logs)
        {
            foreach (var log in logs.OfType<JsonObject>())
            {
                if (log["enabled"] is JsonValue e && e.TryGetValue<bool>(out var on) && on)
                {
                    foreach (var key in new[] { "category", "categoryGroup" })
                    {
                        if (log[key] is JsonValue v && v.TryGetValue<string>(out var name))
                        {
                            set.Add(name);
                        }
                    }
                }
            }
        }

        return set;
    }
}
