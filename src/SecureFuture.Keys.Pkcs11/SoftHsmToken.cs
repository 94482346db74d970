using System.Security.Cryptography;
using System.Text;

namespace SecureFuture.Keys.Pkcs11;

/// <summary>
/// The default HSM: a SoftHSM2 token under <c>DIR/hsm/</c>, with its configuration at <c>DIR/hsm/softhsm2.conf</c>, its
/// object store in <c>DIR/hsm/tokens/</c> (mode 0700) and a generated user PIN in <c>DIR/hsm/user.pin</c> (mode 0600).
/// The token itself is initialized by the custodian on first use (an empty token directory), through PKCS#11, so no PIN
/// appears in a process list; a token directory that holds a token the module cannot find is refused, never replaced.
/// </summary>
public static class SoftHsmToken
{
    public const string DefaultLabel = "sfi";

    /// <summary>Creates the directory, configuration and PIN file if they are missing; returns the custodian options.</summary>
    public static Pkcs11Options Prepare(string dataDirectory, string? modulePath = null)
    {
        var hsm = Path.GetFullPath(Path.Combine(dataDirectory, "hsm"));
        var tokens = Path.Combine(hsm, "tokens");
        CreatePrivateDirectory(hsm);
        CreatePrivateDirectory(tokens);

        var config = Path.Combine(hsm, "softhsm2.conf");
        var expected = $"# Written by sfi serve: the SoftHSM2 token that holds this server's keys.\ndirectories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
        if (!File.Exists(config) || File.ReadAllText(config) != expected)
        {
            WritePrivateFile(config, Encoding.UTF8.GetBytes(expected), overwrite: true);
        }

        var pinFile = Path.Combine(hsm, "user.pin");
        if (!File.Exists(pinFile))
        {
            WritePrivateFile(pinFile, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "\n"), overwrite: false);
        }

        return new Pkcs11Options
        {
            ModulePath = modulePath ?? Pkcs11Options.SoftHsmModule,
            TokenLabel = DefaultLabel,
            PinFile = pinFile,
            SoftHsmConfig = config,
            // Only a token directory with no token in it gets a new one. A token that is there but cannot be found by
            // its label (SoftHSM2 rewrites token.object in place, so a crash can leave it cut short) is a lost HSM, not a
            // first start: creating a fresh token beside it would hide the loss of every key and of the audit key.
            InitializeTokenIfMissing = !Directory.EnumerateFileSystemEntries(tokens).Any(),
        };
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void WritePrivateFile(string path, byte[] content, bool overwrite)
    {
        var options = new FileStreamOptions
        {
            Mode = overwrite ? FileMode.Create : FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
