using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace SecureFuture.Identity.Validation.Tests;

[Trait("Category", "Integration")]
public sealed class SecurityEventReceiverTests : IAsyncLifetime, IDisposable
{
    private const string Transmitter = "https://sfi.example.test/";
    private const string Receiver = "api://orders";
    private const string Issuer = "https://sfi.example.test/";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly TestKey _key = TestKey.Es256("events-1");
    private readonly ContinuousAccessEvaluation _state = new();
    private JwksHost _host = null!;
    private SecurityEventReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _host = await JwksHost.StartAsync();
        _host.Publish("sfi", _key.Jwk());
        _receiver = new SecurityEventReceiver(new TrustedIssuer(Transmitter, _host.JwksUri("sfi"), [Receiver]), _host.Http, _state, clock: _clock);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose()
    {
        _receiver.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task Polling_cancelled_while_a_poll_is_waiting_for_the_transmitter_stops_without_throwing()
    {
        // A transmitter that accepts the connection and never answers: the poll is in flight when the receiver's
        // owner stops it. Stopping must end the loop quietly, as it does between polls (it threw
        // TaskCanceledException out of the loop, and a host awaiting it at shutdown failed).
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var http = new HttpClient();
        using var stop = new CancellationTokenSource();
        var polling = _receiver.RunPollingAsync(http, new Uri($"http://127.0.0.1:{port}/v1/ssf/events"), null, TimeSpan.FromMilliseconds(50), failed: null, stop.Token);
        using var accepted = await silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await polling.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(polling.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_correctly_signed_event_with_a_member_named_twice_is_refused_and_changes_nothing()
    {
        // Which client is disabled: the first sub_id or the second? A receiver that keeps one (last-wins here) and a
        // transmitter or auditor that keeps the other disagree; refused, neither is applied.
        var twoSubjects = Claims(subject: """{"format":"iss_sub","iss":"ISSUER","sub":"victim"},"sub_id":{"format":"iss_sub","iss":"ISSUER","sub":"attacker"}""");
        var refusal = await _receiver.ApplyAsync(Set(twoSubjects), default);
        Assert.NotNull(refusal);
        Assert.Contains("Duplicate", refusal, StringComparison.OrdinalIgnoreCase);

        var twoSubsInside = Claims(subject: """{"format":"iss_sub","iss":"ISSUER","sub":"victim","sub":"attacker"}""");
        Assert.NotNull(await _receiver.ApplyAsync(Set(twoSubsInside), default));

        var twoTypes = """{"typ":"JWT","alg":"ES256","kid":"events-1","typ":"secevent+jwt"}""";
        Assert.NotNull(await _receiver.ApplyAsync(_key.TokenFromJson(twoTypes, Claims(subject: """{"format":"iss_sub","iss":"ISSUER","sub":"victim"}""")), default));
        Assert.Equal(0, _state.Applied);

        // The same event once, without duplicates, is applied.
        Assert.Null(await _receiver.ApplyAsync(Set(Claims(subject: """{"format":"iss_sub","iss":"ISSUER","sub":"victim"}""")), default));
        Assert.Equal(1, _state.Applied);
        Assert.NotNull(_state.Evaluate(Issuer + "#victim", _clock.GetUtcNow().ToUnixTimeSeconds() - 60, jti: null));
        Assert.Null(_state.Evaluate(Issuer + "#attacker", _clock.GetUtcNow().ToUnixTimeSeconds() - 60, jti: null));
    }

    private string Set(string claims) => _key.TokenFromJson("""{"typ":"secevent+jwt","alg":"ES256","kid":"events-1"}""", claims);

    private string Claims(string subject)
        => ("""{"iss":"TRANSMITTER","aud":"RECEIVER","jti":"JTI","iat":NOW,"sub_id":""" + subject + ""","events":{"EVENT":{}}}""")
            .Replace("TRANSMITTER", Transmitter, StringComparison.Ordinal)
            .Replace("RECEIVER", Receiver, StringComparison.Ordinal)
            .Replace("ISSUER", Issuer, StringComparison.Ordinal)
            .Replace("JTI", Guid.NewGuid().ToString("N"), StringComparison.Ordinal)
            .Replace("NOW", _clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("EVENT", SecurityEventTypes.AccountDisabled, StringComparison.Ordinal);
}
