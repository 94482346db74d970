namespace SecureFuture.Testing;

/// <summary>A test that needs root on Linux (mknod of a device); reported as skipped, with the reason, otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Skip = "creating a character device with mknod needs root on Linux";
        }
    }
}
