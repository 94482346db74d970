using SecureFuture.Keys.Pkcs11;

namespace SecureFuture.Testing;

/// <summary>One SoftHSM2 token and custodian for a test process (an xunit collection fixture); each test starts its own server on it.</summary>
public class SoftHsmFixture : IDisposable
{
    public SoftHsmFixture()
    {
        HsmDirectory = Directory.CreateTempSubdirectory("sfi-test-hsm-").FullName;
        Options = SoftHsmToken.Prepare(HsmDirectory);
        Custodian = new Pkcs11Custodian(Options);
        Custodian.Ping();
    }

    public string HsmDirectory { get; }

    /// <summary>How the custodian reaches the token: for a second instance of the module, or a tool such as pkcs11-tool.</summary>
    public Pkcs11Options Options { get; }

    public Pkcs11Custodian Custodian { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Custodian.Dispose();
            Directory.Delete(HsmDirectory, recursive: true);
        }
    }
}
