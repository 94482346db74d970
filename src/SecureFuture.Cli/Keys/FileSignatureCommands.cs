using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Identity.Validation;
using SecureFuture.Keys;

namespace SecureFuture.Cli.Keys;

/// <summary>
/// <c>sfi keys sign-file</c> and <c>sfi keys verify-file</c>: detached signatures of release artefacts made by a key ring
/// of <c>sfi serve</c>, so the project signs its releases with the HSM custody it offers (docs/keys.md, "Signing files").
/// <para>
/// A signature is a compact JWS (RFC 7515 §7.1) whose protected header names the key (<c>kid</c>, <c>alg</c>) and the
/// type <see cref="Type"/>, and whose payload states what was signed: the ring, the file's name, size and SHA-256. The
/// HSM signs the JWS signing input (under 1 KiB) through <c>POST /v1/keyrings/{ring}/sign</c>; a verifier needs only the
/// ring's published JWKS, and any JOSE library can check the JWS.
/// </para>
/// </summary>
internal static class FileSignatureCommands
{
    /// <summary>The JWS <c>typ</c> of a file signature (RFC 7515 §4.1.9): a token the ring signed is never taken for one.</summary>
    public const string Type = "sfi-file-signature+jwt";

    /// <summary>The default signature path beside the file.</summary>
    public const string Extension = ".sig";

    private static readonly string[] Algorithms = ["ES256", "ES384", "PS256", "RS256"];

    public static (Command Sign, Command Verify) Create(
        Option<string> server, Option<string?> adminKeyFile, TextWriter stdout, TextWriter stderr, TimeProvider clock)
    {
        var signPath = new Argument<string>("file") { Description = "The file to sign." };
        var signRing = new Option<string>("--ring") { Description = "The key ring that signs (create one for releases with a long rotation period and verification grace).", Required = true };
        var signOutput = new Option<string?>("--output", "-o") { Description = "Where to write the signature (default: FILE.sig)." };
        var sign = new Command("sign-file", "Sign a file with a key ring's HSM-held key: a detached JWS naming the key, verifiable against the ring's JWKS.")
        {
            signPath, signRing, signOutput, server, adminKeyFile,
        };
        AddRingCheck(signRing);
        sign.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(signPath)!;
            var ring = parse.GetValue(signRing)!;
            var (sha256, size) = await DigestAsync(path, ct);
            for (var attempt = 0; ; attempt++)
            {
                // The header names the key before the HSM signs: ask which key is active, sign, and if a rotation came in
                // between (the answer names another kid) build the header again.
                var (status, ringView, text) = await KeysCommand.SendAsync(parse, HttpMethod.Get, $"/v1/keyrings/{Uri.EscapeDataString(ring)}", null, server, adminKeyFile, ct);
                if (!KeysCommand.IsSuccess(status))
                {
                    return await KeysCommand.RefusedAsync(status, ringView, text, stderr);
                }

                var kid = ringView?["activeKid"]?.GetValue<string>() ?? throw new InputException($"key ring '{ring}' has no active key yet; the scheduler creates one");
                var alg = SigningAlgorithm.FromId(ringView["algorithm"]!.GetValue<string>()).Name;
                var header = new JsonObject { ["alg"] = alg, ["kid"] = kid, ["typ"] = Type };
                var claims = new JsonObject
                {
                    ["ring"] = ring,
                    ["name"] = Path.GetFileName(path),
                    ["size"] = size,
                    ["sha256"] = sha256,
                    ["iat"] = clock.GetUtcNow().ToUnixTimeSeconds(),
                };
                var signingInput = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
                var body = new { payload = Base64Url.Encode(Encoding.ASCII.GetBytes(signingInput)) };
                (status, var signed, text) = await KeysCommand.SendAsync(parse, HttpMethod.Post, $"/v1/keyrings/{Uri.EscapeDataString(ring)}/sign", body, server, adminKeyFile, ct);
                if (!KeysCommand.IsSuccess(status))
                {
                    return await KeysCommand.RefusedAsync(status, signed, text, stderr);
                }

                if (signed?["kid"]?.GetValue<string>() != kid || signed["alg"]?.GetValue<string>() != alg)
                {
                    if (attempt < 2)
                    {
                        continue;
                    }

                    throw new InputException($"key ring '{ring}' kept rotating while signing; try again");
                }

                var output = parse.GetValue(signOutput) ?? path + Extension;
                var jws = signingInput + "." + signed["signature"]!.GetValue<string>() + "\n";
                await AtomicFile.WriteAsync(output, (stream, token) => stream.WriteAsync(Encoding.ASCII.GetBytes(jws), token).AsTask(), ct);
                await stdout.WriteLineAsync($"signed {Path.GetFileName(path)} (sha256 {sha256}) with {ring} key {kid} ({alg}): {output}");
                return ExitCodes.Success;
            }
        });

        var verifyPath = new Argument<string>("file") { Description = "The file to verify." };
        var signature = new Option<string?>("--signature") { Description = "The signature file (default: FILE.sig)." };
        var verifyRing = new Option<string>("--ring") { Description = "The key ring the signature must come from.", Required = true };
        var jwks = new Option<string?>("--jwks") { Description = "The ring's JWKS as a file or URL (default: SERVER/v1/keyrings/RING/jwks.json)." };
        var verify = new Command("verify-file", "Verify a file against its signature and the ring's published JWKS; exit 1 if the file or signature was altered or the key is retired or unknown.")
        {
            verifyPath, signature, verifyRing, jwks, server,
        };
        AddRingCheck(verifyRing);
        verify.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(verifyPath)!;
            var ring = parse.GetValue(verifyRing)!;
            var signaturePath = parse.GetValue(signature) ?? path + Extension;
            string jws;
            try
            {
                jws = (await File.ReadAllTextAsync(signaturePath, ct)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{signaturePath}: cannot read the signature: {e.Message}", e);
            }

            var keySource = parse.GetValue(jwks) ?? new Uri(KeysCommand.ServerUri(parse.GetValue(server)!), $"v1/keyrings/{Uri.EscapeDataString(ring)}/jwks.json").ToString();
            var keySet = await ReadJwksAsync(keySource, ct);
            var (sha256, size) = await DigestAsync(path, ct);
            var refusal = Verify(jws, ring, keySet, sha256, size, clock.GetUtcNow(), out var kid);
            if (refusal is not null)
            {
                await stderr.WriteLineAsync($"sfi: {path}: NOT verified: {refusal}");
                return ExitCodes.GateTripped;
            }

            await stdout.WriteLineAsync($"verified: {Path.GetFileName(path)} (sha256 {sha256}) was signed by {ring} key {kid}");
            return ExitCodes.Success;
        });

        return (sign, verify);
    }

    /// <summary>
    /// Why <paramref name="jws"/> does not vouch for a file of this digest and size from <paramref name="ring"/>, or null
    /// when it does. The key must be in the ring's JWKS now: a retired or unknown key is refused, as a token's would be.
    /// </summary>
    internal static string? Verify(string jws, string ring, JsonElement keySet, string sha256, long size, DateTimeOffset now, out string? kid)
    {
        kid = null;
        var parts = jws.Split('.');
        if (parts.Length != 3)
        {
            return "the signature is not a compact JWS (three base64url parts separated by dots)";
        }

        JsonElement header;
        JsonElement claims;
        byte[] signatureBytes;
        try
        {
            header = Json(parts[0]);
            claims = Json(parts[1]);
            signatureBytes = Base64UrlStrict.Decode(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return $"the signature is malformed ({e.Message})";
        }

        if (String(header, "typ") != Type)
        {
            return $"the signature's type is '{String(header, "typ")}', not {Type}: it is not a file signature";
        }

        kid = String(header, "kid");
        var alg = String(header, "alg");
        if (kid is null || alg is null || !Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            return "the signature's header must name a kid and one of the algorithms " + string.Join(", ", Algorithms);
        }

        VerificationKey? key = null;
        try
        {
            if (keySet.ValueKind == JsonValueKind.Object && keySet.TryGetProperty("keys", out var keys) && keys.ValueKind == JsonValueKind.Array)
            {
                foreach (var jwk in keys.EnumerateArray())
                {
                    if (jwk.TryGetProperty("kid", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() == kid)
                    {
                        key = VerificationKey.TryCreate(jwk, [alg], out var reason) ?? throw new FormatException(reason);
                        break;
                    }
                }
            }

            if (key is null)
            {
                return $"key {kid} is not in the published JWKS of ring '{ring}': it is retired or unknown";
            }

            if (key.Expires is { } expires && now > expires || key.NotBefore is { } notBefore && now < notBefore)
            {
                return $"key {kid} is outside its validity window in the JWKS";
            }

            if (!key.Verify(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signatureBytes))
            {
                return $"the signature does not verify with key {kid}: the signature file was altered or made by another key";
            }
        }
        catch (FormatException e)
        {
            return $"key {kid} in the JWKS cannot verify: {e.Message}";
        }
        finally
        {
            key?.Dispose();
        }

        // The statement is trusted only now that its signature holds.
        if (String(claims, "ring") != ring)
        {
            return $"the signature was made by ring '{String(claims, "ring")}', not '{ring}'";
        }

        if (String(claims, "sha256") != sha256 || !claims.TryGetProperty("size", out var signedSize) || signedSize.ValueKind != JsonValueKind.Number || signedSize.GetInt64() != size)
        {
            return $"the file's SHA-256 {sha256} ({size} bytes) is not the signed {String(claims, "sha256")}: the file was altered";
        }

        return null;
    }

    /// <summary>The ring name rule of the other keys commands, checked before any call.</summary>
    private static void AddRingCheck(Option<string> option)
    {
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.Length > 0 && !KeyRingPolicies.IsValidName(t.Value)))
            {
                result.AddError($"--ring: '{token.Value}' is not a key ring name: {KeyRingPolicies.NameRule}");
            }
        });
    }

    private static async Task<(string Sha256, long Size)> DigestAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            var hash = await SHA256.HashDataAsync(stream, cancellationToken);
            return (Convert.ToHexStringLower(hash), stream.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path}: cannot read: {e.Message}", e);
        }
    }

    private static async Task<JsonElement> ReadJwksAsync(string source, CancellationToken cancellationToken)
    {
        string text;
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using var response = await client.GetAsync(uri, cancellationToken);
                text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InputException($"{uri}: {(int)response.StatusCode} {response.ReasonPhrase}: cannot read the ring's JWKS");
                }
            }
            catch (HttpRequestException e)
            {
                throw new InputException($"cannot reach {uri}: {e.Message}", e);
            }
        }
        else
        {
            try
            {
                text = await File.ReadAllTextAsync(source, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{source}: cannot read the JWKS: {e.Message}", e);
            }
        }

        try
        {
            using var document = JsonDocument.Parse(text, StrictJson.DocumentOptions(maxDepth: 16));
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InputException($"{source}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: the JWKS is not JSON: {e.Message}", e);
        }
    }

    private static JsonElement Json(string part)
    {
        using var document = JsonDocument.Parse(Base64UrlStrict.Decode(part), StrictJson.DocumentOptions(maxDepth: 8));
        return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : throw new FormatException("a JWS part is not a JSON object");
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
