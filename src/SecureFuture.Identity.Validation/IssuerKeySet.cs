using System.Text.Json;

namespace SecureFuture.Identity.Validation;

/// <summary>
/// One issuer's keys, fetched from its JWKS only. A known <c>kid</c> never causes a fetch; an unknown one causes at
/// most one fetch per <see cref="StrictValidationOptions.UnknownKeyRefreshInterval"/>, so a flood of tokens with random
/// key ids cannot turn the resource server into a JWKS hammer. Keys are never tried one after another.
/// </summary>
internal sealed class IssuerKeySet(TrustedIssuer issuer, HttpClient http, TimeProvider clock, StrictValidationOptions options) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, VerificationKey> _keys = new(StringComparer.Ordinal);
    private DateTimeOffset _expires = DateTimeOffset.MinValue;
    private DateTimeOffset _lastUnknownRefresh = DateTimeOffset.MinValue;

    /// <summary>JWKS documents fetched so far (for tests and metrics).</summary>
    public int Fetches { get; private set; }

    /// <summary>Why keys were left out of the last document, if any were.</summary>
    public IReadOnlyList<string> Skipped { get; private set; } = [];

    public async Task<VerificationKey?> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now >= _expires)
        {
            await RefreshAsync(force: false, cancellationToken);
        }

        if (_keys.TryGetValue(kid, out var key))
        {
            return key;
        }

        // Unknown kid: the issuer may have just published it. One fetch, throttled, then refusal.
        if (now - _lastUnknownRefresh < options.UnknownKeyRefreshInterval)
        {
            return null;
        }

        _lastUnknownRefresh = now;
        await RefreshAsync(force: true, cancellationToken);
        return _keys.GetValueOrDefault(kid);
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }

        _gate.Dispose();
    }

    private async Task RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!force && clock.GetUtcNow() < _expires)
            {
                return; // another caller refreshed while we waited
            }

            Fetches++;
            using var response = await http.GetAsync(issuer.JwksUri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var limited = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (limited.Length + read > options.MaxKeySetBytes)
                {
                    throw new KeySetUnavailableException($"the JWKS of {issuer.Issuer} is larger than {options.MaxKeySetBytes} bytes");
                }

                limited.Write(buffer, 0, read);
            }

            using var document = JsonDocument.Parse(limited.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                throw new KeySetUnavailableException($"the JWKS of {issuer.Issuer} has no 'keys' array");
            }

            var fresh = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
            var skipped = new List<string>();
            foreach (var jwk in keys.EnumerateArray())
            {
                string? reason = "a non-object entry";
                var key = jwk.ValueKind == JsonValueKind.Object ? VerificationKey.TryCreate(jwk, options.Algorithms, out reason) : null;
                if (key is null)
                {
                    skipped.Add(reason ?? "an unusable key");
                }
                else if (!fresh.TryAdd(key.Kid, key))
                {
                    // Two keys under one kid: neither can be trusted to be the one the issuer meant.
                    skipped.Add($"key {key.Kid} appears twice");
                    key.Dispose();
                    fresh.Remove(key.Kid, out var first);
                    first?.Dispose();
                }
            }

            var maxAge = response.Headers.CacheControl?.MaxAge ?? TimeSpan.FromMinutes(5);
            // Keys of the previous document are left to the garbage collector: a request may still be verifying with one.
            _keys = fresh;
            Skipped = skipped;
            _expires = clock.GetUtcNow() + (maxAge < options.MaxKeySetAge ? maxAge : options.MaxKeySetAge);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Keep the keys we had (if any): an issuer outage must not turn into refusing every token at once.
            _expires = clock.GetUtcNow() + TimeSpan.FromSeconds(5);
            if (_keys.Count == 0)
            {
                throw new KeySetUnavailableException($"cannot read the JWKS of {issuer.Issuer}: {e.Message}", e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>The issuer's keys could not be read; the token is neither valid nor proven invalid.</summary>
public sealed class KeySetUnavailableException : Exception
{
    public KeySetUnavailableException(string message)
        : base(message)
    {
    }

    public KeySetUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KeySetUnavailableException()
    {
    }
}
