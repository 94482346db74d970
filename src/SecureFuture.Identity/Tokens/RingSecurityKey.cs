using Microsoft.IdentityModel.Tokens;
using SecureFuture.Keys;

namespace SecureFuture.Identity.Tokens;

/// <summary>
/// One version of a key ring as a Microsoft.IdentityModel signing key. It holds no key material: every signature is
/// made in the HSM through <see cref="KeyRingService.SignAsync"/>, which also checks that the token is one the ring
/// may sign (issuer, lifetime, the active kid in the header). A rotation between naming the key and signing makes the
/// signature fail rather than produce a token under the wrong kid.
/// </summary>
internal sealed class RingSecurityKey : AsymmetricSecurityKey
{
    private readonly int _keySize;

    public RingSecurityKey(KeyRingService keys, string ring, string kid, SigningAlgorithm algorithm)
    {
        Keys = keys;
        Ring = ring;
        Algorithm = algorithm;
        KeyId = kid;
        _keySize = algorithm.KeySizeBits;
        CryptoProviderFactory = new RingCryptoProviderFactory();
    }

    public KeyRingService Keys { get; }

    public string Ring { get; }

    public SigningAlgorithm Algorithm { get; }

    [Obsolete("HasPrivateKey is obsolete in Microsoft.IdentityModel; PrivateKeyStatus says the same.")]
    public override bool HasPrivateKey => true;

    /// <summary>The private key exists, in the HSM; it never exists here.</summary>
    public override PrivateKeyStatus PrivateKeyStatus => PrivateKeyStatus.Exists;

    public override int KeySize => _keySize;

    private sealed class RingCryptoProviderFactory : CryptoProviderFactory
    {
        public RingCryptoProviderFactory() => CacheSignatureProviders = false;

        public override bool IsSupportedAlgorithm(string algorithm, SecurityKey key)
            => key is RingSecurityKey ring && ring.Algorithm.Name == algorithm;

        public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm) => CreateForSigning(key, algorithm, cacheProvider: false);

        public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm, bool cacheProvider)
            => key is RingSecurityKey ring && ring.Algorithm.Name == algorithm
                ? new RingSignatureProvider(ring)
                : throw new NotSupportedException($"a ring key signs only with {(key as RingSecurityKey)?.Algorithm.Name}");

        public override SignatureProvider CreateForVerifying(SecurityKey key, string algorithm)
            => throw new NotSupportedException("ring keys are verified through the ring's JWKS, not through the signing key");

        public override void ReleaseSignatureProvider(SignatureProvider signatureProvider)
        {
        }
    }

    private sealed class RingSignatureProvider(RingSecurityKey key) : SignatureProvider(key, key.Algorithm.Name)
    {
        public override byte[] Sign(byte[] input)
        {
            ArgumentNullException.ThrowIfNull(input);
            // Microsoft.IdentityModel's token creation is synchronous. The ring's view is cached and the HSM call is
            // synchronous underneath, so this completes without blocking on I/O except when the cache refreshes.
            var result = key.Keys.SignAsync(key.Ring, digest: null, payload: input, CancellationToken.None).GetAwaiter().GetResult();
            return result.Kid == key.KeyId
                ? result.Signature
                : throw new SecurityTokenException($"key ring '{key.Ring}' signed with {result.Kid}, not the {key.KeyId} named in the header");
        }

        public override byte[] Sign(byte[] input, int offset, int count) => Sign(input.AsSpan(offset, count).ToArray());

        public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
        {
            var signature = Sign(data.ToArray());
            bytesWritten = signature.Length;
            return signature.AsSpan().TryCopyTo(destination);
        }

        public override bool Verify(byte[] input, byte[] signature) => throw new NotSupportedException("ring keys do not verify here");

        public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength)
            => throw new NotSupportedException("ring keys do not verify here");

        protected override void Dispose(bool disposing)
        {
        }
    }
}
