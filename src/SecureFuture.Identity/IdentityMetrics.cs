using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace SecureFuture.Identity;

/// <summary>
/// Prometheus counters of the token service: tokens issued, and security events by type and client. Only registered
/// client ids become label values (others count as <c>unregistered</c>), so an attacker cannot grow the label set.
/// </summary>
public sealed class IdentityMetrics
{
    private readonly ConcurrentDictionary<(string Type, string Client), long> _events = new();
    private long _issued;

    public long TokensIssued => Interlocked.Read(ref _issued);

    public void CountIssued() => Interlocked.Increment(ref _issued);

    public void CountEvent(string type, string? registeredClient)
        => _events.AddOrUpdate((type, registeredClient ?? "unregistered"), 1, (_, n) => n + 1);

    public long Events(string type, string? registeredClient) => _events.GetValueOrDefault((type, registeredClient ?? "unregistered"));

    public void WriteTo(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append("# HELP sfi_identity_tokens_issued_total Access tokens issued.\n# TYPE sfi_identity_tokens_issued_total counter\n")
            .Append(CultureInfo.InvariantCulture, $"sfi_identity_tokens_issued_total {TokensIssued}\n");
        text.Append("# HELP sfi_identity_security_events_total Security events (refused assertions and proofs, disabled clients, admin changes) by type and client.\n")
            .Append("# TYPE sfi_identity_security_events_total counter\n");
        foreach (var ((type, client), count) in _events.OrderBy(e => e.Key.Type, StringComparer.Ordinal).ThenBy(e => e.Key.Client, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"sfi_identity_security_events_total{{type=\"{type}\",client=\"{Escape(client)}\"}} {count}\n");
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
