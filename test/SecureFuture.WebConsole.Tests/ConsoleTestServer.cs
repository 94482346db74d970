using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SecureFuture.Server;
using SecureFuture.Testing;

namespace SecureFuture.WebConsole.Tests;

/// <summary>The console tests' SoftHSM2 token (<see cref="SoftHsmFixture"/>).</summary>
public sealed class HsmFixture : SoftHsmFixture
{
}

[CollectionDefinition(Name)]
public sealed class ConsoleGroup : ICollectionFixture<HsmFixture>
{
    public const string Name = "console";
}

/// <summary>
/// A running <c>sfi serve</c> on 127.0.0.1 whose console origin is <c>http://localhost:PORT</c> (WebAuthn needs a host
/// name, and browsers treat localhost as a secure context), with a known admin key for seeding findings through the API
/// and the first owner's enrolment link read from what the server printed.
/// </summary>
internal sealed partial class ConsoleTestServer : IAsyncDisposable
{
    private ConsoleTestServer(SfiServer server, string dataDirectory, int port, string adminKey, string printed)
    {
        Server = server;
        DataDirectory = dataDirectory;
        Port = port;
        Printed = printed;
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public SfiServer Server { get; }

    public string DataDirectory { get; }

    public int Port { get; }

    /// <summary>What the server wrote to its console at start.</summary>
    public string Printed { get; }

    public HttpClient Admin { get; }

    public string Origin => $"http://localhost:{Port}";

    /// <summary>The first owner's enrolment link, as printed.</summary>
    public string FirstOwnerLink => EnrolLinkPattern().Match(Printed) is { Success: true } m ? m.Value : throw new InvalidOperationException("no enrolment link was printed: " + Printed);

    public static async Task<ConsoleTestServer> StartAsync(Keys.IKeyCustodian custodian, TimeProvider? clock = null, string? database = null, bool adminKeyOn = true, Uri? issuer = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("sfi-console-").FullName;
        var adminKey = "sfi_admin_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var port = FreePort();
        var printed = new StringWriter();
        var options = new ServerOptions
        {
            DataDirectory = dataDirectory,
            Urls = [$"http://127.0.0.1:{port}"],
            Dev = true,
            Database = database,
            BootstrapAdminKey = adminKey,
            AdminKey = adminKeyOn,
            Issuer = issuer,
            Clock = clock ?? TimeProvider.System,
        };
        var server = await SfiServer.StartAsync(options, printed, custodian);
        var running = new ConsoleTestServer(server, dataDirectory, port, adminKey, printed.ToString());
        await running.WaitUntilReadyAsync();
        return running;
    }

    /// <summary>Registers a project (its owner text is free: a place for markup to hide) and pushes one SARIF analysis.</summary>
    public async Task SeedFindingsAsync(string project, string owner, params HubSarif.Result[] results)
    {
        using (var register = await Admin.PostAsync(new Uri("/v1/projects", UriKind.Relative), JsonContent(new JsonObject { ["id"] = project, ["owner"] = owner, ["criticality"] = "high", ["expectedCategories"] = new JsonArray("code") })))
        {
            Assert.True(register.IsSuccessStatusCode, await register.Content.ReadAsStringAsync());
        }

        using var push = await Admin.PostAsync(new Uri($"/v1/projects/{project}/analyses?ref=main&category=code", UriKind.Relative), new StringContent(HubSarif.Log("probe", results), Encoding.UTF8, "application/json"));
        Assert.True(push.IsSuccessStatusCode, await push.Content.ReadAsStringAsync());
    }

    public async Task<JsonArray> FindingsAsync(string project)
    {
        var body = JsonNode.Parse(await Admin.GetStringAsync(new Uri($"/v1/findings?project={project}", UriKind.Relative)))!;
        return body["findings"]!.AsArray();
    }

    /// <summary>The key service's hash-chained audit log, where console changes are recorded with who made them.</summary>
    public Task<IReadOnlyList<Keys.Audit.AuditRecord>> AuditAsync() => Server.Keys.Store.ReadAuditAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }

    private Task WaitUntilReadyAsync() => Polling.UntilReadyAsync(Admin, new Uri("/readyz", UriKind.Relative), TimeSpan.FromSeconds(30));

    private static StringContent JsonContent(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"http://localhost:\d+/enrol\?token=[A-Za-z0-9_%-]+")]
    private static partial Regex EnrolLinkPattern();
}

/// <summary>
/// A browser-like HTTP client for the console: keeps the <c>__Host-</c> cookies itself (they are Secure, and .NET's
/// cookie container would not send them over http://127.0.0.1 as a browser does for localhost), reads the antiforgery
/// token from each page, and speaks the console's WebAuthn endpoints with a <see cref="SoftAuthenticator"/>.
/// </summary>
internal sealed partial class ConsoleBrowser : IDisposable
{
    private readonly HttpClient _http;

    public ConsoleBrowser(ConsoleTestServer server)
    {
        Server = server;
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}") };
    }

    public ConsoleTestServer Server { get; }

    public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

    /// <summary>The antiforgery token of the last page read.</summary>
    public string? FormToken { get; private set; }

    public async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> GetAsync(string path)
    {
        var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path));
        var body = await response.Content.ReadAsStringAsync();
        if (FormTokenPattern().Match(body) is { Success: true } m)
        {
            FormToken = WebUtility.HtmlDecode(m.Groups[1].Value);
        }

        return (response.StatusCode, body, response);
    }

    /// <summary>Carries on in this browser from <paramref name="other"/>: its cookies and the antiforgery token of its last page (another node behind one address).</summary>
    public void ContinueFrom(ConsoleBrowser other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Cookies.Clear();
        foreach (var (name, value) in other.Cookies)
        {
            Cookies[name] = value;
        }

        FormToken = other.FormToken;
    }

    /// <summary>Takes the antiforgery token from a page read some other way (the body of a post's answer).</summary>
    public void FormTokenFrom(string body)
    {
        if (FormTokenPattern().Match(body) is { Success: true } m)
        {
            FormToken = WebUtility.HtmlDecode(m.Groups[1].Value);
        }
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true)
    {
        var all = fields.ToList();
        if (withToken && FormToken is not null)
        {
            all.Add(new("__RequestVerificationToken", FormToken));
        }

        return await SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(all) });
    }

    public async Task<HttpResponseMessage> PostJsonAsync(string path, JsonNode body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        if (FormToken is not null)
        {
            request.Headers.Add("X-CSRF-Token", FormToken);
        }

        return await SendAsync(request);
    }

    /// <summary>Opens an enrolment link and asks for creation options: the ceremony and the options, or the refusal.</summary>
    public async Task<(string Ceremony, JsonElement Options)> BeginEnrolAsync(string link)
    {
        var token = new Uri(link).Query.Split("token=")[1];
        var (status, body, _) = await GetAsync("/enrol?token=" + token);
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        using var started = await PostFormAsync("/console/webauthn/enrol/options", [new("token", Uri.UnescapeDataString(token))]);
        var text = await started.Content.ReadAsStringAsync();
        Assert.True(started.IsSuccessStatusCode, text);
        var json = JsonDocument.Parse(text).RootElement;
        return (json.GetProperty("ceremony").GetString()!, json.GetProperty("options").Clone());
    }

    public async Task<HttpResponseMessage> EnrolAsync(string link, SoftAuthenticator authenticator)
    {
        var (ceremony, options) = await BeginEnrolAsync(link);
        return await PostJsonAsync("/console/webauthn/enrol", new JsonObject { ["ceremony"] = ceremony, ["credential"] = authenticator.Create(options, Server.Origin) });
    }

    public async Task<(string Ceremony, JsonElement Options)> BeginSignInAsync()
    {
        await GetAsync("/signin");
        using var started = await PostFormAsync("/console/webauthn/signin/options", []);
        var text = await started.Content.ReadAsStringAsync();
        Assert.True(started.IsSuccessStatusCode, text);
        var json = JsonDocument.Parse(text).RootElement;
        return (json.GetProperty("ceremony").GetString()!, json.GetProperty("options").Clone());
    }

    public async Task<HttpResponseMessage> SignInAsync(SoftAuthenticator authenticator)
    {
        var (ceremony, options) = await BeginSignInAsync();
        return await PostJsonAsync("/console/webauthn/signin", new JsonObject { ["ceremony"] = ceremony, ["credential"] = authenticator.Get(options, Server.Origin) });
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (Cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var header in setCookies)
            {
                var pair = header.Split(';')[0];
                var name = pair[..pair.IndexOf('=', StringComparison.Ordinal)];
                var value = pair[(name.Length + 1)..];
                if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                {
                    Cookies.Remove(name);
                }
                else
                {
                    Cookies[name] = value;
                }
            }
        }

        return response;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex FormTokenPattern();
}
