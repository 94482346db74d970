using SecureFuture.Core;

namespace SecureFuture.Keys;

/// <summary>
/// Where a key is in its life. States only move forward: pending (published, not signing) → active (the one signing
/// key) → retiring (published, verify only) → retired (unpublished, never used again) → destroyed (gone from the HSM).
/// The store refuses any backwards move.
/// </summary>
public enum KeyState
{
    Pending = 0,
    Active = 1,
    Retiring = 2,
    Retired = 3,
    Destroyed = 4,
}

/// <summary>A key ring's immutable rotation policy and signing scope. No API changes it after creation.</summary>
public sealed record KeyRingPolicy
{
    public required SigningAlgorithm Algorithm { get; init; }

    /// <summary>How long a key signs before the next one takes over.</summary>
    public required TimeSpan RotationPeriod { get; init; }

    /// <summary>How long the next key is published in the JWKS before it signs.</summary>
    public required TimeSpan PrePublication { get; init; }

    /// <summary>How long a rotated-out key stays published for verification; at least <see cref="MaxTokenLifetime"/>.</summary>
    public required TimeSpan VerificationGrace { get; init; }

    /// <summary>The longest lifetime (exp minus iat or nbf) a token signed by this ring may have.</summary>
    public required TimeSpan MaxTokenLifetime { get; init; }

    /// <summary>How long a retired key is kept in the HSM before it is destroyed.</summary>
    public required TimeSpan Retention { get; init; }

    /// <summary>The only issuer this ring signs for; when set, only JWS signing inputs with matching claims are signed.</summary>
    public string? Issuer { get; init; }

    /// <summary>The audiences tokens from this ring may carry (empty: any, when no issuer is set).</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>True when the ring signs only JWTs whose claims are checked against its scope.</summary>
    public bool IsScoped => Issuer is not null;
}

/// <summary>A named key ring.</summary>
public sealed record KeyRing(string Name, KeyRingPolicy Policy, DateTimeOffset CreatedAt, bool IsDefault);

/// <summary>One key of a ring, with the times that drive its lifecycle.</summary>
public sealed record KeyVersion
{
    public required string Kid { get; init; }

    public required string Ring { get; init; }

    public required int Version { get; init; }

    public required KeyState State { get; init; }

    /// <summary>The HSM object's CKA_ID (hex), which finds both halves of the key pair.</summary>
    public required string HsmId { get; init; }

    public required PublicKeyMaterial PublicKey { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a pending key starts signing.</summary>
    public required DateTimeOffset ActivateAt { get; init; }

    public DateTimeOffset? ActivatedAt { get; init; }

    /// <summary>When an active key is due to stop signing (activation plus the rotation period).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the key stopped signing.</summary>
    public DateTimeOffset? DeactivatedAt { get; init; }

    /// <summary>Until when a retiring key stays published for verification.</summary>
    public DateTimeOffset? VerifyUntil { get; init; }

    public DateTimeOffset? RetiredAt { get; init; }

    public DateTimeOffset? DestroyedAt { get; init; }

    public SigningAlgorithm Algorithm => PublicKey.Algorithm;

    /// <summary>Published in the JWKS: pending, active and retiring keys.</summary>
    public bool IsPublished => State is KeyState.Pending or KeyState.Active or KeyState.Retiring;

    /// <summary>A signature by this key may still be accepted: active and retiring keys (a pending key has signed nothing).</summary>
    public bool Verifies => State is KeyState.Active or KeyState.Retiring;
}

/// <summary>What a caller asks for when creating a ring; every member but the name is optional.</summary>
public sealed record KeyRingRequest
{
    public string? Name { get; init; }

    public string? Algorithm { get; init; }

    public int? KeySize { get; init; }

    public string? RotationPeriod { get; init; }

    public string? PrePublication { get; init; }

    public string? VerificationGrace { get; init; }

    public string? MaxTokenLifetime { get; init; }

    public string? Retention { get; init; }

    public string? Issuer { get; init; }

    public IReadOnlyList<string>? Audiences { get; init; }
}

/// <summary>Validates ring requests against the production (or, with <c>--dev</c>, the relaxed) minimums.</summary>
public static class KeyRingPolicies
{
    public static readonly TimeSpan DefaultRotationPeriod = TimeSpan.FromHours(24);
    public static readonly TimeSpan DefaultPrePublication = TimeSpan.FromHours(12);
    public static readonly TimeSpan DefaultMaxTokenLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinimumRotationPeriod = TimeSpan.FromHours(1);
    public static readonly TimeSpan DevMinimumRotationPeriod = TimeSpan.FromSeconds(10);

    /// <summary>The longest rotation period: a key that signs for more than 90 days is the Storm-0558 mistake.</summary>
    public static readonly TimeSpan MaximumRotationPeriod = TimeSpan.FromDays(90);

    /// <summary>The longest a rotated-out key stays published: a key that verifies long after it stopped signing is one more key to forge with.</summary>
    public static readonly TimeSpan MaximumVerificationGrace = TimeSpan.FromDays(90);

    /// <summary>The longest a retired key is kept in the HSM before it is destroyed (a year and a month: one audit cycle).</summary>
    public static readonly TimeSpan MaximumRetention = TimeSpan.FromDays(400);

    /// <summary>
    /// The longest token lifetime a ring may allow unless the operator raises it (<c>sfi serve --max-token-lifetime</c>):
    /// a day, so that a leaked token is not a long-lived credential.
    /// </summary>
    public static readonly TimeSpan DefaultMaximumTokenLifetime = TimeSpan.FromHours(24);

    /// <summary>What <see cref="IsValidName"/> accepts, as messages say it.</summary>
    public const string NameRule = "lowercase letters, digits, '-', '_' and '.', starting with a letter, at most 64 characters";

    /// <summary>Ring names appear in URLs and HSM labels: lowercase letters, digits, '-', '_' and '.', 1-64 characters.</summary>
    public static bool IsValidName(string? name)
        => !string.IsNullOrEmpty(name) && name.Length <= 64 && char.IsAsciiLetterLower(name[0]) &&
           name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.');

    /// <summary>
    /// Builds a policy, or returns every problem with the request (field name and reason). Every duration has a
    /// maximum, so that no date a ring's lifecycle computes can leave the calendar; <paramref name="maximumTokenLifetime"/>
    /// (default <see cref="DefaultMaximumTokenLifetime"/>) bounds <c>maxTokenLifetime</c>.
    /// </summary>
    public static (KeyRingPolicy? Policy, IReadOnlyList<string> Errors) Create(KeyRingRequest request, bool dev, TimeSpan? maximumTokenLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<string>();
        if (!IsValidName(request.Name))
        {
            errors.Add("name: required; " + NameRule);
        }

        if (!SigningAlgorithm.TryParse(request.Algorithm, request.KeySize, out var algorithm, out var algorithmError))
        {
            errors.Add($"algorithm: {algorithmError}");
        }

        TimeSpan Duration(string field, string? text, TimeSpan fallback)
        {
            if (text is null)
            {
                return fallback;
            }

            if (IsoDuration.TryParse(text, out var value, out var error))
            {
                return value;
            }

            errors.Add($"{field}: {error}");
            return fallback;
        }

        bool AboveMaximum(string field, TimeSpan value, TimeSpan maximum, string hint)
        {
            if (value <= maximum)
            {
                return false;
            }

            errors.Add($"{field}: {IsoDuration.Format(value)} is above the maximum of {IsoDuration.Format(maximum)}{hint}");
            return true;
        }

        var minimum = dev ? DevMinimumRotationPeriod : MinimumRotationPeriod;
        var rotation = Duration("rotationPeriod", request.RotationPeriod, DefaultRotationPeriod);
        if (rotation < minimum)
        {
            errors.Add($"rotationPeriod: {IsoDuration.Format(rotation)} is below the minimum of {IsoDuration.Format(minimum)}{(dev ? string.Empty : " (PT10S with --dev)")}");
        }
        else
        {
            AboveMaximum("rotationPeriod", rotation, MaximumRotationPeriod, string.Empty);
        }

        // Defaults scale down with short rotation periods so that `{"rotationPeriod":"PT10S"}` alone is valid.
        var prePublication = Duration("prePublication", request.PrePublication, Min(DefaultPrePublication, rotation / 2));
        if (prePublication > rotation)
        {
            errors.Add($"prePublication: {IsoDuration.Format(prePublication)} is longer than rotationPeriod {IsoDuration.Format(rotation)}; only one key waits at a time");
        }

        var lifetimeLimit = maximumTokenLifetime ?? DefaultMaximumTokenLifetime;
        var maxTokenLifetime = Duration("maxTokenLifetime", request.MaxTokenLifetime, Min(Min(DefaultMaxTokenLifetime, rotation / 2), lifetimeLimit));
        if (maxTokenLifetime <= TimeSpan.Zero)
        {
            errors.Add("maxTokenLifetime: must be longer than zero");
        }
        else if (!AboveMaximum("maxTokenLifetime", maxTokenLifetime, lifetimeLimit, " (sfi serve --max-token-lifetime raises it)") && maxTokenLifetime > rotation)
        {
            // A token that outlives its key's whole signing period would need more than one grace to stay verifiable.
            errors.Add($"maxTokenLifetime: {IsoDuration.Format(maxTokenLifetime)} is longer than rotationPeriod {IsoDuration.Format(rotation)}; a token must not outlive the period of the key that signed it");
        }

        var grace = Duration("verificationGrace", request.VerificationGrace, maxTokenLifetime);
        if (grace < maxTokenLifetime)
        {
            errors.Add($"verificationGrace: {IsoDuration.Format(grace)} is shorter than maxTokenLifetime {IsoDuration.Format(maxTokenLifetime)}; tokens signed just before a rotation would stop verifying");
        }
        else
        {
            AboveMaximum("verificationGrace", grace, MaximumVerificationGrace, string.Empty);
        }

        var retention = Duration("retention", request.Retention, dev ? TimeSpan.Zero : DefaultRetention);
        AboveMaximum("retention", retention, MaximumRetention, string.Empty);

        string? issuer = null;
        if (request.Issuer is not null)
        {
            if (!Uri.TryCreate(request.Issuer, UriKind.Absolute, out var issuerUri) || issuerUri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(issuerUri.Fragment) || !string.IsNullOrEmpty(issuerUri.Query))
            {
                errors.Add("issuer: must be an absolute http(s) URL without query or fragment");
            }
            else
            {
                issuer = request.Issuer;
            }
        }

        var audiences = request.Audiences ?? [];
        if (audiences.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("audiences: entries must be non-empty strings");
        }

        if (audiences.Count > 0 && issuer is null)
        {
            errors.Add("audiences: a ring with audiences needs an issuer");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new KeyRingPolicy
        {
            Algorithm = algorithm,
            RotationPeriod = rotation,
            PrePublication = prePublication,
            VerificationGrace = grace,
            MaxTokenLifetime = maxTokenLifetime,
            Retention = retention,
            Issuer = issuer,
            Audiences = audiences.Distinct(StringComparer.Ordinal).ToArray(),
        }, errors);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
