namespace SecureFuture.Keys;

/// <summary>How a key service node runs.</summary>
public sealed record KeyServiceOptions
{
    /// <summary>Relaxed minimums for tests and demos (rotation periods down to 10 seconds).</summary>
    public bool Dev { get; init; }

    /// <summary>The ring created on first start and served at <c>/.well-known/jwks.json</c>.</summary>
    public KeyRingRequest DefaultRing { get; init; } = new() { Name = "default" };

    /// <summary>
    /// Rings other services need (the token service's issuer-scoped ring), created on first start. A ring of that name
    /// that exists with another issuer is an error: tokens for one issuer are never signed by a key made for another.
    /// </summary>
    public IReadOnlyList<KeyRingRequest> RequiredRings { get; init; } = [];

    /// <summary>Who this node is in audit records ("scheduler@node").</summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>How long a node trusts its cached view of a ring before reading the store again.</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest payload the service hashes and signs.</summary>
    public int MaxPayloadBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// The longest <c>maxTokenLifetime</c> a new ring may have, and the longest any ring signs for, whatever its stored
    /// policy says (a ring made before the bound existed included).
    /// </summary>
    public TimeSpan MaximumTokenLifetime { get; init; } = KeyRingPolicies.DefaultMaximumTokenLifetime;

    /// <summary>
    /// Rings only this server's own services sign with (the security-event ring): the admin signing endpoint refuses
    /// them, so that an admin credential cannot mint what looks like the server's own statement.
    /// </summary>
    public IReadOnlySet<string> InternalRings { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Test-only fault injection: called at each <see cref="KeyFaultPoints"/> step of a key's creation and destruction,
    /// so a test can end the process exactly there. Null (nothing happens) unless a test sets it.
    /// </summary>
    public Action<string>? FaultPoint { get; init; }
}

/// <summary>Who asks for a signature: recorded in the audit log; <see cref="External"/> callers cannot use internal rings.</summary>
public sealed record SignCaller(string Actor, bool External)
{
    /// <summary>This server's own services (token service, security events).</summary>
    public static readonly SignCaller Service = new("service", External: false);
}

/// <summary>A signature made by a ring's active key.</summary>
public sealed record SignResult(string Kid, string Algorithm, byte[] Signature);

/// <summary>The outcome of a verification; <see cref="Reason"/> says why a signature was not accepted.</summary>
public sealed record VerifyResult(bool Valid, string Kid, KeyState? State, string? Reason);

/// <summary>What one scheduler pass did to one ring.</summary>
public sealed record TickAction(string Ring, string Action, string Kid);
