using System.Net.Http.Headers;
using System.Security.Cryptography;
using SecureFuture.Testing;

namespace SecureFuture.Server.Tests;

/// <summary>The server tests' SoftHSM2 token (<see cref="SoftHsmFixture"/>).</summary>
public sealed class ServerFixture : SoftHsmFixture
{
}

[CollectionDefinition(Name)]
public sealed class ServerGroup : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}

/// <summary>A running sfi serve on 127.0.0.1 and a free port, with a known admin key.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(SfiServer server, string dataDirectory, string adminKey, Func<HttpMessageHandler>? handler)
    {
        Server = server;
        DataDirectory = dataDirectory;
        AdminKey = adminKey;
        BaseAddress = new Uri(server.Addresses.Single(a => a.Contains("://127.0.0.1:", StringComparison.Ordinal)));
        Anonymous = handler is null ? new HttpClient() : new HttpClient(handler());
        Anonymous.BaseAddress = BaseAddress;
        Admin = handler is null ? new HttpClient() : new HttpClient(handler());
        Admin.BaseAddress = BaseAddress;
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public SfiServer Server { get; }

    public string DataDirectory { get; }

    public string AdminKey { get; }

    public Uri BaseAddress { get; }

    public HttpClient Anonymous { get; }

    public HttpClient Admin { get; }

    public static async Task<RunningServer> StartAsync(
        Keys.IKeyCustodian custodian, bool dev = true, string? database = null, TimeSpan? schedulerInterval = null, bool waitUntilReady = true,
        Func<ServerOptions, ServerOptions>? configure = null, Func<HttpMessageHandler>? handler = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("sfi-server-").FullName;
        var adminKey = "sfi_admin_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var options = new ServerOptions { DataDirectory = dataDirectory, Urls = ["http://127.0.0.1:0"], Dev = dev, Database = database, BootstrapAdminKey = adminKey, SchedulerInterval = schedulerInterval };
        var server = await SfiServer.StartAsync(configure?.Invoke(options) ?? options, TextWriter.Null, custodian);
        var running = new RunningServer(server, dataDirectory, adminKey, handler);
        if (waitUntilReady)
        {
            await running.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        }

        return running;
    }

    public Task WaitUntilReadyAsync(TimeSpan timeout) => Polling.UntilReadyAsync(Anonymous, new Uri("/readyz", UriKind.Relative), timeout);

    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        Admin.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
