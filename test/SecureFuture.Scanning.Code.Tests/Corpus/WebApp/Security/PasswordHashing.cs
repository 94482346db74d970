using System.Security.Cryptography;
using System.Text;
using WebApp.Data;

namespace WebApp.Security;

public static class PasswordHashing
{
    private const int Iterations = 600_000;

    public static bool Verify(string password, Customer customer) =>
        CryptographicOperations.FixedTimeEquals(Hash(password, Salt(customer)), Stored(customer));

    public static byte[] Hash(string password, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32); // SAFE: weak-password-hash

    /// <summary>Accounts migrated from the 2012 shop still carry these hashes.</summary>
    public static string HashLegacy(string password, string salt) =>
        Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(salt + password))); // VULN: weak-password-hash

    public static string HashPartnerPassword(string password)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(password)); // VULN: weak-password-hash
        return Convert.ToBase64String(hash);
    }

    private static byte[] Salt(Customer customer) => SHA256.HashData(Encoding.UTF8.GetBytes(customer.ObjectId));

    private static byte[] Stored(Customer customer) => Convert.FromBase64String(customer.TenantId);
}
