using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi keys sign-file</c> / <c>verify-file</c>: release artefacts signed by a ring's HSM-held key (real SoftHSM2),
/// verified against the ring's published JWKS. Part of <see cref="ServeAndKeysCommandTests"/> so that one server at a
/// time loads the SoftHSM2 module in this process.
/// </summary>
public sealed partial class ServeAndKeysCommandTests
{
    [Fact]
    public async Task A_file_signed_by_a_ring_verifies_against_its_JWKS_and_is_refused_after_a_one_byte_change_or_when_the_key_is_retired()
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-sign-file-").FullName;
        var work = Directory.CreateTempSubdirectory("sfi-artefacts-").FullName;
        try
        {
            await using var serve = await Serve.StartAsync(dataDir);
            var keyFile = Path.Combine(work, "admin-key");
            await File.WriteAllTextAsync(keyFile, AdminKeyLine().Match(serve.Output).Groups["key"].Value + "\n");
            string[] admin = ["--server", serve.Url, "--admin-key-file", keyFile];
            var (exit, output, error) = await CliRunner.RunAsync(["keys", "create", "releases", "--rotation-period", "PT1H", "--pre-publication", "PT10M", .. admin]);
            Assert.True(exit == 0, error);
            (_, output, _) = await CliRunner.RunAsync(["keys", "show", "releases", "--format", "json", .. admin]);
            var activeKid = (string)JsonNode.Parse(output)!["activeKid"]!;

            var artefact = Path.Combine(work, "sfi-linux-x64");
            await File.WriteAllBytesAsync(artefact, RandomNumberGenerator.GetBytes(200_000));
            (exit, output, error) = await CliRunner.RunAsync(["keys", "sign-file", artefact, "--ring", "releases", .. admin]);
            Assert.True(exit == 0, error);
            Assert.Contains(activeKid, output, StringComparison.Ordinal);

            // The signature is a compact JWS whose protected header names the key that signed.
            var jws = (await File.ReadAllTextAsync(artefact + ".sig")).Trim();
            var header = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jws.Split('.')[0]))!;
            Assert.Equal(activeKid, (string)header["kid"]!);
            Assert.Equal("ES256", (string)header["alg"]!);
            Assert.Equal("sfi-file-signature+jwt", (string)header["typ"]!);

            string[] verify = ["keys", "verify-file", artefact, "--ring", "releases", "--server", serve.Url];
            (exit, output, error) = await RunSystemClockAsync(verify, TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, error);
            Assert.Contains($"was signed by releases key {activeKid}", output, StringComparison.Ordinal);

            // The published JWKS saved beside the release verifies too, with no server.
            var jwks = Path.Combine(work, "releases.jwks.json");
            using (var http = new HttpClient())
            {
                await File.WriteAllTextAsync(jwks, await http.GetStringAsync(new Uri(serve.Url + "/v1/keyrings/releases/jwks.json")));
            }

            (exit, _, error) = await RunSystemClockAsync(["keys", "verify-file", artefact, "--ring", "releases", "--jwks", jwks], TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, error);

            // One byte of the file changed.
            var bytes = await File.ReadAllBytesAsync(artefact);
            bytes[100_000] ^= 0x01;
            var tampered = Path.Combine(work, "tampered");
            await File.WriteAllBytesAsync(tampered, bytes);
            (exit, _, error) = await RunSystemClockAsync(["keys", "verify-file", tampered, "--signature", artefact + ".sig", "--ring", "releases", "--server", serve.Url], TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
            Assert.Contains("the file was altered", error, StringComparison.Ordinal);

            // One character of the signature changed.
            var signature = jws.Split('.');
            var flipped = signature[2][10] == 'A' ? 'B' : 'A';
            var badSignature = Path.Combine(work, "bad.sig");
            await File.WriteAllTextAsync(badSignature, $"{signature[0]}.{signature[1]}.{signature[2][..10]}{flipped}{signature[2][11..]}");
            (exit, _, error) = await RunSystemClockAsync([.. verify, "--signature", badSignature], TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
            Assert.Contains("the signature does not verify", error, StringComparison.Ordinal);

            // The statement rewritten to vouch for the tampered file (same key, same signature): refused.
            var forged = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(signature[1]))!;
            forged["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var forgedSignature = Path.Combine(work, "forged.sig");
            await File.WriteAllTextAsync(forgedSignature, $"{signature[0]}.{System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(forged.ToJsonString()))}.{signature[2]}");
            (exit, _, error) = await RunSystemClockAsync(["keys", "verify-file", tampered, "--signature", forgedSignature, "--ring", "releases", "--server", serve.Url], TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
            Assert.Contains("the signature does not verify", error, StringComparison.Ordinal);

            // Another ring's JWKS does not hold the key.
            (exit, _, error) = await RunSystemClockAsync(["keys", "verify-file", artefact, "--ring", "default", "--server", serve.Url], TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
            Assert.Contains($"key {activeKid} is not in the published JWKS of ring 'default': it is retired or unknown", error, StringComparison.Ordinal);

            // The key is retired (compromised): its signatures no longer verify.
            (exit, _, error) = await CliRunner.RunAsync(["keys", "rotate", "releases", "--retire-immediately", "--reason", "test", .. admin]);
            Assert.True(exit == 0, error);
            (exit, _, error) = await RunSystemClockAsync(verify, TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
            Assert.Contains("retired or unknown", error, StringComparison.Ordinal);

            // A ring that does not exist cannot sign.
            (exit, _, error) = await CliRunner.RunAsync(["keys", "sign-file", artefact, "--ring", "nope", .. admin]);
            Assert.Equal(2, exit);
            Assert.Contains("no key ring named 'nope'", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            Directory.Delete(work, recursive: true);
        }
    }
}
