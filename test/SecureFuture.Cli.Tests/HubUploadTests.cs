using System.Net;
using System.Net.Sockets;
using SecureFuture.Cli.Findings;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// A hub that refuses a push for its size answers 413 and drops the connection while the upload is still going, so
/// the client sees a broken upload: the CLI says what most likely happened and what to do, not "cannot reach".
/// </summary>
[Trait("Category", "Integration")]
public sealed class HubUploadTests
{
    [Fact]
    public async Task An_upload_cut_off_by_the_hub_names_the_size_limit_and_gzip()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[64 * 1024];
            var seen = 0;
            while (seen < 256 * 1024 && await socket.ReceiveAsync(buffer, SocketFlags.None) is > 0 and var n)
            {
                seen += n;
            }

            // As Kestrel does past its body limit: drop the connection with data unread (a reset).
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });

        var dir = Directory.CreateTempSubdirectory("sfi-hub-upload-").FullName;
        try
        {
            var keyFile = Path.Combine(dir, "admin.key");
            await File.WriteAllTextAsync(keyFile, "test-admin-key-not-a-secret");
            var hub = await HubClient.ConnectAsync($"http://127.0.0.1:{port}", keyFile, CancellationToken.None);
            using var content = new StreamContent(new MemoryStream(new byte[HubClient.UploadHintBytes + (1024 * 1024)]));
            var e = await Assert.ThrowsAsync<InputException>(() => hub.SendAsync(HttpMethod.Post, "/v1/projects/p/analyses?ref=main", content, TimeSpan.FromSeconds(30), TextWriter.Null, CancellationToken.None));
            Assert.Contains("closed the connection while 17 MiB were being sent", e.Message, StringComparison.Ordinal);
            Assert.Contains("256 MiB by default", e.Message, StringComparison.Ordinal);
            Assert.Contains("gzip the log", e.Message, StringComparison.Ordinal);
            await server;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
