using System.Text;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.ThreatModeling.Engine;

namespace SecureFuture.ThreatModeling.Yaml;

/// <summary>
/// Records threats in a YAML model's <c>threats:</c> section, so the next regeneration carries their states and
/// justifications over and reports what is new or resolved. Only that section of the file is rewritten; every
/// other line (comments included) stays as the author wrote it. Output is sorted by threat key, so recording the
/// same threats twice gives the same bytes.
/// </summary>
public static class YamlThreatRecorder
{
    public static string Section(IEnumerable<Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(threats);
        var text = new StringBuilder("threats:\n");
        foreach (var threat in threats.OrderBy(t => t.Key.RuleId, StringComparer.Ordinal).ThenBy(t => t.Key.Interaction, StringComparer.Ordinal))
        {
            text.Append("  - rule: ").Append(Quote(threat.Key.RuleId)).Append('\n');
            text.Append("    interaction: ").Append(Quote(threat.Key.Interaction)).Append('\n');
            text.Append("    state: ").Append(Threat.StateToken(threat.State)).Append('\n');
            if (threat.SeverityIsRated)
            {
                text.Append("    severity: ").Append(threat.Severity.ToToken()).Append('\n');
            }

            if (threat.Justification is { Length: > 0 } justification)
            {
                text.Append("    justification: ").Append(Quote(justification)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Records a regeneration: every current threat, plus the resolved ones a person worked on (a state other than
    /// not-started, a justification or a rating), so that no decision is lost; untouched resolved threats go.
    /// </summary>
    public static string Replace(string modelYaml, ThreatReconciliation result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Replace(modelYaml, result.Current.Concat(result.Resolved.Where(t => t.State != ThreatState.NotStarted || t.Justification is { Length: > 0 } || t.SeverityIsRated)));
    }

    /// <summary>Replaces the top-level <c>threats:</c> block of <paramref name="modelYaml"/> (or appends one).</summary>
    public static string Replace(string modelYaml, IEnumerable<Threat> threats)
    {
        ArgumentNullException.ThrowIfNull(modelYaml);
        var lines = modelYaml.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var start = lines.FindIndex(l => l.StartsWith("threats:", StringComparison.Ordinal));
        var section = Section(threats).TrimEnd('\n').Split('\n');
        if (start < 0)
        {
            while (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            lines.AddRange(section);
            return string.Join('\n', lines) + "\n";
        }

        var end = start + 1;
        while (end < lines.Count && (lines[end].Length == 0 || lines[end][0] is ' ' or '-' or '#'))
        {
            end++;
        }

        // Keep blank lines and comments that belong to what follows the section.
        while (end > start + 1 && (lines[end - 1].Length == 0 || lines[end - 1].StartsWith('#')))
        {
            end--;
        }

        lines.RemoveRange(start, end - start);
        lines.InsertRange(start, section);
        return string.Join('\n', lines);
    }

    /// <summary>A JSON string is a valid YAML double-quoted scalar.</summary>
    private static string Quote(string value) => JsonValue.Create(value).ToJsonString();
}
