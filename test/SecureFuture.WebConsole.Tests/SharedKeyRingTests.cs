using System.Security.Cryptography;
using System.Xml.Linq;
using SecureFuture.WebConsole.Auth;

namespace SecureFuture.WebConsole.Tests;

/// <summary>The console's Data Protection keys, as stored, open only with the installation's key in the HSM.</summary>
[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed class SharedKeyRingTests(HsmFixture hsm)
{
    [Fact]
    public async Task Stored_keys_open_only_with_the_hsm_derived_key_and_a_node_with_another_key_refuses_to_start()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        var store = PasskeyTests.ConsoleStoreOf(server);
        var installation = server.Server.Keys.Store.InstallationId;
        var sealedKey = Convert.FromBase64String(XElement.Parse(Assert.Single(store.ReadDataProtectionKeys())).Descendants("hsmEncryptedKey").Single().Value);

        // Another node of the installation, with the HSM, derives the same key and opens it.
        var kek = await HsmKeyEncryptionKey.OpenAsync(store, hsm.Custodian, installation, TimeProvider.System, CancellationToken.None);
        Assert.Contains("<masterKey", System.Text.Encoding.UTF8.GetString(kek.Decrypt(sealedKey)), StringComparison.Ordinal);

        // An altered key is refused, not read.
        sealedKey[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => kek.Decrypt(sealedKey));

        // A node whose HSM derives another key (here: the check value of another one) refuses to start.
        await store.SetSettingAsync("dataprotection.kek-check", Convert.ToBase64String(new byte[32]), "test", DateTimeOffset.UtcNow, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => HsmKeyEncryptionKey.OpenAsync(store, hsm.Custodian, installation, TimeProvider.System, CancellationToken.None));
        Assert.Contains("refusing to start", refused.Message, StringComparison.Ordinal);
    }
}
