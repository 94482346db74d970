using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using SecureFuture.Testing;

using static SecureFuture.Server.Tests.OAuthTestKit;
using static SecureFuture.Server.Tests.TokenServiceTests;

namespace SecureFuture.Server.Tests;

/// <summary>
/// The unmodified openid-client from npm (OpenID-certified; installed by ./test.sh from tools/openid-client, pinned by
/// its package-lock.json) against sfi serve: discovery, private_key_jwt with its own client assertion (no typ, aud the
/// issuer), a DPoP-bound token for one resource (RFC 8707), and GET /v1/whoami with that token and a fresh proof.
/// </summary>
[Collection(ServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class OpenIdClientInteropTests(ServerFixture fixture)
{
    [NodeFact]
    public async Task Openid_client_authenticates_with_private_key_jwt_and_gets_a_DPoP_bound_token_for_one_resource_that_whoami_accepts()
    {
        var script = Script();
        var port = FreePort();
        var issuer = $"http://127.0.0.1:{port}/";
        await using var sfi = new IssuerServer(await RunningServer.StartAsync(fixture.Custodian, configure: o => o with { Urls = [$"http://127.0.0.1:{port}"], Issuer = new Uri(issuer) }), issuer);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await RegisterAsync(sfi, "node-worker", key, scopes: ["orders.read"], audiences: ["https://orders.example/api", sfi.OwnAudience]);
        var privateJwk = PublicJwk(key, "k1");
        privateJwk["d"] = Base64Url(key.ExportParameters(true).D!);

        var (exit, output) = await Task.Run(() => ChildProcess.Run("node", [script], new Dictionary<string, string>
        {
            ["SFI_ISSUER"] = issuer,
            ["SFI_CLIENT_ID"] = "node-worker",
            ["SFI_CLIENT_JWK"] = privateJwk.ToJsonString(),
            ["SFI_RESOURCE"] = sfi.OwnAudience,
            ["SFI_SCOPE"] = "orders.read",
        }));
        Assert.True(exit == 0, output);

        var result = JsonNode.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])!;
        Assert.Equal("DPoP", (string?)result["tokenType"], ignoreCase: true); // openid-client lowercases token_type (case-insensitive, RFC 9449 §5)
        var token = new JsonWebToken((string)result["accessToken"]!);
        Assert.Equal([sfi.OwnAudience], token.Audiences); // the one resource asked for, not both audiences
        var claims = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.EncodedPayload))!;
        Assert.NotNull((string?)claims["cnf"]?["jkt"]); // bound to openid-client's DPoP key
        Assert.Equal(200, (int)result["whoamiStatus"]!);
        Assert.Equal(issuer + "#node-worker", (string?)result["whoami"]!["subjectKey"]);
        Assert.Equal("dpop", (string?)result["whoami"]!["binding"]);
        Assert.Equal("orders.read", (string?)result["whoami"]!["scope"]);
    }

    /// <summary>The script in tools/openid-client, whose node_modules ./test.sh installs with npm ci.</summary>
    private static string Script()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var tool = Path.Combine(directory.FullName, "tools", "openid-client");
            if (File.Exists(Path.Combine(tool, "client-credentials.mjs")))
            {
                return Directory.Exists(Path.Combine(tool, "node_modules", "openid-client"))
                    ? Path.Combine(tool, "client-credentials.mjs")
                    : throw new InvalidOperationException($"openid-client is not installed in {tool}: run ./test.sh, or 'npm ci' there.");
            }
        }

        throw new InvalidOperationException("tools/openid-client/client-credentials.mjs not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A test that needs Node.js: skipped, saying so, only where <c>node</c> is not on the PATH (./test.sh installs it).</summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, "node")));
        if (!onPath)
        {
            Skip = "Node.js is not installed (node is not on the PATH); ./test.sh installs it and openid-client, and CI runs this test.";
        }
    }
}
