using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace SecureFuture.Keys;

/// <summary>Counters and gauges for the Prometheus endpoint.</summary>
public sealed class KeyMetrics
{
    private readonly ConcurrentDictionary<string, long> _signatures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Ring, KeyState State), int> _keys = new();
    private long _signFailures;
    private long _scheduledRotations;
    private long _emergencyRotations;

    public bool HsmUp { get; set; } = true;

    public void CountSignature(string ring) => _signatures.AddOrUpdate(ring, 1, (_, n) => n + 1);

    public void CountSignFailure() => Interlocked.Increment(ref _signFailures);

    public void CountRotation(bool emergency)
    {
        if (emergency)
        {
            Interlocked.Increment(ref _emergencyRotations);
        }
        else
        {
            Interlocked.Increment(ref _scheduledRotations);
        }
    }

    public void SetKeyStates(string ring, IReadOnlyList<KeyVersion> versions)
    {
        foreach (var state in Enum.GetValues<KeyState>())
        {
            _keys[(ring, state)] = versions.Count(v => v.State == state);
        }
    }

    /// <summary>The Prometheus text exposition format (version 0.0.4).</summary>
    public void WriteTo(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var c = CultureInfo.InvariantCulture;
        text.Append("# HELP sfi_signatures_total Signatures made in the HSM, by key ring.\n# TYPE sfi_signatures_total counter\n");
        foreach (var pair in _signatures.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(c, $"sfi_signatures_total{{ring=\"{pair.Key}\"}} {pair.Value}\n");
        }

        text.Append(c, $"# HELP sfi_sign_failures_total Signing requests the HSM could not serve.\n# TYPE sfi_sign_failures_total counter\nsfi_sign_failures_total {Interlocked.Read(ref _signFailures)}\n");
        text.Append(c, $"# HELP sfi_rotations_total Key rotations, scheduled or emergency.\n# TYPE sfi_rotations_total counter\nsfi_rotations_total{{kind=\"scheduled\"}} {Interlocked.Read(ref _scheduledRotations)}\nsfi_rotations_total{{kind=\"emergency\"}} {Interlocked.Read(ref _emergencyRotations)}\n");
        text.Append("# HELP sfi_keys Keys by ring and state, as last read by this node.\n# TYPE sfi_keys gauge\n");
        foreach (var pair in _keys.OrderBy(p => p.Key.Ring, StringComparer.Ordinal).ThenBy(p => p.Key.State))
        {
            text.Append(c, $"sfi_keys{{ring=\"{pair.Key.Ring}\",state=\"{pair.Key.State.ToString().ToLowerInvariant()}\"}} {pair.Value}\n");
        }

        text.Append(c, $"# HELP sfi_hsm_up Whether the HSM answered the last readiness check.\n# TYPE sfi_hsm_up gauge\nsfi_hsm_up {(HsmUp ? 1 : 0)}\n");
    }
}
