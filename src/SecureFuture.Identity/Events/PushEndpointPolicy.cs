using System.Net;
using System.Net.Sockets;

namespace SecureFuture.Identity.Events;

/// <summary>
/// Where security events may be pushed (RFC 8935). A push endpoint is a URL an admin gives, and the server then sends
/// requests to it on its own: without limits that is server-side request forgery toward cloud metadata
/// (169.254.169.254), local services (localhost:22) and the private network. So an endpoint must be https and reach
/// only public addresses — checked when the stream is registered, and again for the address actually connected to
/// (<see cref="CreateHandler"/>), so a name that resolves elsewhere later (DNS rebinding) cannot bypass it. An
/// operator whose receivers live on a private network allows that with <c>--allow-private-push-endpoints</c> (which
/// also allows http to a loopback receiver, for tests).
/// </summary>
public sealed class PushEndpointPolicy(bool allowPrivate)
{
    /// <summary>The resolver (DNS by default); a test can make a name answer differently from one call to the next.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;

    public bool AllowPrivate => allowPrivate;

    /// <summary>Why <paramref name="endpoint"/> may not receive pushes; null when it may.</summary>
    public async Task<string?> RefuseAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("https" or "http") || endpoint.UserInfo.Length > 0 || endpoint.Fragment.Length > 0)
        {
            return "an https URL without user information or fragment";
        }

        if (endpoint.Scheme == "http" && !(allowPrivate && endpoint.IsLoopback))
        {
            return "https is required (http only to a loopback receiver with --allow-private-push-endpoints)";
        }

        if (allowPrivate)
        {
            return null;
        }

        if (IPAddress.TryParse(endpoint.DnsSafeHost, out var literal))
        {
            return IsPublic(literal) ? null : $"{literal} is {Describe(literal)}; only public addresses receive pushes unless the server runs with --allow-private-push-endpoints";
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Resolve(endpoint.DnsSafeHost, cancellationToken);
        }
        catch (SocketException)
        {
            return null; // not resolvable now: every connection is checked again when it is made
        }

        return addresses.FirstOrDefault(a => !IsPublic(a)) is { } inner
            ? $"{endpoint.DnsSafeHost} resolves to {inner}, {Describe(inner)}; only public addresses receive pushes unless the server runs with --allow-private-push-endpoints"
            : null;
    }

    /// <summary>
    /// The handler for push requests: no redirects (a receiver cannot send the server elsewhere), no proxy (the check
    /// must see the receiver's address), and a connection only to an address this policy allows, resolved at connect time.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = ConnectAsync,
    };

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Resolve(host, cancellationToken);
        var allowed = addresses.Where(a => allowPrivate || IsPublic(a)).ToArray();
        if (allowed.Length == 0)
        {
            var refused = addresses.FirstOrDefault();
            throw new HttpRequestException(HttpRequestError.ConnectionError, refused is null
                ? $"push to {host}: the name resolves to no address"
                : $"push to {host}: refused to connect to {refused}, {Describe(refused)} (only public addresses receive pushes unless the server runs with --allow-private-push-endpoints)");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="address"/> is a globally reachable unicast address: not unspecified, loopback,
    /// link-local, private (RFC 1918, unique-local fc00::/7), shared (CGNAT 100.64/10), multicast, reserved,
    /// documentation or benchmarking space, including those same IPv4 addresses written as IPv6 (IPv4-mapped,
    /// IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16).
    /// </summary>
    public static bool IsPublic(IPAddress address) => Describe(address) is null;

    private static string? Describe(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return DescribeV4(address.GetAddressBytes());
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        var b = address.GetAddressBytes();
        if (address.IsIPv4MappedToIPv6)
        {
            return DescribeV4(b[12..]) is { } mapped ? "IPv4-mapped " + mapped : null;
        }

        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return IPAddress.IPv6None.Equals(address) ? "the unspecified address" : IPAddress.IPv6Loopback.Equals(address) ? "loopback" : "IPv4-compatible (deprecated)";
        }

        if (b is [0x00, 0x64, 0xff, 0x9b, ..] && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return DescribeV4(b[12..]) is { } translated ? "NAT64 " + translated : null;
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return DescribeV4(b[2..6]) is { } tunnelled ? "6to4 " + tunnelled : null;
        }

        return b switch
        {
            [0xff, ..] => "multicast",
            [0xfe, var x, ..] when (x & 0xc0) == 0x80 => "link-local",
            [0xfe, var x, ..] when (x & 0xc0) == 0xc0 => "site-local",
            [var x, ..] when (x & 0xfe) == 0xfc => "unique-local (private)",
            [0x20, 0x01, 0x0d, 0xb8, ..] => "documentation space",
            [0x20, 0x01, 0x00, 0x00, ..] => "Teredo",
            [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01, ..] => "NAT64 local use",
            [0x01, 0x00, 0, 0, 0, 0, 0, 0, ..] => "discard-only",
            _ => null,
        };
    }

    private static string? DescribeV4(byte[] b) => b switch
    {
        [0, ..] => "in 0.0.0.0/8 (this network)",
        [10, ..] => "private (10.0.0.0/8)",
        [100, var x, ..] when (x & 0xc0) == 64 => "shared address space (100.64.0.0/10, CGNAT)",
        [127, ..] => "loopback",
        [169, 254, ..] => "link-local (cloud metadata lives here)",
        [172, var x, ..] when (x & 0xf0) == 16 => "private (172.16.0.0/12)",
        [192, 0, 0, _] => "IETF protocol assignments (192.0.0.0/24)",
        [192, 0, 2, _] or [198, 51, 100, _] or [203, 0, 113, _] => "documentation space",
        [192, 168, ..] => "private (192.168.0.0/16)",
        [198, var x, ..] when (x & 0xfe) == 18 => "benchmarking space (198.18.0.0/15)",
        [var x, ..] when (x & 0xf0) == 224 => "multicast",
        [var x, ..] when (x & 0xf0) == 240 => "reserved (240.0.0.0/4, broadcast included)",
        _ => null,
    };
}
