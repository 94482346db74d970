using SecureFuture.Keys.Pkcs11;

namespace SecureFuture.Testing;

/// <summary>One SoftHSM2 token and custodian for a test process (an xunit collection fixture); each test starts its own server on it.</summary>
public class SoftHsmFixture : IDisposable
{
    public SoftHsmFixture()
    {
        HsmDirectory = Directory.CreateTempSubdirectory("sfi-test-hsm-").FullName;
        Custodian = new Pkcs11Custodian(SoftHsmToken.Prepare(HsmDirectory));
        Custodian.Ping();
    }

    public string HsmDirectory { get; }

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
