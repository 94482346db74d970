using System.Net;
using System.Net.Sockets;

namespace SecureFuture.Testing;

/// <summary>
/// A listener on 127.0.0.1 that nothing may connect to: point URLs an attacker controls at it (a certificate's CRL or
/// OCSP address, a webhook) and ask afterwards whether anything came.
/// </summary>
public sealed class ConnectionTrap : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public ConnectionTrap()
    {
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
    }

    /// <summary>The trap's base address.</summary>
    public Uri Url { get; }

    /// <summary>
    /// How many connections were made to the trap before this call, without sleeping: the trap connects to itself and
    /// accepts until it sees its own connection. The kernel completes TCP handshakes on the listener's behalf and
    /// queues them first in, first out, so every connection whose connect() returned before this call is accepted
    /// before the probe. (A connection still to be made later, by work that is still running, is not counted: call
    /// this once the work that might connect has finished.)
    /// </summary>
    public async Task<int> ConnectionsSoFarAsync()
    {
        using var probe = new TcpClient(AddressFamily.InterNetwork);
        await probe.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
        var probeEndpoint = (IPEndPoint)probe.Client.LocalEndPoint!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var before = 0; ; before++)
        {
            using var accepted = await _listener.AcceptSocketAsync(timeout.Token);
            if (probeEndpoint.Equals(accepted.RemoteEndPoint))
            {
                return before;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
