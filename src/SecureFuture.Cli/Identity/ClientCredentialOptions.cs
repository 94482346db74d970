using System.CommandLine;
using SecureFuture.Core;

namespace SecureFuture.Cli.Identity;

/// <summary>
/// <c>--client NAME --key FILE</c>: authenticate to <c>sfi serve</c> as a registered client by <c>private_key_jwt</c>,
/// the way CI should (a credential scoped to what it does, which an admin can disable), instead of with the admin key.
/// Without the options, <c>SFI_CLIENT</c> and <c>SFI_CLIENT_KEY</c> are read; <c>SFI_CLIENT_KEY</c> is the key file's
/// path or the PEM itself (a CI secret), and is never printed.
/// </summary>
internal sealed class ClientCredentialOptions
{
    public const string ClientVariable = "SFI_CLIENT";
    public const string KeyVariable = "SFI_CLIENT_KEY";

    public Option<string?> Client { get; } = new("--client") { Description = $"Authenticate as this registered client by private_key_jwt (or {ClientVariable}).", HelpName = "name" };

    public Option<string?> Key { get; } = new("--key") { Description = $"The client's private key file, mode 0600 (or {KeyVariable}: the file's path or the PEM itself).", HelpName = "file" };

    /// <summary>
    /// The client credential the command line or the environment names, or null when neither names a client (the
    /// caller then uses the admin key). A client without a key, or a key without a client, is a usage error.
    /// </summary>
    public async Task<ClientCredential?> ResolveAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var explicitKey = parse.GetValue(Key);
        var clientId = parse.GetValue(Client) ?? NonEmpty(Environment.GetEnvironmentVariable(ClientVariable));
        if (clientId is null)
        {
            return explicitKey is null ? null : throw new InputException($"--key needs --client (or {ClientVariable}): the id of the client the key belongs to");
        }

        ClientKey key;
        if (explicitKey is not null)
        {
            key = await ClientKey.LoadAsync(explicitKey, cancellationToken);
        }
        else if (NonEmpty(Environment.GetEnvironmentVariable(KeyVariable)) is { } fromEnvironment)
        {
            key = fromEnvironment.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal)
                ? ClientKey.FromPem(fromEnvironment, KeyVariable)
                : await ClientKey.LoadAsync(fromEnvironment, cancellationToken);
        }
        else
        {
            throw new InputException($"client '{clientId}' needs its private key: pass --key FILE or set {KeyVariable}");
        }

        return new ClientCredential(clientId, key);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>A registered client's id and private key.</summary>
internal sealed class ClientCredential(string clientId, ClientKey key) : IDisposable
{
    public string ClientId { get; } = clientId;

    public ClientKey Key { get; } = key;

    public void Dispose() => Key.Dispose();
}
