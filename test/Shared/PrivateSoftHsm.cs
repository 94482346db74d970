using SecureFuture.Keys.Pkcs11;

namespace SecureFuture.Testing;

/// <summary>
/// A SoftHSM2 token in a temporary directory, loaded through a copy of the module of its own, for a test that makes
/// the HSM fail, vanish or come back without touching the collection's shared token. A PKCS#11 module keeps its state
/// per loaded library (C_Initialize once, one slot list) and the loader maps a file only once per process, so a second
/// instance of the module needs a copy of it under another path. Disposing deletes the directory; dispose the
/// custodian first (declare it after this).
/// </summary>
public sealed class PrivateSoftHsm : IDisposable
{
    private PrivateSoftHsm(string directory, string modulePath)
    {
        Directory = directory;
        ModulePath = modulePath;
        Options = SoftHsmToken.Prepare(directory, modulePath);
    }

    /// <summary>The temporary directory: the token is under <c>hsm/</c>, as <see cref="SoftHsmToken"/> lays it out.</summary>
    public string Directory { get; }

    /// <summary>Where this token's copy of the module is (or will be, until <see cref="InstallModule"/>).</summary>
    public string ModulePath { get; }

    /// <summary>The custodian options for the token through <see cref="ModulePath"/>.</summary>
    public Pkcs11Options Options { get; }

    /// <summary>The token's object store.</summary>
    public string TokenDirectory => Path.Combine(Directory, "hsm", "tokens");

    /// <summary>
    /// Creates the directory and the token's configuration and PIN. With <paramref name="installModule"/> false the
    /// module is not there yet: an HSM that is missing at start (<see cref="InstallModule"/> brings it).
    /// </summary>
    public static PrivateSoftHsm Create(string prefix, bool installModule = true)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        var hsm = new PrivateSoftHsm(directory, ModuleIn(Path.Combine(directory, "module")));
        if (installModule)
        {
            hsm.InstallModule();
        }

        return hsm;
    }

    /// <summary>Copies the module to <see cref="ModulePath"/>: the HSM arrives.</summary>
    public void InstallModule() => CopyModule(Path.GetDirectoryName(ModulePath)!);

    /// <summary>Copies the SoftHSM2 module into <paramref name="directory"/> (created if missing, an earlier copy replaced atomically); returns the copy's path.</summary>
    public static string CopyModule(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var path = ModuleIn(directory);
        // Copied aside and renamed into place: a server polling for the module (an HSM missing at start) must never
        // load a half-written copy, which crashed the test host when tried.
        var partial = path + ".copying";
        File.Copy(Pkcs11Options.SoftHsmModule, partial, overwrite: true);
        File.Move(partial, path, overwrite: true);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static string ModuleIn(string directory) => Path.Combine(directory, Path.GetFileName(Pkcs11Options.SoftHsmModule));
}
