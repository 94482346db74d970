using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureFuture.WebConsole.Tests;

/// <summary>
/// A software WebAuthn authenticator (ES256, "none" attestation) that answers the server's options exactly as a browser
/// and a platform authenticator would (WebAuthn Level 3 §6.1 authenticator data, §5.8.1 client data, §6.5 attestation
/// object) — and, on request, the ways a browser never would: another challenge, origin or RP id, a counter that goes
/// backwards. It lets the tests send the malformed answers at the HTTP level.
/// </summary>
internal sealed class SoftAuthenticator : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);

    public byte[]? UserHandle { get; private set; }

    public uint Counter { get; set; }

    /// <summary>The credential JSON for <c>navigator.credentials.create</c>'s options.</summary>
    public JsonObject Create(JsonElement options, string origin, string? rpIdOverride = null, string? challengeOverride = null, string? originOverride = null)
    {
        var rpId = rpIdOverride ?? options.GetProperty("rp").GetProperty("id").GetString()!;
        UserHandle = FromBase64Url(options.GetProperty("user").GetProperty("id").GetString()!);
        var clientData = ClientData("webauthn.create", challengeOverride ?? options.GetProperty("challenge").GetString()!, originOverride ?? origin);
        var parameters = _key.ExportParameters(false);
        var coseKey = Cbor.Map(
            (Cbor.Int(1), Cbor.Int(2)), // kty: EC2
            (Cbor.Int(3), Cbor.Int(-7)), // alg: ES256
            (Cbor.Int(-1), Cbor.Int(1)), // crv: P-256
            (Cbor.Int(-2), Cbor.Bytes(parameters.Q.X!)),
            (Cbor.Int(-3), Cbor.Bytes(parameters.Q.Y!)));
        var attested = new List<byte>();
        attested.AddRange(new byte[16]); // AAGUID: none
        attested.Add((byte)(CredentialId.Length >> 8));
        attested.Add((byte)CredentialId.Length);
        attested.AddRange(CredentialId);
        attested.AddRange(coseKey);
        var authData = AuthenticatorData(rpId, flags: 0x01 | 0x04 | 0x40, Counter, [.. attested]);
        var attestation = Cbor.Map(
            (Cbor.Text("fmt"), Cbor.Text("none")),
            (Cbor.Text("attStmt"), Cbor.Map()),
            (Cbor.Text("authData"), Cbor.Bytes(authData)));
        return Credential(new JsonObject
        {
            ["attestationObject"] = Base64Url(attestation),
            ["clientDataJSON"] = Base64Url(clientData),
            ["transports"] = new JsonArray("internal"),
        });
    }

    /// <summary>The credential JSON for <c>navigator.credentials.get</c>'s options; the counter moves forward first unless <paramref name="counter"/> says otherwise.</summary>
    public JsonObject Get(JsonElement options, string origin, string? rpIdOverride = null, string? challengeOverride = null, uint? counter = null)
    {
        var rpId = rpIdOverride ?? options.GetProperty("rpId").GetString()!;
        Counter = counter ?? Counter + 1;
        var clientData = ClientData("webauthn.get", challengeOverride ?? options.GetProperty("challenge").GetString()!, origin);
        var authData = AuthenticatorData(rpId, flags: 0x01 | 0x04, Counter, []);
        var signature = _key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return Credential(new JsonObject
        {
            ["authenticatorData"] = Base64Url(authData),
            ["clientDataJSON"] = Base64Url(clientData),
            ["signature"] = Base64Url(signature),
            ["userHandle"] = UserHandle is null ? null : Base64Url(UserHandle),
        });
    }

    public void Dispose() => _key.Dispose();

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64 + new string('=', (4 - (base64.Length % 4)) % 4));
    }

    private JsonObject Credential(JsonObject response) => new()
    {
        ["id"] = Base64Url(CredentialId),
        ["rawId"] = Base64Url(CredentialId),
        ["type"] = "public-key",
        ["clientExtensionResults"] = new JsonObject(),
        ["response"] = response,
    };

    private static byte[] ClientData(string type, string challenge, string origin)
        => Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false }.ToJsonString());

    private static byte[] AuthenticatorData(string rpId, byte flags, uint counter, byte[] attested)
        => [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, (byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter, .. attested];

    /// <summary>The few CBOR (RFC 8949) items WebAuthn needs: integers, byte and text strings, maps.</summary>
    private static class Cbor
    {
        public static byte[] Int(long value) => value >= 0 ? Head(0, (ulong)value) : Head(1, (ulong)(-1 - value));

        public static byte[] Bytes(byte[] value) => [.. Head(2, (ulong)value.Length), .. value];

        public static byte[] Text(string value)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            return [.. Head(3, (ulong)utf8.Length), .. utf8];
        }

        public static byte[] Map(params (byte[] Key, byte[] Value)[] pairs)
            => [.. Head(5, (ulong)pairs.Length), .. pairs.SelectMany(p => p.Key.Concat(p.Value))];

        private static byte[] Head(int major, ulong value) => value switch
        {
            < 24 => [(byte)((major << 5) | (int)value)],
            < 256 => [(byte)((major << 5) | 24), (byte)value],
            < 65536 => [(byte)((major << 5) | 25), (byte)(value >> 8), (byte)value],
            _ => [(byte)((major << 5) | 26), (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value],
        };
    }
}
