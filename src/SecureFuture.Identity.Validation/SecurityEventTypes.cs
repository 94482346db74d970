namespace SecureFuture.Identity.Validation;

/// <summary>The event type URIs of the OpenID Shared Signals Framework that sfi sends and applies.</summary>
public static class SecurityEventTypes
{
    /// <summary>CAEP 1.0 §3.1: the subject's sessions are revoked; tokens issued before the event are invalid.</summary>
    public const string SessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

    /// <summary>CAEP 1.0 §3.3: the subject's credentials changed; tokens issued before must be obtained again.</summary>
    public const string CredentialChange = "https://schemas.openid.net/secevent/caep/event-type/credential-change";

    /// <summary>
    /// CAEP 1.0 §3.2: claims of the subject's tokens changed (here: the client's scopes, audiences or binding
    /// requirement); tokens issued before carry the old values and must be obtained again.
    /// </summary>
    public const string TokenClaimsChange = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";

    /// <summary>RISC 1.0 §2.3: the account (here: the client) is disabled; none of its tokens is accepted.</summary>
    public const string AccountDisabled = "https://schemas.openid.net/secevent/risc/event-type/account-disabled";

    /// <summary>RISC 1.0 §2.4: the account is enabled again; tokens issued after the event are accepted.</summary>
    public const string AccountEnabled = "https://schemas.openid.net/secevent/risc/event-type/account-enabled";

    /// <summary>
    /// sfi's own event (SSF allows event types outside CAEP and RISC): one access token, named by its <c>jti</c>, was
    /// revoked (RFC 7009) and is refused from now on.
    /// </summary>
    public const string TokenRevoked = "https://schemas.securefuture.dev/secevent/token-revoked";
}
