using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SecureFuture.Core;

namespace SecureFuture.Cli.Identity;

/// <summary>
/// A client's signing key for <c>private_key_jwt</c>: an EC P-256 key (ES256, the first algorithm every sfi token
/// service accepts for client assertions and DPoP proofs). Generated on the client's machine, so the private key never
/// crosses the network: only <see cref="PublicJwk"/> is registered. Its <c>kid</c> is the RFC 7638 thumbprint of the
/// public key, so <c>sfi token</c> names the registered key from the private key file alone.
/// </summary>
internal sealed class ClientKey : IDisposable
{
    /// <summary>What a key file may be readable by: its owner only, as ssh insists for its own keys.</summary>
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly ECDsa _key;

    private ClientKey(ECDsa key)
    {
        _key = key;
        var p = key.ExportParameters(includePrivateParameters: false);
        var (x, y) = (Base64Url(p.Q.X!), Base64Url(p.Q.Y!));
        // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
        KeyId = Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}")));
        PublicJwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = x, ["y"] = y };
    }

    /// <summary>The JWS algorithm of every signature made with this key.</summary>
    public static string Algorithm => "ES256";

    /// <summary>The RFC 7638 JWK thumbprint, used as the registered key's <c>kid</c>.</summary>
    public string KeyId { get; }

    /// <summary>The public key as a JWK without <c>kid</c> or <c>alg</c> (a DPoP proof's <c>jwk</c> header, RFC 9449 §4.2).</summary>
    public JsonObject PublicJwk { get; }

    /// <summary>The public JWK to register: with <c>kid</c>, <c>alg</c> and <c>use</c>.</summary>
    public JsonObject RegistrationJwk()
    {
        var jwk = (JsonObject)PublicJwk.DeepClone();
        jwk["kid"] = KeyId;
        jwk["alg"] = Algorithm;
        jwk["use"] = "sig";
        return jwk;
    }

    public static ClientKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Reads a PEM private key (what <see cref="Stage"/> writes: PKCS#8, or SEC 1 "EC PRIVATE KEY"). A file that
    /// its group or others may read is refused: the key authenticates the client, and a copy someone else read is a
    /// credential someone else holds.
    /// </summary>
    public static async Task<ClientKey> LoadAsync(string path, CancellationToken cancellationToken)
    {
        string pem;
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOthers) != 0)
            {
                throw new InputException($"{path}: the private key file is accessible by its group or others (mode {Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0')}); chmod 600 it, or pass the key in SFI_CLIENT_KEY");
            }

            pem = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot read the private key file: {e.Message}", e);
        }

        return FromPem(pem, path);
    }

    /// <summary>Reads a PEM private key given as text (<c>SFI_CLIENT_KEY</c> holding the key itself, as CI secrets do).</summary>
    public static ClientKey FromPem(string pem, string source)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.ExportParameters(includePrivateParameters: true) is not { D: not null, Curve.Oid.Value: "1.2.840.10045.3.1.7" })
            {
                throw new InputException($"{source}: not an EC P-256 private key (sfi clients add --generate-key writes one)");
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            // The exception's message is not repeated: nothing of the file's content may reach the output.
            throw new InputException($"{source}: not a PEM EC P-256 private key (sfi clients add --generate-key writes one)", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return new ClientKey(key);
    }

    /// <summary>
    /// Writes the private key as PKCS#8 PEM to <paramref name="path"/>, mode 0600 from its creation (never briefly
    /// readable by others), and atomically: a temporary file in the same directory is renamed into place, so the path
    /// never holds a half-written key. An existing file is kept (the key it holds may be the only copy of a registered
    /// client's credential) unless <paramref name="overwrite"/>; the check and the rename are one step, so a file that
    /// appears meanwhile is not replaced either. Returns a commit/rollback pair so that the key lands only once the
    /// registration it belongs to succeeded.
    /// </summary>
    public PendingKeyFile Stage(string path, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (!overwrite && (File.Exists(full) || Directory.Exists(full)))
        {
            throw new InputException($"{path}: already exists; not overwritten (it may hold a registered client's only key); pass --force to replace it");
        }

        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(temporary, options))
            {
                var pem = _key.ExportPkcs8PrivateKeyPem();
                stream.Write(Encoding.ASCII.GetBytes(pem + "\n"));
                stream.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            throw new InputException($"{path}: cannot write the private key file: {e.Message}", e);
        }

        return new PendingKeyFile(path, full, temporary, overwrite);
    }

    /// <summary>Signs a compact JWS (RFC 7515 §7.1) over <paramref name="header"/> and <paramref name="claims"/>.</summary>
    public string Sign(JsonObject header, JsonObject claims)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(claims);
        header["alg"] = Algorithm;
        var input = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        // .NET's ECDsa signs in the IEEE P1363 form (r || s), which is what JWS ES256 requires (RFC 7518 §3.4).
        var signature = _key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256);
        return input + "." + Base64Url(signature);
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public void Dispose() => _key.Dispose();
}

/// <summary>A private key file written under a temporary name, waiting to be renamed into place or removed.</summary>
internal sealed class PendingKeyFile(string path, string full, string temporary, bool overwrite) : IDisposable
{
    private bool _settled;

    /// <summary>Renames the key into place; refuses (and removes the temporary) when a file appeared there meanwhile.</summary>
    public void Commit()
    {
        try
        {
            // Without overwrite, File.Move fails when the target exists (on Unix by link(2), which never replaces).
            File.Move(temporary, full, overwrite);
            _settled = true;
        }
        catch (IOException e)
        {
            // The client is registered with this key by now: keep the only copy and say where it is.
            _settled = true;
            throw new InputException($"{path}: cannot put the private key file in place ({e.Message}); the client is registered and its key was left in {temporary}", e);
        }
    }

    /// <summary>Removes the temporary file unless it was committed.</summary>
    public void Dispose()
    {
        if (!_settled)
        {
            File.Delete(temporary);
            _settled = true;
        }
    }
}
