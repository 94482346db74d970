using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Cli.Findings;
using SecureFuture.Core;
using SecureFuture.Identity.Clients;

namespace SecureFuture.Cli.Identity;

/// <summary>
/// <c>sfi clients</c>: register and administer the OAuth clients of a running <c>sfi serve --issuer</c> over its admin
/// API (docs/identity.md). <c>add --generate-key</c> makes the client's key pair here and registers only the public
/// key, so no private key ever crosses the network or reaches the server.
/// </summary>
internal static class ClientsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        return new Command("clients", "Register and administer the token service's clients (private_key_jwt): add, list, show, disable, enable.")
        {
            Add(stdout, stderr),
            Verb("list", "List the registered clients.", null, stdout, stderr),
            Verb("show", "Show one client's registration (public keys, scopes, audiences, binding).", HttpMethod.Get, stdout, stderr),
            Verb("disable", "Disable a client: it gets no more tokens, and resource servers refuse the tokens it holds.", HttpMethod.Post, stdout, stderr),
            Verb("enable", "Enable a disabled client again (tokens issued before it was disabled stay refused).", HttpMethod.Post, stdout, stderr),
        };
    }

    private static Command Add(TextWriter stdout, TextWriter stderr)
    {
        var (server, adminKeyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var name = ClientId();
        var generateKey = new Option<string>("--generate-key")
        {
            Description = "Generate the client's EC P-256 key pair here, register its public key, and write the private key to this file (mode 0600; an existing file is kept unless --force).",
            HelpName = "file",
            Required = true,
        };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file (its old key is lost)." };
        var scope = new Option<string[]>("--scope") { Description = "A scope the client may ask for (repeat), e.g. sfi.findings.write and sfi.findings.project:ID.", AllowMultipleArgumentsPerToken = false };
        var audience = new Option<string[]>("--audience") { Description = "An audience its tokens may name (repeat; default: the server's own API, {issuer}v1/).", AllowMultipleArgumentsPerToken = false };
        var dpop = new Option<bool>("--dpop") { Description = "Require DPoP: the client gets only tokens bound to a key it proves it holds (RFC 9449)." };
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var add = new Command("add", "Register a client whose key pair is generated here; only the public key is sent.") { name, generateKey, force, scope, audience, dpop, format, server, adminKeyFile };
        add.SetAction(async (parse, ct) =>
        {
            var keyFile = parse.GetValue(generateKey)!;
            using var key = ClientKey.Generate();
            // Staged before anything is registered, so an existing file is refused before the server changes; put in
            // place only once the registration succeeded, so a refused one leaves no key file behind.
            using var pending = key.Stage(keyFile, parse.GetValue(force));
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(adminKeyFile), ct);
            var body = new JsonObject
            {
                ["clientId"] = parse.GetValue(name),
                ["jwks"] = new JsonObject { ["keys"] = new JsonArray(key.RegistrationJwk()) },
                ["scopes"] = new JsonArray([.. (parse.GetValue(scope) ?? []).Select(s => (JsonNode)s)]),
                ["requireDpop"] = parse.GetValue(dpop),
            };
            if (parse.GetValue(audience) is { Length: > 0 } audiences)
            {
                body["audiences"] = new JsonArray([.. audiences.Select(a => (JsonNode)a)]);
            }

            var response = await hub.SendJsonAsync(HttpMethod.Post, "/v1/clients", body, stderr, ct);
            if (!response.Succeeded)
            {
                return response.ExitCode;
            }

            pending.Commit();
            return await PrintAsync(response.Json, parse.GetValue(format)!, stdout, json =>
                $"registered client '{json["clientId"]}': key {ClientKey.Algorithm} (kid {key.KeyId}), {Describe(json)}\nprivate key written to {keyFile} (mode 0600); keep it secret, it is the client's credential");
        });
        return add;
    }

    /// <summary><c>list</c> (no argument, <paramref name="method"/> null) or a verb on one client: show, disable, enable.</summary>
    private static Command Verb(string verb, string description, HttpMethod? method, TextWriter stdout, TextWriter stderr)
    {
        var (server, adminKeyFile) = (HubClient.ServerOption(), HubClient.AdminKeyFileOption());
        var format = CliOptions.Format("Output format: text or json.", ["text", "json"]);
        var command = new Command(verb, description) { format, server, adminKeyFile };
        var name = method is null ? null : ClientId();
        if (name is not null)
        {
            command.Arguments.Add(name);
        }

        command.SetAction(async (parse, ct) =>
        {
            var hub = await HubClient.ConnectAsync(parse.GetValue(server)!, parse.GetValue(adminKeyFile), ct);
            var path = name is null ? "/v1/clients" : $"/v1/clients/{Uri.EscapeDataString(parse.GetValue(name)!)}{(verb == "show" ? string.Empty : "/" + verb)}";
            var response = await hub.SendJsonAsync(method ?? HttpMethod.Get, path, null, stderr, ct);
            return !response.Succeeded ? response.ExitCode : await PrintAsync(response.Json, parse.GetValue(format)!, stdout, json => name is null
                ? string.Join('\n', json["clients"]!.AsArray().Select(c => $"{c!["clientId"]}\t{Describe(c)}"))
                : $"{json["clientId"]}: {Describe(json)}");
        });
        return command;
    }

    /// <summary>A client id argument, checked as the server checks it, so a bad id is refused as typed before any call.</summary>
    private static Argument<string> ClientId()
    {
        var name = new Argument<string>("name") { Description = $"The client id ({ClientIds.Rule})." };
        name.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Type == TokenType.Argument && t.Value.Length > 0 && !ClientIds.IsValid(t.Value)))
            {
                result.AddError($"name: '{new string([.. token.Value.Take(80).Select(c => char.IsControl(c) ? '?' : c)])}' is not a client id: {ClientIds.Rule}");
            }
        });
        return name;
    }

    private static string Describe(JsonNode json) =>
        $"{((bool?)json["enabled"] == false ? "DISABLED, " : string.Empty)}scopes {Join(json["scopes"])}, audiences {Join(json["audiences"])}, "
        + $"{((bool?)json["requireDpop"] == true ? "DPoP required" : "DPoP optional")}, keys {Join(json["keyIds"])}";

    private static string Join(JsonNode? array) => array is JsonArray { Count: > 0 } a ? string.Join(' ', a.Select(v => v?.ToString())) : "-";

    private static async Task<int> PrintAsync(JsonNode? json, string format, TextWriter stdout, Func<JsonNode, string> text)
    {
        await stdout.WriteLineAsync(format == "json" ? json?.ToJsonString(Indented) : text(json!));
        return ExitCodes.Success;
    }
}
