using System.Net;
using System.Net.Sockets;

namespace SecureFuture.Identity.Clients;

/// <summary>
/// Where an attempt came from, as throttling counts it: the remote IPv4 address, or the /64 prefix of an IPv6 one (a
/// single host commonly holds a whole /64, so counting its addresses one by one would let it rotate past any limit).
/// </summary>
public static class AttemptSource
{
    /// <summary>The source of <paramref name="remote"/>; null when the connection has no remote address (in-process tests).</summary>
    public static string? Of(IPAddress? remote)
    {
        if (remote is null)
        {
            return null;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        if (remote.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return remote.ToString();
        }

        var bytes = remote.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
