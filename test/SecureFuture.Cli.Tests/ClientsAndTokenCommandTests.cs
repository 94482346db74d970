using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Cli.Identity;
using static SecureFuture.Testing.HubSarif;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi clients</c>, <c>sfi token</c> and the findings push with a client credential, against a real
/// <c>sfi serve --issuer</c> (SQLite, SoftHSM2, HTTP on 127.0.0.1) that asks for DPoP nonces, so every DPoP token here
/// also proves the nonce retry. Part of this class so that one server at a time loads the SoftHSM2 module.
/// </summary>
public sealed partial class ServeAndKeysCommandTests
{
    [Fact]
    [UnsupportedOSPlatform("windows")] // key file modes
    public async Task Clients_add_generates_the_key_here_and_token_gets_dpop_and_bearer_tokens_that_whoami_accepts_and_misuse_is_refused()
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-clients-cli-").FullName;
        var work = Directory.CreateTempSubdirectory("sfi-clients-work-").FullName;
        try
        {
            var port = FreePort();
            var url = $"http://127.0.0.1:{port}";
            await using var serve = await Serve.StartAsync(dataDir, "--urls", url, "--issuer", url + "/", "--dpop-nonce");
            var adminKeyFile = Path.Combine(work, "admin.key");
            await File.WriteAllTextAsync(adminKeyFile, AdminKeyLine().Match(serve.Output).Groups["key"].Value);
            string[] admin = ["--server", url, "--admin-key-file", adminKeyFile];
            var keyFile = Path.Combine(work, "ci.key");

            // The key pair is made here: the private key lands in a 0600 file, only the public JWK reaches the server.
            var (exit, output, error) = await Sfi(["clients", "add", "ci", "--generate-key", keyFile, "--scope", "sfi.findings.write", "--scope", "sfi.findings.project:shop", .. admin]);
            Assert.True(exit == 0, error);
            Assert.Contains("registered client 'ci'", output, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            var pem = await File.ReadAllTextAsync(keyFile);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
            AssertNoKeyMaterial(pem, output + error);
            Assert.Empty(Directory.GetFiles(work, "*.tmp"));
            (exit, output, _) = await Sfi(["clients", "show", "ci", "--format", "json", .. admin]);
            Assert.Equal(0, exit);
            var jwk = JsonNode.Parse(output)!["jwks"]!["keys"]![0]!.AsObject();
            Assert.False(jwk.ContainsKey("d"));
            using (var key = ClientKey.FromPem(pem, keyFile))
            {
                Assert.Equal(key.KeyId, (string)jwk["kid"]!);
            }

            // An existing key file is never overwritten, and a refused add registers nothing; --force replaces it.
            (exit, _, error) = await Sfi(["clients", "add", "ci2", "--generate-key", keyFile, .. admin]);
            Assert.Equal(2, exit);
            Assert.Contains("already exists; not overwritten", error, StringComparison.Ordinal);
            Assert.Equal(pem, await File.ReadAllTextAsync(keyFile));
            (exit, _, error) = await Sfi(["clients", "show", "ci2", .. admin]);
            Assert.Equal(2, exit);
            Assert.Contains("404", error, StringComparison.Ordinal);
            var otherKey = Path.Combine(work, "other.key");
            Assert.Equal(0, (await Sfi(["clients", "add", "other", "--generate-key", otherKey, .. admin])).Exit);
            await File.WriteAllTextAsync(Path.Combine(work, "spare.key"), "keep me");
            (exit, _, error) = await Sfi(["clients", "add", "spare", "--generate-key", Path.Combine(work, "spare.key"), "--force", .. admin]);
            Assert.True(exit == 0, error);
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(Path.Combine(work, "spare.key")), StringComparison.Ordinal);

            // A registration the server refuses leaves no key file behind.
            (exit, _, error) = await Sfi(["clients", "add", "ci", "--generate-key", Path.Combine(work, "dup.key"), .. admin]);
            Assert.Equal(2, exit);
            Assert.False(File.Exists(Path.Combine(work, "dup.key")), error);
            Assert.Empty(Directory.GetFiles(work, "*.tmp"));

            // A DPoP-bound token for sfi's own API, and a ready request line: whoami sees the client and the binding.
            (exit, output, error) = await Sfi(["token", "--client", "ci", "--key", keyFile, "--dpop", "--resource", url + "/v1/", "--for-url", url + "/v1/whoami", "--server", url]);
            Assert.True(exit == 0, error);
            Assert.StartsWith("curl ", output, StringComparison.Ordinal);
            AssertNoKeyMaterial(pem, output + error);
            using var http = new HttpClient();
            var whoami = await SendCurlLineAsync(http, output);
            Assert.True(whoami.StatusCode == HttpStatusCode.OK, whoami.Body);
            var principal = JsonNode.Parse(whoami.Body)!;
            Assert.Equal("ci", (string)principal["clientId"]!);
            Assert.Equal("dpop", (string)principal["binding"]!);
            Assert.Equal(url + "/v1/", (string)principal["audiences"]![0]!);

            // The same proof twice is a replay; the token without a proof is refused too (it is bound).
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendCurlLineAsync(http, output)).StatusCode);
            var boundToken = Regex.Match(output, "Authorization: DPoP ([^']+)").Groups[1].Value;
            using (var asBearer = new HttpRequestMessage(HttpMethod.Get, url + "/v1/whoami") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", boundToken) } })
            using (var refused = await http.SendAsync(asBearer))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            // Without --dpop: the bare token on standard output, usable as a bearer token.
            (exit, output, error) = await Sfi(["token", "--client", "ci", "--key", keyFile, "--server", url]);
            Assert.True(exit == 0, error);
            Assert.Matches(@"^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$", output.ReplaceLineEndings("\n"));
            using (var bearer = new HttpRequestMessage(HttpMethod.Get, url + "/v1/whoami") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", output.Trim()) } })
            using (var accepted = await http.SendAsync(bearer))
            {
                Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            }

            // Misuse: another client's key, an assertion from an hour ago, a key file others can read, an unknown audience.
            (exit, output, error) = await Sfi(["token", "--client", "ci", "--key", otherKey, "--server", url]);
            Assert.Equal(2, exit);
            Assert.Empty(output);
            Assert.Contains("refused client 'ci': 401 invalid_client", error, StringComparison.Ordinal);
            AssertNoKeyMaterial(await File.ReadAllTextAsync(otherKey), error);

            using (var stdout = new StringWriter())
            using (var stderr = new StringWriter())
            {
                var anHourAgo = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
                exit = await CliApp.RunAsync(["token", "--client", "ci", "--key", keyFile, "--server", url], stdout, stderr, CancellationToken.None, anHourAgo);
                Assert.Equal(2, exit);
                Assert.Contains("401 invalid_client", stderr.ToString(), StringComparison.Ordinal);
            }

            var readable = Path.Combine(work, "readable.key");
            File.Copy(keyFile, readable);
            File.SetUnixFileMode(readable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            (exit, _, error) = await Sfi(["token", "--client", "ci", "--key", readable, "--server", url]);
            Assert.Equal(2, exit);
            Assert.Contains("accessible by its group or others (mode 0644); chmod 600", error, StringComparison.Ordinal);

            (exit, _, error) = await Sfi(["token", "--client", "ci", "--key", keyFile, "--resource", "https://api.example.com/", "--server", url]);
            Assert.Equal(2, exit);
            Assert.Contains("invalid_target", error, StringComparison.Ordinal);

            // An assertion is good once: the same one sent again is refused as a replay.
            using (var key = await ClientKey.LoadAsync(keyFile, CancellationToken.None))
            using (var source = new ClientCredentialTokenSource(new Uri(url), "ci", key, TimeProvider.System))
            {
                var assertion = source.CreateAssertion(url + "/");
                var statuses = new List<HttpStatusCode>();
                for (var i = 0; i < 2; i++)
                {
                    using var form = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "client_credentials",
                        ["client_id"] = "ci",
                        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ["client_assertion"] = assertion,
                    });
                    using var response = await http.PostAsync(new Uri(url + "/oauth2/token"), form);
                    statuses.Add(response.StatusCode);
                }

                Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Unauthorized], statuses);
            }

            // A disabled client gets no token, with the reason.
            Assert.Equal(0, (await Sfi(["clients", "disable", "other", .. admin])).Exit);
            (exit, _, error) = await Sfi(["token", "--client", "other", "--key", otherKey, "--server", url]);
            Assert.Equal(2, exit);
            Assert.Contains("the client is disabled", error, StringComparison.Ordinal);
            (exit, output, _) = await Sfi(["clients", "list", .. admin]);
            Assert.Equal(0, exit);
            Assert.Contains("other\tDISABLED", output, StringComparison.Ordinal);
            Assert.Equal(0, (await Sfi(["clients", "enable", "other", .. admin])).Exit);
            Assert.Equal(0, (await Sfi(["token", "--client", "other", "--key", otherKey, "--server", url])).Exit);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Ci_pushes_to_the_hub_with_its_client_credential_only_to_its_own_project_and_the_admin_key_still_works()
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-push-client-").FullName;
        var work = Directory.CreateTempSubdirectory("sfi-push-work-").FullName;
        try
        {
            var port = FreePort();
            var url = $"http://127.0.0.1:{port}";
            await using var serve = await Serve.StartAsync(dataDir, "--urls", url, "--issuer", url + "/");
            var adminKeyFile = Path.Combine(work, "admin.key");
            await File.WriteAllTextAsync(adminKeyFile, AdminKeyLine().Match(serve.Output).Groups["key"].Value);
            string[] admin = ["--server", url, "--admin-key-file", adminKeyFile];
            foreach (var project in new[] { "shop", "billing" })
            {
                Assert.Equal(0, (await Sfi(["findings", "projects", "add", project, .. admin])).Exit);
            }

            var keyFile = Path.Combine(work, "ci-shop.key");
            Assert.Equal(0, (await Sfi(["clients", "add", "ci-shop", "--generate-key", keyFile, "--scope", "sfi.findings.write", "--scope", "sfi.findings.project:shop", .. admin])).Exit);
            var sarif = Path.Combine(work, "probe.sarif");
            await File.WriteAllTextAsync(sarif, Log("probe", new Result("SQLI-1", "src/Repository.cs", 40, "4a1b2c3d4e5f6a7b:1")));

            // sfi findings push with --client/--key: stored, and the history names the client.
            var (exit, output, error) = await Sfi(["findings", "push", sarif, "--project", "shop", "--ref", "main", "--client", "ci-shop", "--key", keyFile, "--format", "json", "--server", url]);
            Assert.True(exit == 0, error);
            Assert.Equal(1, (int)JsonNode.Parse(output)!["analyses"]![0]!["opened"]!);
            (exit, output, _) = await Sfi(["findings", "list", "--project", "shop", "--format", "json", .. admin]);
            Assert.Equal(0, exit);
            var id = (string)JsonNode.Parse(output)![0]!["id"]!;
            (_, output, _) = await Sfi(["findings", "show", id, "--format", "json", .. admin]);
            Assert.Contains("client:ci-shop", output, StringComparison.Ordinal);

            // Its token is scoped to its project: another project's push is refused with the hub's reason.
            (exit, _, error) = await Sfi(["findings", "push", sarif, "--project", "billing", "--ref", "main", "--client", "ci-shop", "--key", keyFile, "--server", url]);
            Assert.Equal(2, exit);
            Assert.Contains("invalid_scope", error, StringComparison.Ordinal);

            // --push on an analysis, with the credential from SFI_CLIENT and SFI_CLIENT_KEY (here the PEM itself, as a CI secret).
            var repo = Path.Combine(work, "repo");
            Directory.CreateDirectory(repo);
            await File.WriteAllTextAsync(Path.Combine(repo, "README.md"), "nothing to see\n");
            Environment.SetEnvironmentVariable(ClientCredentialOptions.ClientVariable, "ci-shop");
            Environment.SetEnvironmentVariable(ClientCredentialOptions.KeyVariable, await File.ReadAllTextAsync(keyFile));
            try
            {
                (exit, output, error) = await Sfi(["scan", repo, "--analyzers", "secrets", "--push", "--project", "shop", "--ref", "main", "--server", url]);
                Assert.True(exit == 0, error);
                Assert.DoesNotContain("BEGIN", output + error, StringComparison.Ordinal);

                // Both a client and the admin key: refused, so it is never unclear which one pushed.
                (exit, _, error) = await Sfi(["findings", "push", sarif, "--project", "shop", "--ref", "main", .. admin]);
                Assert.Equal(2, exit);
                Assert.Contains("exclude each other", error, StringComparison.Ordinal);
            }
            finally
            {
                Environment.SetEnvironmentVariable(ClientCredentialOptions.ClientVariable, null);
                Environment.SetEnvironmentVariable(ClientCredentialOptions.KeyVariable, null);
            }

            // The admin key remains an option; a disabled client's pushes stop.
            Assert.Equal(0, (await Sfi(["findings", "push", sarif, "--project", "shop", "--ref", "main", .. admin])).Exit);
            Assert.Equal(0, (await Sfi(["clients", "disable", "ci-shop", .. admin])).Exit);
            (exit, _, error) = await Sfi(["findings", "push", sarif, "--project", "shop", "--ref", "main", "--client", "ci-shop", "--key", keyFile, "--server", url]);
            Assert.Equal(2, exit);
            Assert.Contains("the client is disabled", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs <c>sfi</c> in-process on the system clock (client assertions are checked against the server's wall clock).</summary>
    private static Task<(int Exit, string Out, string Err)> Sfi(string[] args) => RunSystemClockAsync(args, TimeSpan.FromSeconds(60));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Neither the PEM nor its base64 body may appear in <paramref name="text"/>.</summary>
    private static void AssertNoKeyMaterial(string pem, string text)
    {
        foreach (var line in pem.Split('\n').Where(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
    }

    /// <summary>Sends the request a <c>curl -sS [-X M] -H '...' ... 'URL'</c> line printed by <c>sfi token --for-url</c> describes.</summary>
    private static async Task<(HttpStatusCode StatusCode, string Body)> SendCurlLineAsync(HttpClient http, string line)
    {
        var quoted = Regex.Matches(line, "'([^']*)'").Select(m => m.Groups[1].Value).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Get, quoted[^1]);
        foreach (var header in quoted.Take(quoted.Count - 1))
        {
            var (name, value) = (header[..header.IndexOf(':', StringComparison.Ordinal)], header[(header.IndexOf(':', StringComparison.Ordinal) + 2)..]);
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
