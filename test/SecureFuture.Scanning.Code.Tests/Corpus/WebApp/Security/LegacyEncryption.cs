using System.Security.Cryptography;

namespace WebApp.Security;

/// <summary>Encrypts gift-card numbers at rest.</summary>
public static class LegacyEncryption
{
    public static byte[] EncryptV1(byte[] key, byte[] plaintext)
    {
        using var des = DES.Create(); // VULN: weak-cipher
        des.Key = key;
        return des.EncryptCbc(plaintext, new byte[8]);
    }

    public static byte[] EncryptV2(byte[] key, byte[] plaintext)
    {
        using var tripleDes = TripleDES.Create(); // VULN: weak-cipher
        tripleDes.Key = key;
        return tripleDes.EncryptCbc(plaintext, new byte[8]);
    }

    public static byte[] EncryptV3(byte[] key, byte[] plaintext)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        aes.Mode = CipherMode.ECB; // VULN: weak-cipher
        return aes.CreateEncryptor().TransformFinalBlock(plaintext, 0, plaintext.Length);
    }

    public static byte[] EncryptV3Fast(byte[] key, byte[] plaintext)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return aes.EncryptEcb(plaintext, PaddingMode.PKCS7); // VULN: weak-cipher
    }

    public static byte[] EncryptV4(byte[] key, byte[] plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        var ciphertext = new byte[plaintext.Length];
        using var gcm = new AesGcm(key, tag.Length); // SAFE: weak-cipher
        gcm.Encrypt(nonce, plaintext, ciphertext, tag);
        return [.. nonce, .. tag, .. ciphertext];
    }

    public static byte[] EncryptV4Cbc(byte[] key, byte[] iv, byte[] plaintext)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        aes.Mode = CipherMode.CBC; // SAFE: weak-cipher
        return aes.EncryptCbc(plaintext, iv);
    }
}
