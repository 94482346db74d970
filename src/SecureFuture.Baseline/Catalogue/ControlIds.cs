namespace SecureFuture.Baseline;

/// <summary>
/// The 99 control ids of the tenant baseline, defined once. They are public and stable: users write exceptions
/// against them. The catalogue (controls.json) carries the metadata; a test checks the two agree.
/// </summary>
public static class ControlIds
{
    /// <summary>MFA for all users (security defaults or CA)</summary>
    public const string Idn01 = "IDN-01";

    /// <summary>Legacy auth blocked</summary>
    public const string Idn02 = "IDN-02";

    /// <summary>Phishing‑resistant MFA all users</summary>
    public const string Idn03 = "IDN-03";

    /// <summary>Phishing‑resistant MFA for privileged roles</summary>
    public const string Idn04 = "IDN-04";

    /// <summary>SMS/Voice/Email OTP disabled</summary>
    public const string Idn05 = "IDN-05";

    /// <summary>Auth‑methods migration complete</summary>
    public const string Idn06 = "IDN-06";

    /// <summary>Authenticator shows sign‑in context</summary>
    public const string Idn07 = "IDN-07";

    /// <summary>Device code flow blocked</summary>
    public const string Idn08 = "IDN-08";

    /// <summary>High‑risk users blocked</summary>
    public const string Idn09 = "IDN-09";

    /// <summary>High‑risk sign‑ins blocked</summary>
    public const string Idn10 = "IDN-10";

    /// <summary>MFA for Azure management</summary>
    public const string Idn11 = "IDN-11";

    /// <summary>2–8 Global Administrators</summary>
    public const string Prv01 = "PRV-01";

    /// <summary>Privileged users cloud‑only</summary>
    public const string Prv02 = "PRV-02";

    /// <summary>No permanent active privileged assignments</summary>
    public const string Prv03 = "PRV-03";

    /// <summary>GA activation requires approval</summary>
    public const string Prv04 = "PRV-04";

    /// <summary>Alerts on privileged assignment/activation</summary>
    public const string Prv05 = "PRV-05";

    /// <summary>Break‑glass excluded from every CA policy</summary>
    public const string Prv06 = "PRV-06";

    /// <summary>Finer‑grained roles instead of GA</summary>
    public const string Prv07 = "PRV-07";

    /// <summary>2–3 subscription Owners</summary>
    public const string Prv08 = "PRV-08";

    /// <summary>No custom subscription‑owner roles</summary>
    public const string Prv09 = "PRV-09";

    /// <summary>User Access Administrator restricted</summary>
    public const string Prv10 = "PRV-10";

    /// <summary>Privileged accounts have phishing‑resistant methods registered</summary>
    public const string Prv11 = "PRV-11";

    /// <summary>No client secrets on apps</summary>
    public const string App01 = "APP-01";

    /// <summary>Secret lifetime ≤180 d</summary>
    public const string App02 = "APP-02";

    /// <summary>Cert lifetime ≤365 d (SFI check: ≤180 d)</summary>
    public const string App03 = "APP-03";

    /// <summary>No expired credentials</summary>
    public const string App04 = "APP-04";

    /// <summary>keyCredentials are public verify certs only</summary>
    public const string App05 = "APP-05";

    /// <summary>Unverified email claim removed (nOAuth)</summary>
    public const string App06 = "APP-06";

    /// <summary>Only admins register apps</summary>
    public const string App07 = "APP-07";

    /// <summary>User consent restricted</summary>
    public const string App08 = "APP-08";

    /// <summary>Admin consent workflow on</summary>
    public const string App09 = "APP-09";

    /// <summary>No risky Graph app permissions</summary>
    public const string App10 = "APP-10";

    /// <summary>App instance property lock on multitenant apps</summary>
    public const string App11 = "APP-11";

    /// <summary>Users can't create tenants</summary>
    public const string Ten01 = "TEN-01";

    /// <summary>Guest directory access restricted</summary>
    public const string Ten02 = "TEN-02";

    /// <summary>Only admins/Guest Inviters invite</summary>
    public const string Ten03 = "TEN-03";

    /// <summary>Guest invite domain allow‑list</summary>
    public const string Ten04 = "TEN-04";

    /// <summary>No email‑verified self‑join</summary>
    public const string Ten05 = "TEN-05";

    /// <summary>Users can't create security groups</summary>
    public const string Ten06 = "TEN-06";

    /// <summary>Outbound cross‑tenant access configured</summary>
    public const string Ten07 = "TEN-07";

    /// <summary>Guests hold no privileged roles</summary>
    public const string Ten08 = "TEN-08";

    /// <summary>Inactive guests disabled</summary>
    public const string Ten09 = "TEN-09";

    /// <summary>MSOL PowerShell blocked</summary>
    public const string Ten10 = "TEN-10";

    /// <summary>Subscription leave/enter tenant controlled</summary>
    public const string Ten11 = "TEN-11";

    /// <summary>Anonymous blob access off</summary>
    public const string Sto01 = "STO-01";

    /// <summary>Shared Key auth off (no account‑key SAS)</summary>
    public const string Sto02 = "STO-02";

    /// <summary>SAS expiration policy (Block)</summary>
    public const string Sto03 = "STO-03";

    /// <summary>Keys rotated ≤90 d</summary>
    public const string Sto04 = "STO-04";

    /// <summary>Public network access off / default deny</summary>
    public const string Sto05 = "STO-05";

    /// <summary>HTTPS only</summary>
    public const string Sto06 = "STO-06";

    /// <summary>Min TLS 1.2</summary>
    public const string Sto07 = "STO-07";

    /// <summary>Cross‑tenant replication off</summary>
    public const string Sto08 = "STO-08";

    /// <summary>Default to Entra auth</summary>
    public const string Sto09 = "STO-09";

    /// <summary>Blob/container soft delete</summary>
    public const string Sto10 = "STO-10";

    /// <summary>No public containers</summary>
    public const string Sto11 = "STO-11";

    /// <summary>Purge protection</summary>
    public const string Key01 = "KEY-01";

    /// <summary>Soft delete ≥7 d</summary>
    public const string Key02 = "KEY-02";

    /// <summary>RBAC authorization</summary>
    public const string Key03 = "KEY-03";

    /// <summary>Public network off / private endpoint</summary>
    public const string Key04 = "KEY-04";

    /// <summary>Keys have expiry</summary>
    public const string Key05 = "KEY-05";

    /// <summary>Secrets have expiry</summary>
    public const string Key06 = "KEY-06";

    /// <summary>Key auto‑rotation</summary>
    public const string Key07 = "KEY-07";

    /// <summary>Cert validity ≤12 months</summary>
    public const string Key08 = "KEY-08";

    /// <summary>Vault audit logging</summary>
    public const string Key09 = "KEY-09";

    /// <summary>Defender for Key Vault</summary>
    public const string Key10 = "KEY-10";

    /// <summary>CMK for log storage</summary>
    public const string Key11 = "KEY-11";

    /// <summary>No RDP from Internet</summary>
    public const string Net01 = "NET-01";

    /// <summary>No SSH from Internet</summary>
    public const string Net02 = "NET-02";

    /// <summary>No UDP from Internet</summary>
    public const string Net03 = "NET-03";

    /// <summary>HTTP(S) from Internet reviewed</summary>
    public const string Net04 = "NET-04";

    /// <summary>Subnets have NSG</summary>
    public const string Net05 = "NET-05";

    /// <summary>Flow‑log retention ≥90 d</summary>
    public const string Net06 = "NET-06";

    /// <summary>Network Watcher in used regions</summary>
    public const string Net07 = "NET-07";

    /// <summary>DDoS protection on VNets</summary>
    public const string Net08 = "NET-08";

    /// <summary>SQL public network off</summary>
    public const string Net09 = "NET-09";

    /// <summary>Cosmos DB public network off</summary>
    public const string Net10 = "NET-10";

    /// <summary>ACR public network off, admin user off</summary>
    public const string Net11 = "NET-11";

    /// <summary>Web app HTTPS only</summary>
    public const string Wkl01 = "WKL-01";

    /// <summary>Web app min TLS 1.2</summary>
    public const string Wkl02 = "WKL-02";

    /// <summary>FTP disabled</summary>
    public const string Wkl03 = "WKL-03";

    /// <summary>Remote debugging off</summary>
    public const string Wkl04 = "WKL-04";

    /// <summary>Managed identity on apps</summary>
    public const string Wkl05 = "WKL-05";

    /// <summary>Web app public access off (internal apps)</summary>
    public const string Wkl06 = "WKL-06";

    /// <summary>AKS local accounts disabled</summary>
    public const string Wkl07 = "WKL-07";

    /// <summary>AKS RBAC enabled</summary>
    public const string Wkl08 = "WKL-08";

    /// <summary>AKS API restricted/private</summary>
    public const string Wkl09 = "WKL-09";

    /// <summary>Linux VM password auth off</summary>
    public const string Wkl10 = "WKL-10";

    /// <summary>Managed disks encrypted</summary>
    public const string Wkl11 = "WKL-11";

    /// <summary>Subscription activity‑log diagnostic setting</summary>
    public const string Log01 = "LOG-01";

    /// <summary>Required categories captured</summary>
    public const string Log02 = "LOG-02";

    /// <summary>Entra sign‑in/audit/Graph activity logs exported</summary>
    public const string Log03 = "LOG-03";

    /// <summary>Defender CSPM on</summary>
    public const string Log04 = "LOG-04";

    /// <summary>Defender for Storage on</summary>
    public const string Log05 = "LOG-05";

    /// <summary>Defender for Servers on</summary>
    public const string Log06 = "LOG-06";

    /// <summary>Defender for Resource Manager on</summary>
    public const string Log07 = "LOG-07";

    /// <summary>Security contact + notify owners</summary>
    public const string Log08 = "LOG-08";

    /// <summary>Alerts on policy/NSG changes</summary>
    public const string Log09 = "LOG-09";

    /// <summary>MCSB initiative assigned, not disabled</summary>
    public const string Log10 = "LOG-10";

    /// <summary>Log retention ≥2 years (SFI practice)</summary>
    public const string Log11 = "LOG-11";
}
