using System.CommandLine;
using SecureFuture.Cli.Findings;
using SecureFuture.Core;

namespace SecureFuture.Cli.Identity;

/// <summary>
/// <c>sfi token</c>: get an access token from <c>sfi serve --issuer</c> as a registered client, the way a workload or CI
/// job does: <c>private_key_jwt</c> (RFC 7523) and, with <c>--dpop</c>, a token bound to a fresh key (RFC 9449).
/// Standard output gets only what was asked for (the token, or with <c>--for-url</c> a ready <c>curl</c> line), so it
/// can be captured or piped; nothing else that could authenticate is printed anywhere.
/// </summary>
internal static class TokenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var server = HubClient.ServerOption();
        var credential = new ClientCredentialOptions();
        var dpop = new Option<bool>("--dpop") { Description = "Bind the token to a DPoP key made for this run (RFC 9449); needs --for-url to be usable, since the key is not kept." };
        var resource = new Option<string[]>("--resource") { Description = "An audience the token is for (RFC 8707; repeat). Default: all of the client's audiences. sfi's own API (/v1/whoami) is {issuer}v1/.", AllowMultipleArgumentsPerToken = false };
        var scope = new Option<string[]>("--scope") { Description = "A scope to ask for (repeat, or space-separated). Default: all of the client's scopes.", AllowMultipleArgumentsPerToken = false };
        var forUrl = new Option<string?>("--for-url") { Description = "Print a ready curl command that calls this URL with the token (and a DPoP proof made for it) instead of the bare token.", HelpName = "url" };
        var method = new Option<string>("--method") { Description = "With --for-url: the HTTP method the DPoP proof is made for.", DefaultValueFactory = _ => "GET" }.OneOf(["GET", "POST", "PUT", "PATCH", "DELETE"]);
        var command = new Command("token", "Get an access token as a registered client (private_key_jwt, optionally DPoP-bound) and print it, or a ready curl line with --for-url.")
        {
            server, credential.Client, credential.Key, dpop, resource, scope, forUrl, method,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(dpop) && result.GetResult(forUrl) is null)
            {
                result.AddError("--dpop needs --for-url URL: the DPoP key lives only in this run, so the proof for your request is made now");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var serverText = parse.GetValue(server)!;
            if (!Uri.TryCreate(serverText, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("http" or "https"))
            {
                throw new InputException($"--server: '{serverText}' is not an http(s) URL");
            }

            Uri? target = null;
            if (parse.GetValue(forUrl) is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out target) || target.Scheme is not ("http" or "https")))
            {
                throw new InputException($"--for-url: '{url}' is not an http(s) URL");
            }

            using var client = await credential.ResolveAsync(parse, ct)
                ?? throw new InputException($"--client NAME (or {ClientCredentialOptions.ClientVariable}) is required: the registered client to get a token for");
            using var source = new ClientCredentialTokenSource(serverUri, client.ClientId, client.Key, clock);
            using var dpopKey = parse.GetValue(dpop) ? new DpopKey() : null;
            var scopes = (parse.GetValue(scope) ?? []).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
            var token = await source.RequestAsync(scopes, parse.GetValue(resource) ?? [], dpopKey, ct);
            await stderr.WriteLineAsync($"sfi: {token.TokenType} token for client '{client.ClientId}'{(token.Scope is { Length: > 0 } s ? $", scope '{s}'" : string.Empty)}{(token.ExpiresIn is { } e ? $", expires in {e} s" : string.Empty)}");
            if (target is null)
            {
                await stdout.WriteLineAsync(token.Value);
                return ExitCodes.Success;
            }

            using var request = new HttpRequestMessage(new HttpMethod(parse.GetValue(method)!), target);
            token.Authorize(request, target, clock);
            var dpopHeader = request.Headers.TryGetValues("DPoP", out var proofs) ? $" -H {Quote("DPoP: " + proofs.Single())}" : string.Empty;
            var verb = request.Method == HttpMethod.Get ? string.Empty : $" -X {request.Method.Method}";
            // The proof is good for one request within a minute (RFC 9449 §11.1: iat, jti), so the line is for now.
            await stdout.WriteLineAsync($"curl -sS{verb} -H {Quote("Authorization: " + request.Headers.Authorization)}{dpopHeader} {Quote(target.AbsoluteUri)}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>POSIX shell single quotes: nothing inside is expanded; a quote is closed, escaped and reopened.</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
