namespace SecureFuture.Keys.Pkcs11;

/// <summary>Where the HSM is and how to log in. The PIN is read from a file and never appears on a command line or in logs.</summary>
public sealed record Pkcs11Options
{
    /// <summary>The Debian path of SoftHSM2's PKCS#11 module.</summary>
    public const string SoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

    public required string ModulePath { get; init; }

    public required string TokenLabel { get; init; }

    /// <summary>A file holding the user PIN (a trailing newline is ignored).</summary>
    public required string PinFile { get; init; }

    /// <summary>For SoftHSM2: the configuration file exported as SOFTHSM2_CONF before the module initializes.</summary>
    public string? SoftHsmConfig { get; init; }

    /// <summary>Initialize the token in the first free slot if no token has this label (the default SoftHSM2 token only).</summary>
    public bool InitializeTokenIfMissing { get; init; }

    /// <summary>Sessions kept open for concurrent operations.</summary>
    public int MaxPooledSessions { get; init; } = 16;
}
