using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecureFuture.Identity.Validation.Tests;

/// <summary>
/// ECDSA verification of JWS signatures (r and s side by side, RFC 7518 §3.4), which VerificationKey hands to OpenSSL in
/// DER form it writes itself: every shape of r and s must come out as the same verdict a reference verifier gives.
/// </summary>
public sealed class VerificationKeyTests
{
    [Theory]
    [InlineData("P-256", "ES256", 3000)]
    [InlineData("P-384", "ES384", 1500)]
    public void Every_genuine_signature_verifies_and_every_altered_one_does_not(string curveName, string alg, int count)
    {
        using var signer = ECDsa.Create(curveName == "P-256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        using var key = Key(signer, curveName, alg);
        var size = curveName == "P-256" ? 32 : 48;
        var hash = alg == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
        int leadingZero = 0, highBit = 0;
        for (var i = 0; i < count; i++)
        {
            var input = Encoding.ASCII.GetBytes($"eyJhbGciOiJFUzI1NiJ9.{i}");
            var signature = signer.SignData(input, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            foreach (var first in new[] { signature[0], signature[size] })
            {
                leadingZero += first == 0 ? 1 : 0;
                highBit += first >= 0x80 ? 1 : 0;
            }

            Assert.True(key.Verify(input, signature), $"signature {i} ({Convert.ToHexString(signature)}) does not verify");
            var altered = (byte[])signature.Clone();
            altered[i % altered.Length] ^= (byte)(1 << (i % 8));
            Assert.False(key.Verify(input, altered), $"signature {i} verifies with a bit of it changed");
            input[^1] ^= 1;
            Assert.False(key.Verify(input, signature), $"signature {i} verifies over other input");
        }

        // The shapes the DER encoding treats apart (a zero byte dropped, a sign byte added) were all exercised.
        Assert.True(leadingZero > 0, "no r or s with a leading zero byte came up");
        Assert.True(highBit > 0, "no r or s with its top bit set came up");
    }

    [Fact]
    public void R_or_s_outside_one_to_the_order_minus_one_is_refused_before_verification()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = Key(signer, "P-256", "ES256");
        var input = "eyJhbGciOiJFUzI1NiJ9.e30"u8.ToArray();
        var genuine = signer.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var order = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
        var orderMinusOne = (byte[])order.Clone();
        orderMinusOne[^1]--;

        // CVE-2022-21449: r = s = 0.
        Assert.False(key.Verify(input, new byte[64]));
        // r or s equal to n, or all ones: not in [1, n-1].
        Assert.False(key.Verify(input, [.. order, .. genuine.AsSpan(32)]));
        Assert.False(key.Verify(input, [.. genuine.AsSpan(0, 32), .. order]));
        Assert.False(key.Verify(input, [.. Enumerable.Repeat((byte)0xFF, 32), .. genuine.AsSpan(32)]));
        // n - 1 and 1 are in range: refused by the arithmetic, not by the range check, and without an exception.
        Assert.False(key.Verify(input, [.. orderMinusOne, .. new byte[31], 1]));
        // Wrong lengths.
        Assert.False(key.Verify(input, genuine.AsSpan(0, 63)));
        Assert.False(key.Verify(input, [.. genuine, 0]));
        Assert.False(key.Verify(input, signer.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.True(key.Verify(input, genuine));
    }

    private static VerificationKey Key(ECDsa signer, string curve, string alg)
    {
        var p = signer.ExportParameters(false);
        var jwk = JsonSerializer.SerializeToElement(new { kty = "EC", crv = curve, kid = "k1", alg, x = TestKey.B64(p.Q.X!), y = TestKey.B64(p.Q.Y!) });
        return VerificationKey.TryCreate(jwk, [alg], out var reason) ?? throw new InvalidOperationException(reason);
    }
}
