namespace SecureFuture.Keys.Tests;

/// <summary>
/// What a key ring's policy may be: the checks made on a request before any key exists. No HSM, store or clock, so
/// these run with the unit tests (the lifecycle itself is in <see cref="KeyRingServiceTests"/>).
/// </summary>
public sealed class KeyRingPolicyTests
{
    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("{\"name\":\"x\",\"rotationPeriod\":\"PT30M\"}", "rotationPeriod: PT30M is below the minimum of PT1H")]
    [InlineData("{\"name\":\"x\",\"rotationPeriod\":\"PT24H\",\"maxTokenLifetime\":\"PT2H\",\"verificationGrace\":\"PT1H\"}", "verificationGrace: PT1H is shorter than maxTokenLifetime PT2H")]
    [InlineData("{\"name\":\"x\",\"algorithm\":\"HS256\"}", "algorithm: unknown algorithm 'HS256'")]
    [InlineData("{\"name\":\"x\",\"algorithm\":\"RS256\",\"keySize\":1024}", "keySize 1024 is not supported")]
    [InlineData("{\"name\":\"Bad Name\"}", "name: required")]
    [InlineData("{\"name\":\"x\",\"rotationPeriod\":\"P1Y\"}", "rotationPeriod: 'P1Y' is not an ISO 8601 duration")]
    [InlineData("{\"name\":\"x\",\"prePublication\":\"PT25H\"}", "prePublication: P1DT1H is longer than rotationPeriod")]
    [InlineData("{\"name\":\"x\",\"audiences\":[\"api\"]}", "audiences: a ring with audiences needs an issuer")]
    public void Invalid_policies_are_refused_with_the_field_and_reason(string json, string expected)
        => AssertRefused(json, expected);

    [Fact]
    public void Dev_mode_allows_ten_second_rotation_and_scales_the_defaults()
    {
        var (policy, errors) = KeyRingPolicies.Create(new KeyRingRequest { Name = "fast", RotationPeriod = "PT10S" }, dev: true);
        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(5), policy!.PrePublication);
        Assert.True(policy.VerificationGrace >= policy.MaxTokenLifetime);
        Assert.Contains(KeyRingPolicies.Create(new KeyRingRequest { Name = "fast", RotationPeriod = "PT9S" }, dev: true).Errors, e => e.Contains("below the minimum of PT10S", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"name\":\"x\",\"retention\":\"P700000W\"}", "retention: P4900000D is above the maximum of P400D")]
    [InlineData("{\"name\":\"x\",\"verificationGrace\":\"P700000W\"}", "verificationGrace: P4900000D is above the maximum of P90D")]
    [InlineData("{\"name\":\"x\",\"rotationPeriod\":\"P30D\",\"maxTokenLifetime\":\"P8D\",\"verificationGrace\":\"P8D\"}", "maxTokenLifetime: P8D is above the maximum of P1D")]
    [InlineData("{\"name\":\"x\",\"rotationPeriod\":\"PT1H\",\"maxTokenLifetime\":\"PT2H\",\"verificationGrace\":\"PT2H\"}", "maxTokenLifetime: PT2H is longer than rotationPeriod PT1H")]
    [InlineData("{\"name\":\"x\",\"rotationPeriod\":\"PT\u0663H\"}", "rotationPeriod: 'PT\u0663H' is not an ISO 8601 duration")]
    public void Durations_beyond_their_maximum_are_refused_with_the_field_and_the_maximum(string json, string expected)
        => AssertRefused(json, expected);

    [Fact]
    public void The_token_lifetime_bound_is_the_operators_to_raise()
    {
        var request = new KeyRingRequest { Name = "x", RotationPeriod = "P30D", MaxTokenLifetime = "P2D", VerificationGrace = "P2D" };
        Assert.Null(KeyRingPolicies.Create(request, dev: false).Policy);
        Assert.Equal(TimeSpan.FromDays(2), KeyRingPolicies.Create(request, dev: false, maximumTokenLifetime: TimeSpan.FromDays(3)).Policy!.MaxTokenLifetime);
    }

    private static void AssertRefused(string json, string expected)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<KeyRingRequest>(json, WebJson)!;
        var (policy, errors) = KeyRingPolicies.Create(request, dev: false);
        Assert.Null(policy);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }
}
