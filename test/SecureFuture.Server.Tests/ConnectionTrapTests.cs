using System.Net;
using System.Net.Sockets;
using SecureFuture.Testing;

namespace SecureFuture.Server.Tests;

/// <summary>The trap that tests point attacker-chosen URLs at must see every connection made before it is asked.</summary>
public sealed class ConnectionTrapTests
{
    [Fact]
    public async Task Counts_every_connection_made_before_it_is_asked_and_none_twice()
    {
        using var trap = new ConnectionTrap();
        Assert.Equal(0, await trap.ConnectionsSoFarAsync());

        using (var first = new TcpClient())
        using (var second = new TcpClient())
        {
            await first.ConnectAsync(IPAddress.Loopback, trap.Url.Port);
            await second.ConnectAsync(IPAddress.Loopback, trap.Url.Port);
        }

        // Closed again before the question: a fetch that gave up still counts.
        Assert.Equal(2, await trap.ConnectionsSoFarAsync());
        Assert.Equal(0, await trap.ConnectionsSoFarAsync());
    }
}
