using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Shared reading of <c>Microsoft.Insights/diagnosticSettings</c>.</summary>
internal static class Diagnostics
{
    public const string SettingType = "Microsoft.Insights/diagnosticSettings";

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
