using System.Text.Json;
using SecureFuture.Core;
using SecureFuture.Keys;

namespace SecureFuture.Server;

/// <summary>Request and response bodies of the key API (JSON, camelCase; unknown and duplicate members are refused).</summary>
internal static class Api
{
    public static readonly JsonSerializerOptions Json = StrictJson.ApiOptions(maxDepth: 16);

    public sealed record SignRequest(string? Digest, string? Payload);

    public sealed record SignResponse(string Kid, string Alg, string Signature);

    public sealed record VerifyRequest(string? Kid, string? Digest, string? Payload, string? Signature);

    public sealed record VerifyResponse(bool Valid, string Kid, string? State, string? Reason);

    public sealed record RotateRequest(string? Reason, bool? RetireImmediately);

    public sealed record KeyView(
        string Kid, int Version, string State, string Algorithm, DateTimeOffset CreatedAt, DateTimeOffset? ActivateAt, DateTimeOffset? ActivatedAt,
        DateTimeOffset? ExpiresAt, DateTimeOffset? DeactivatedAt, DateTimeOffset? VerifyUntil, DateTimeOffset? RetiredAt, DateTimeOffset? DestroyedAt);

    public sealed record RingView(
        string Name, string Algorithm, string RotationPeriod, string PrePublication, string VerificationGrace, string MaxTokenLifetime,
        string Retention, string? Issuer, IReadOnlyList<string> Audiences, bool Default, DateTimeOffset CreatedAt, string? ActiveKid,
        IReadOnlyList<KeyView>? Versions);

    public static RingView View(KeyRing ring, IReadOnlyList<KeyVersion>? versions)
    {
        var p = ring.Policy;
        return new RingView(
            ring.Name, p.Algorithm.Id, IsoDuration.Format(p.RotationPeriod), IsoDuration.Format(p.PrePublication), IsoDuration.Format(p.VerificationGrace),
            IsoDuration.Format(p.MaxTokenLifetime), IsoDuration.Format(p.Retention), p.Issuer, p.Audiences, ring.IsDefault, ring.CreatedAt,
            versions?.FirstOrDefault(v => v.State == KeyState.Active)?.Kid,
            versions?.OrderByDescending(v => v.Version).Select(View).ToArray());
    }

    public static KeyView View(KeyVersion v) => new(
        v.Kid, v.Version, v.State.ToString().ToLowerInvariant(), v.Algorithm.Id, v.CreatedAt, v.State == KeyState.Pending ? v.ActivateAt : null, v.ActivatedAt,
        v.ExpiresAt, v.DeactivatedAt, v.VerifyUntil, v.RetiredAt, v.DestroyedAt);

    /// <summary>Decodes a base64url field or refuses the request naming the field.</summary>
    public static byte[]? Bytes(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return Base64Url.Decode(value);
        }
        catch (FormatException e)
        {
            throw new KeyServiceException(KeyErrorKind.Invalid, $"{field}: {e.Message}");
        }
    }
}
