namespace SecureFuture.Keys;

/// <summary>A key pair generated inside the HSM: its object id and its public half.</summary>
public sealed record HsmKey(string HsmId, string Label, PublicKeyMaterial PublicKey);

/// <summary>A key object found in the HSM by label prefix.</summary>
public sealed record HsmKeyInfo(string HsmId, string Label);

/// <summary>
/// Custody of private keys. Implementations generate keys inside a hardware (or SoftHSM2) token as sensitive and
/// non-extractable, and sign there; no member returns private key material, and none can.
/// All members are thread-safe.
/// </summary>
public interface IKeyCustodian : IDisposable
{
    /// <summary>A human-readable description of where the keys live (module and token), never a PIN.</summary>
    string Description { get; }

    /// <summary>Generates a key pair for <paramref name="algorithm"/> inside the token.</summary>
    HsmKey Generate(SigningAlgorithm algorithm, string label);

    /// <summary>Signs a digest with the private key <paramref name="hsmId"/>; ECDSA signatures come back as JWS r||s.</summary>
    byte[] SignDigest(string hsmId, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest);

    /// <summary>Reads the public half of a key, or null when the token holds no such key.</summary>
    PublicKeyMaterial? FindPublicKey(string hsmId, SigningAlgorithm algorithm);

    /// <summary>Every private key whose label starts with <paramref name="labelPrefix"/>.</summary>
    IReadOnlyList<HsmKeyInfo> List(string labelPrefix);

    /// <summary>Destroys both halves of a key pair; false when the token did not hold it.</summary>
    bool Destroy(string hsmId);

    /// <summary>Throws <see cref="HsmUnavailableException"/> unless the token answers now.</summary>
    void Ping();
}

/// <summary>The HSM cannot be reached (module missing, token absent, session lost, login refused). Callers answer 503.</summary>
public sealed class HsmUnavailableException : Exception
{
    public HsmUnavailableException(string message)
        : base(message)
    {
    }

    public HsmUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HsmUnavailableException()
    {
    }
}

/// <summary>Why a key service operation was refused; the HTTP layer maps each kind to a status code.</summary>
public enum KeyErrorKind
{
    /// <summary>400: the request is malformed or breaks policy.</summary>
    Invalid,

    /// <summary>403: the caller may not use this ring (it signs only for the server's own services).</summary>
    Forbidden,

    /// <summary>404: no such ring or key.</summary>
    NotFound,

    /// <summary>409: the request conflicts with the current state (ring exists, kid no longer active).</summary>
    Conflict,

    /// <summary>413: the payload is larger than the service accepts.</summary>
    TooLarge,

    /// <summary>503: the HSM or the store cannot be reached.</summary>
    Unavailable,
}

/// <summary>A refused key service operation; nothing was changed.</summary>
public sealed class KeyServiceException : Exception
{
    public KeyServiceException(KeyErrorKind kind, string message, IReadOnlyList<string>? errors = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Errors = errors ?? [];
    }

    public KeyServiceException()
    {
        Errors = [];
    }

    public KeyServiceException(string message)
        : base(message)
    {
        Errors = [];
    }

    public KeyServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public KeyErrorKind Kind { get; }

    /// <summary>Every problem found, one per field, for problem+json <c>errors</c>.</summary>
    public IReadOnlyList<string> Errors { get; }
}
