using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.Keys;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Auth;

/// <summary>
/// One ASP.NET Core Data Protection key ring for every node of a deployment, so that a form rendered by one node (its
/// antiforgery token), a flash message or a TOTP secret protected by one node is read by any other, without sticky
/// sessions. The key ring lives in the server's store (SQLite or the shared PostgreSQL), and every key in it is
/// encrypted at rest with <see cref="HsmKeyEncryptionKey"/>, derived from a key that never leaves the HSM: a copy of the
/// database alone opens nothing.
/// </summary>
internal static class SharedKeyRing
{
    public static void Add(IServiceCollection services, ConsoleStore store, IKeyCustodian custodian, string installationId, TimeProvider clock)
    {
        var kek = new KeyEncryptionKeySource(store, custodian, installationId, clock);
        try
        {
            // Opened now when the HSM answers, so that a node on another HSM refuses to start; an HSM that is not there
            // yet must not stop the server (its key endpoints answer 503 until it arrives): the key is then opened at
            // its first use.
            kek.Get();
        }
        catch (HsmUnavailableException)
        {
        }

        services.AddSingleton(kek);
        // One application name for every node: by default it is the content root, which differs between machines.
        services.AddDataProtection().SetApplicationName("SecureFuture sfi serve " + installationId);
        services.Configure<KeyManagementOptions>(options =>
        {
            options.XmlRepository = new StoreXmlRepository(store);
            options.XmlEncryptor = new HsmXmlEncryptor(kek);
        });
    }
}

/// <summary>
/// The key that encrypts the Data Protection keys at rest. It is derived (HKDF-SHA256) from an RSASSA-PKCS1-v1_5
/// signature made in the HSM over a fixed, installation-specific digest: that signature scheme is deterministic, so
/// every node holding the same HSM key derives the same key, and no one without the HSM can. The HSM key (RSA 3072) is
/// generated once per installation; which one is recorded in the store, so nodes starting together agree on it, and a
/// check value recorded beside it makes a node on another HSM refuse to start rather than write keys others cannot read.
/// </summary>
public sealed class HsmKeyEncryptionKey
{
    private const string KeySetting = "dataprotection.kek";
    private const string CheckSetting = "dataprotection.kek-check";
    private static readonly byte[] Associated = Encoding.ASCII.GetBytes("sfi-console-dataprotection-v1");

    private readonly byte[] _key;

    private HsmKeyEncryptionKey(string hsmId, byte[] key)
    {
        HsmId = hsmId;
        _key = key;
    }

    /// <summary>The HSM object the key is derived from.</summary>
    public string HsmId { get; }

    public static async Task<HsmKeyEncryptionKey> OpenAsync(ConsoleStore store, IKeyCustodian custodian, string installationId, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(custodian);
        ArgumentNullException.ThrowIfNull(clock);
        var hsmId = await store.GetSettingAsync(KeySetting, cancellationToken);
        if (hsmId is null)
        {
            var generated = custodian.Generate(SigningAlgorithm.RS256With3072, $"sfi-console-dataprotection/{installationId}");
            if (!await store.TryAddSettingAsync(KeySetting, generated.HsmId, "sfi serve", clock.GetUtcNow(), cancellationToken))
            {
                custodian.Destroy(generated.HsmId); // another node recorded its key first: use that one
            }

            hsmId = await store.GetSettingAsync(KeySetting, cancellationToken) ?? throw new InvalidOperationException("the console's key-encryption key was not recorded");
        }

        // A token without that object answers HsmUnavailableException, naming it: the node does not start.
        var signature = custodian.SignDigest(hsmId, SigningAlgorithm.RS256With3072, SHA256.HashData(Encoding.UTF8.GetBytes("SecureFuture console Data Protection key-encryption key v1\n" + installationId)));

        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, signature, 32, salt: [], info: Associated);
        CryptographicOperations.ZeroMemory(signature);
        var check = Convert.ToBase64String(HMACSHA256.HashData(key, Associated));
        if (!await store.TryAddSettingAsync(CheckSetting, check, "sfi serve", clock.GetUtcNow(), cancellationToken)
            && await store.GetSettingAsync(CheckSetting, cancellationToken) is { } recorded
            && !CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(recorded), Convert.FromBase64String(check)))
        {
            throw new InvalidOperationException("this HSM derives a different console key-encryption key than the one the deployment's Data Protection keys were encrypted with; refusing to start");
        }

        return new HsmKeyEncryptionKey(hsmId, key);
    }

    /// <summary>AES-256-GCM: nonce, ciphertext and tag, in that order.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext)
    {
        var sealedBytes = new byte[AesGcm.NonceByteSizes.MaxSize + plaintext.Length + AesGcm.TagByteSizes.MaxSize];
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(nonce.Length, plaintext.Length), sealedBytes.AsSpan(nonce.Length + plaintext.Length), Associated);
        return sealedBytes;
    }

    /// <summary>Opens what <see cref="Encrypt"/> sealed; throws <see cref="CryptographicException"/> when it was altered or sealed by another key.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> sealedBytes)
    {
        var overhead = AesGcm.NonceByteSizes.MaxSize + AesGcm.TagByteSizes.MaxSize;
        if (sealedBytes.Length < overhead)
        {
            throw new CryptographicException("the sealed key is too short");
        }

        var plaintext = new byte[sealedBytes.Length - overhead];
        using var aes = new AesGcm(_key, AesGcm.TagByteSizes.MaxSize);
        aes.Decrypt(sealedBytes[..AesGcm.NonceByteSizes.MaxSize], sealedBytes.Slice(AesGcm.NonceByteSizes.MaxSize, plaintext.Length), sealedBytes[^AesGcm.TagByteSizes.MaxSize..], plaintext, Associated);
        return plaintext;
    }
}

/// <summary>The console's key-encryption key, opened once the HSM answers (at start, or at its first use after).</summary>
internal sealed class KeyEncryptionKeySource(ConsoleStore store, IKeyCustodian custodian, string installationId, TimeProvider clock)
{
    private readonly object _gate = new();
    private HsmKeyEncryptionKey? _key;

    /// <summary>The key (Data Protection's encryptor and decryptor are synchronous); throws <see cref="HsmUnavailableException"/> while the HSM is away.</summary>
    public HsmKeyEncryptionKey Get()
    {
        if (Volatile.Read(ref _key) is { } opened)
        {
            return opened;
        }

        lock (_gate)
        {
            return _key ??= HsmKeyEncryptionKey.OpenAsync(store, custodian, installationId, clock, CancellationToken.None).GetAwaiter().GetResult();
        }
    }
}

/// <summary>Data Protection keys as rows of the store's <c>console_dataprotection_keys</c> table, shared by every node.</summary>
internal sealed class StoreXmlRepository(ConsoleStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => store.ReadDataProtectionKeys().Select(xml => XElement.Parse(xml)).ToList();

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        store.AddDataProtectionKey(string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName, element.ToString(SaveOptions.DisableFormatting));
    }
}

/// <summary>Encrypts each Data Protection key with <see cref="HsmKeyEncryptionKey"/> before it is stored.</summary>
internal sealed class HsmXmlEncryptor(KeyEncryptionKeySource source) : IXmlEncryptor
{
    public const string ElementName = "hsmEncryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var kek = source.Get();
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        try
        {
            var element = new XElement(ElementName, new XAttribute("kek", kek.HsmId), Convert.ToBase64String(kek.Encrypt(plaintext)));
            return new EncryptedXmlInfo(element, typeof(HsmXmlDecryptor));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

/// <summary>Decrypts a key <see cref="HsmXmlEncryptor"/> encrypted; Data Protection creates it with the host's services.</summary>
internal sealed class HsmXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var kek = services.GetRequiredService<KeyEncryptionKeySource>().Get();
        var plaintext = kek.Decrypt(Convert.FromBase64String(encryptedElement.Value));
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
