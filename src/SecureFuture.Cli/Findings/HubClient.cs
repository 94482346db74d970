using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Cli.Identity;
using SecureFuture.Core;
using SecureFuture.Findings.Ingest;

namespace SecureFuture.Cli.Findings;

/// <summary>
/// A call to the findings hub of a running <c>sfi serve</c>, found as <c>sfi keys</c> finds it: <c>--server</c> (or
/// <c>SFI_SERVER</c>) and the admin key from <c>--admin-key-file</c> or <c>SFI_ADMIN_KEY</c>, or, for pushes, a
/// registered client's token (<see cref="ClientCredentialOptions"/>). A refusal is printed as
/// the server's problem detail and becomes a non-zero exit: 2 for a 4xx (the request was wrong), 70 for a 5xx.
/// </summary>
internal sealed class HubClient
{
    private static readonly JsonSerializerOptions Body = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private HubClient(Uri server, IServerCredential credential)
    {
        Server = server;
        Credential = credential;
    }

    public Uri Server { get; }

    private IServerCredential Credential { get; }

    public static Option<string> ServerOption() => new("--server") { Description = "The sfi serve URL (or SFI_SERVER).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SFI_SERVER") ?? "http://127.0.0.1:5080" };

    public static Option<string?> AdminKeyFileOption() => new("--admin-key-file") { Description = "File holding the admin key (default: the SFI_ADMIN_KEY environment variable)." };

    public static Task<HubClient> ConnectAsync(string server, string? adminKeyFile, CancellationToken cancellationToken)
        => ConnectAsync(server, adminKeyFile, client: null, [], TimeProvider.System, cancellationToken);

    /// <summary>With a <paramref name="client"/>, calls carry its token for <paramref name="scopes"/>; the admin key otherwise.</summary>
    public static async Task<HubClient> ConnectAsync(string server, string? adminKeyFile, ClientCredential? client, IReadOnlyCollection<string> scopes, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new InputException($"--server: '{server}' is not an http(s) URL");
        }

        if (client is not null)
        {
            return adminKeyFile is null ? new HubClient(uri, new ClientTokenCredential(uri, client, scopes, clock)) : throw new InputException("--admin-key-file and a client credential exclude each other: choose one");
        }

        string key;
        if (adminKeyFile is not null)
        {
            try
            {
                key = (await File.ReadAllTextAsync(adminKeyFile, cancellationToken)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{adminKeyFile}: cannot read the admin key file: {e.Message}", e);
            }
        }
        else
        {
            key = Environment.GetEnvironmentVariable("SFI_ADMIN_KEY") ?? throw new InputException("set SFI_ADMIN_KEY or pass --admin-key-file: the findings hub needs the admin key");
        }

        return new HubClient(uri, new AdminKeyCredential(key));
    }

    public Task<HubResponse> SendJsonAsync(HttpMethod method, string path, object? body, TextWriter stderr, CancellationToken cancellationToken)
        => SendAsync(method, path, body is null ? null : JsonContent.Create(body, options: Body), TimeSpan.FromSeconds(30), stderr, cancellationToken);

    /// <summary>An upload this large that breaks off was most likely refused for its size.</summary>
    internal const long UploadHintBytes = 16L * 1024 * 1024;

    /// <summary>Sends <paramref name="content"/> (streamed, not buffered) and reads the answer.</summary>
    public async Task<HubResponse> SendAsync(HttpMethod method, string path, HttpContent? content, TimeSpan timeout, TextWriter stderr, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = Server, Timeout = timeout };
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            await Credential.AuthorizeAsync(request, cancellationToken);
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (content?.Headers.ContentLength is > UploadHintBytes and var length)
        {
            // A hub that refuses a body as too large answers 413 and closes the connection while the upload is still
            // going: the client sees a broken upload, not the answer. Say what most likely happened.
            throw new InputException(
                $"{Server} closed the connection while {length / (1024 * 1024):N0} MiB were being sent ({e.Message}): the hub refuses a push over its size limit " +
                $"({IngestLimits.Default.MaxBytes / (1024 * 1024):N0} MiB by default) with 413; gzip the log (the hub reads gzip as is) or split it", e);
        }
        catch (HttpRequestException e)
        {
            throw new InputException($"cannot reach {Server}: {e.Message}", e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            try
            {
                json = text.Length > 0 ? JsonNode.Parse(text) : null;
            }
            catch (JsonException)
            {
            }

            if (response.IsSuccessStatusCode)
            {
                return new HubResponse(ExitCodes.Success, json);
            }

            var detail = json?["detail"]?.ToString() ?? text;
            var retry = response.Headers.RetryAfter?.Delta is { } delta ? $" (retry in {delta.TotalSeconds:0} s)" : string.Empty;
            await stderr.WriteLineAsync($"sfi: {(int)response.StatusCode} {json?["title"] ?? response.ReasonPhrase}: {detail}{retry}");
            return new HubResponse((int)response.StatusCode >= 500 ? ExitCodes.InternalError : ExitCodes.UsageError, json);
        }
    }
}

/// <summary>The exit code a call maps to, and the JSON it answered.</summary>
internal sealed record HubResponse(int ExitCode, JsonNode? Json)
{
    public bool Succeeded => ExitCode == ExitCodes.Success;
}
