using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureFuture.Core;
using SecureFuture.Keys;

namespace SecureFuture.Identity.Clients;

/// <summary>
/// The public keys a client authenticates with (RFC 7523 <c>private_key_jwt</c>). Only public EC (P-256, P-384) and RSA
/// (2048 bits and up) signing keys are accepted, each with a unique <c>kid</c>. A JWK that carries private key material
/// is refused outright and never stored: Storm-0558's investigation found private keys sitting in applications'
/// <c>keyCredentials</c>, where anyone who could read the registration could become the application.
/// </summary>
public sealed class ClientKeySet
{
    /// <summary>Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4).</summary>
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>At most this many keys per client: enough for a rotation overlap, too few to hide a stray key.</summary>
    public const int MaxKeys = 8;

    private ClientKeySet(string json, IReadOnlyList<string> keyIds)
    {
        Json = json;
        KeyIds = keyIds;
    }

    private Microsoft.IdentityModel.Tokens.SecurityKey[]? _securityKeys;

    /// <summary>The keys as Microsoft.IdentityModel keys, made once per key set (signature providers are cached per key).</summary>
    internal IReadOnlyList<Microsoft.IdentityModel.Tokens.SecurityKey> SecurityKeys => _securityKeys ??= Materialize(Json);

    private static Microsoft.IdentityModel.Tokens.SecurityKey[] Materialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("keys").EnumerateArray().Select(k => (Microsoft.IdentityModel.Tokens.SecurityKey)new Microsoft.IdentityModel.Tokens.JsonWebKey(k.GetRawText()))];
    }

    /// <summary>The normalized public JWKS (only public members are kept).</summary>
    public string Json { get; }

    public IReadOnlyList<string> KeyIds { get; }

    /// <summary>Validates a JWKS sent by an administrator; the message names the offending key and member.</summary>
    public static ClientKeySet Parse(JsonElement jwks)
    {
        if (jwks.ValueKind != JsonValueKind.Object || !jwks.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("jwks: a JSON Web Key Set, {\"keys\": [...]}, is required");
        }

        try
        {
            StrictJson.RequireWellFormedStrings(jwks);
        }
        catch (JsonException e)
        {
            throw Invalid("jwks: " + e.Message);
        }

        var count = keys.GetArrayLength();
        if (count is 0 or > MaxKeys)
        {
            throw Invalid($"jwks.keys: between 1 and {MaxKeys} keys");
        }

        var normalized = new JsonArray();
        var ids = new List<string>();
        var index = 0;
        foreach (var key in keys.EnumerateArray())
        {
            var where = $"jwks.keys[{index}]";
            if (key.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"{where}: a JSON object is required");
            }

            foreach (var member in PrivateMembers)
            {
                if (key.TryGetProperty(member, out _))
                {
                    throw Invalid($"{where}: carries private or symmetric key material ('{member}'); register only the public key. A private key stored with a client registration lets anyone who reads the registration act as the client, so it is refused and not stored");
                }
            }

            var kid = Member(key, "kid") is { Length: > 0 and <= 128 } k ? k : throw Invalid($"{where}.kid: required (1-128 characters)");
            if (ids.Contains(kid, StringComparer.Ordinal))
            {
                throw Invalid($"{where}.kid: '{kid}' appears twice");
            }

            if (Member(key, "use") is { } use && use != "sig")
            {
                throw Invalid($"{where}.use: '{use}'; client authentication keys are signing keys ('sig')");
            }

            var alg = Member(key, "alg");
            var publicJwk = new JsonObject { ["kid"] = kid };
            switch (Member(key, "kty"))
            {
                case "EC":
                    var crv = Member(key, "crv");
                    var expected = crv switch
                    {
                        "P-256" => "ES256",
                        "P-384" => "ES384",
                        _ => throw Invalid($"{where}.crv: '{crv}'; P-256 or P-384"),
                    };
                    if (alg is not null && alg != expected)
                    {
                        throw Invalid($"{where}.alg: '{alg}' does not fit curve {crv} ({expected})");
                    }

                    CheckEc(key, crv == "P-256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384, where);
                    publicJwk["kty"] = "EC";
                    publicJwk["crv"] = crv;
                    publicJwk["x"] = Member(key, "x");
                    publicJwk["y"] = Member(key, "y");
                    publicJwk["alg"] = expected;
                    break;
                case "RSA":
                    if (alg is not ("RS256" or "PS256"))
                    {
                        throw Invalid($"{where}.alg: an RSA key must name its algorithm, RS256 or PS256");
                    }

                    CheckRsa(key, where);
                    publicJwk["kty"] = "RSA";
                    publicJwk["n"] = Member(key, "n");
                    publicJwk["e"] = Member(key, "e");
                    publicJwk["alg"] = alg;
                    break;
                case var other:
                    throw Invalid($"{where}.kty: '{other}'; only EC and RSA public keys authenticate clients");
            }

            publicJwk["use"] = "sig";
            normalized.Add(publicJwk);
            ids.Add(kid);
            index++;
        }

        return new ClientKeySet(new JsonObject { ["keys"] = normalized }.ToJsonString(), ids);
    }

    /// <summary>Reads a set stored by <see cref="Parse"/>.</summary>
    public static ClientKeySet FromStored(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }

    private static void CheckEc(JsonElement key, ECCurve curve, string where)
    {
        try
        {
            using var ec = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = Bytes(key, "x", where), Y = Bytes(key, "y", where) } });
        }
        catch (CryptographicException e)
        {
            throw Invalid($"{where}: not a point on the curve ({e.Message})");
        }
    }

    private static void CheckRsa(JsonElement key, string where)
    {
        try
        {
            using var rsa = RSA.Create(new RSAParameters { Modulus = Bytes(key, "n", where), Exponent = Bytes(key, "e", where) });
            if (rsa.KeySize < 2048)
            {
                throw Invalid($"{where}.n: an RSA key of {rsa.KeySize} bits; at least 2048");
            }
        }
        catch (CryptographicException e)
        {
            throw Invalid($"{where}: not an RSA public key ({e.Message})");
        }
    }

    private static byte[] Bytes(JsonElement key, string name, string where)
    {
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(Member(key, name) ?? throw Invalid($"{where}.{name}: required"));
        }
        catch (FormatException)
        {
            throw Invalid($"{where}.{name}: not base64url");
        }
    }

    private static string? Member(JsonElement key, string name)
        => key.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static KeyServiceException Invalid(string message) => new(KeyErrorKind.Invalid, message);
}
