namespace SecureFuture.Scanning.Dependencies.Inventory;

/// <summary>A manifest or lock file that does not parse, at a 1-based line and column.</summary>
public sealed class ManifestFormatException : Exception
{
    public ManifestFormatException(int line, int column, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Line = line;
        Column = column;
    }

    public ManifestFormatException()
    {
    }

    public ManifestFormatException(string message)
        : base(message)
    {
    }

    public ManifestFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Line { get; } = 1;

    public int Column { get; } = 1;
}

/// <summary>A lock file of a format version that is not known; reading it would be guessing.</summary>
public sealed class UnknownLockFileVersionException : Exception
{
    public UnknownLockFileVersionException(string version, string known)
        : base($"lock file version {version} is not one sfi reads (known: {known}); its packages are not inventoried")
    {
    }

    public UnknownLockFileVersionException()
    {
    }

    public UnknownLockFileVersionException(string message)
        : base(message)
    {
    }

    public UnknownLockFileVersionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
