using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>App registrations (<c>GET /applications</c>). Evidence names credentials by keyId and displayName only; never a secret.</summary>
public abstract class ApplicationControl : ResourceControl
{
    public override IReadOnlyList<string> Types { get; } = [GraphTypes.Application];

    internal static string Describe(JsonObject credential) =>
        Field.Text(credential["displayName"]) ?? Field.Text(credential["keyId"]) ?? "(unnamed)";

    /// <summary>The credentials in <paramref name="path"/>, or a problem when the list is missing or mistyped.</summary>
    internal static bool TryCredentials(TenantResource app, string path, out List<JsonObject> credentials, out string? problem)
    {
        credentials = [];
        var field = Field.Read(app, path);
        if (!field.TryArray(out var list, out problem))
        {
            return false;
        }

        credentials = [.. list.OfType<JsonObject>()];
        return true;
    }

    internal static RemediationAction Manual(TenantResource app, string what) => Remedy.Manual(
        $"{what} on app \"{app.Name}\" (appId {Field.Text(app.Data["appId"])}): add the replacement credential, move consumers to it, then POST applications/{app.Id}/removePassword or removeKey.");
}

/// <summary>APP-01.</summary>
public sealed class App01NoClientSecrets : ApplicationControl
{
    public override string ControlId => ControlIds.App01;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        if (!TryCredentials(resource, "passwordCredentials", out var secrets, out var problem))
        {
            return Verdict.Unknown(problem!, "passwordCredentials");
        }

        return secrets.Count == 0
            ? Verdict.Pass("no client secrets", "passwordCredentials")
            : Verdict.Fail($"{secrets.Count} client secret(s): {string.Join(", ", secrets.Select(Describe))}", "passwordCredentials",
                Manual(resource, "Replace the client secrets with a certificate, federated identity credential or managed identity"));
    }
}

/// <summary>APP-02 and APP-03: credential lifetime (endDateTime - startDateTime) at most the threshold.</summary>
public abstract class CredentialLifetimeControl : ApplicationControl
{
    protected abstract string Path { get; }

    protected abstract string Threshold { get; }

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var maxDays = context.Configuration.Threshold(Threshold);
        if (!TryCredentials(resource, Path, out var credentials, out var problem))
        {
            return Verdict.Unknown(problem!, Path);
        }

        if (credentials.Count == 0)
        {
            return Verdict.Pass($"no {Path}", Path);
        }

        var tooLong = new List<string>();
        foreach (var c in credentials)
        {
            var start = Field.ParseDate(Field.Text(c["startDateTime"]) ?? string.Empty);
            var end = Field.ParseDate(Field.Text(c["endDateTime"]) ?? string.Empty);
            if (start is null || end is null)
            {
                return Verdict.Unknown($"{Path} entry {Describe(c)} has no readable startDateTime/endDateTime", Path);
            }

            var days = (end.Value - start.Value).TotalDays;
            if (days > maxDays + 1)
            {
                tooLong.Add($"{Describe(c)} ({days:0} days)");
            }
        }

        return tooLong.Count == 0
            ? Verdict.Pass($"{credentials.Count} credential(s), each valid at most {Checks.Num(maxDays)} days", Path)
            : Verdict.Fail($"valid longer than {Checks.Num(maxDays)} days: {string.Join(", ", tooLong)}", Path,
                Manual(resource, $"Issue credentials valid at most {Checks.Num(maxDays)} days (and enforce it with an app management policy)"));
    }
}

/// <summary>APP-02.</summary>
public sealed class App02ClientSecretLifetime : CredentialLifetimeControl
{
    public override string ControlId => ControlIds.App02;

    protected override string Path => "passwordCredentials";

    protected override string Threshold => "secretLifetimeDays";
}

/// <summary>APP-03.</summary>
public sealed class App03CertificateLifetime : CredentialLifetimeControl
{
    public override string ControlId => ControlIds.App03;

    protected override string Path => "keyCredentials";

    protected override string Threshold => "certificateLifetimeDays";
}

/// <summary>APP-04: no credential whose endDateTime has passed.</summary>
public sealed class App04NoExpiredCredentials : ApplicationControl
{
    public override string ControlId => ControlIds.App04;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var expired = new List<string>();
        foreach (var path in new[] { "passwordCredentials", "keyCredentials" })
        {
            if (!TryCredentials(resource, path, out var credentials, out var problem))
            {
                return Verdict.Unknown(problem!, path);
            }

            foreach (var c in credentials)
            {
                var end = Field.ParseDate(Field.Text(c["endDateTime"]) ?? string.Empty);
                if (end is null)
                {
                    return Verdict.Unknown($"{path} entry {Describe(c)} has no readable endDateTime", path);
                }

                if (end < context.Now)
                {
                    expired.Add($"{Describe(c)} (expired {end:yyyy-MM-dd})");
                }
            }
        }

        return expired.Count == 0
            ? Verdict.Pass("no expired credentials")
            : Verdict.Fail($"expired: {string.Join(", ", expired)}", null, Manual(resource, "Remove the expired credentials"));
    }
}

/// <summary>APP-05: keyCredentials hold public certificates for verification only (CVE-2021-42306).</summary>
public sealed class App05KeyCredentialsVerifyOnly : ApplicationControl
{
    public override string ControlId => ControlIds.App05;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        if (!TryCredentials(resource, "keyCredentials", out var keys, out var problem))
        {
            return Verdict.Unknown(problem!, "keyCredentials");
        }

        var bad = keys.Where(k => !string.Equals(Field.Text(k["type"]), "AsymmetricX509Cert", StringComparison.OrdinalIgnoreCase)
                                  || !string.Equals(Field.Text(k["usage"]), "Verify", StringComparison.OrdinalIgnoreCase))
            .Select(k => $"{Describe(k)} (type {Field.Text(k["type"]) ?? "?"}, usage {Field.Text(k["usage"]) ?? "?"})").ToList();
        return bad.Count == 0
            ? Verdict.Pass(keys.Count == 0 ? "no key credentials" : $"{keys.Count} key credential(s), all public X.509 verify certificates", "keyCredentials")
            : Verdict.Fail($"not a public verify certificate: {string.Join(", ", bad)}", "keyCredentials",
                Manual(resource, "Treat the key as exposed: remove it, rotate whatever it protected, and upload only a public certificate (usage Verify)"));
    }
}

/// <summary>APP-06: beta <c>authenticationBehaviors.removeUnverifiedEmailClaim</c> is true.</summary>
public sealed class App06UnverifiedEmailClaimRemoved : ApplicationControl
{
    public override string ControlId => ControlIds.App06;

    public override Verdict Check(TenantResource resource, EvaluationContext context) =>
        Checks.Bool(resource, "authenticationBehaviors.removeUnverifiedEmailClaim", true, () => Remedy.Graph("PATCH", $"applications/{resource.Id}",
            new JsonObject { ["authenticationBehaviors"] = new JsonObject { ["removeUnverifiedEmailClaim"] = true } },
            "stop emitting unverified email claims", version: "beta"));
}

/// <summary>APP-11: multitenant apps lock their service principals' sensitive properties; single-tenant apps are not applicable.</summary>
public sealed class App11AppInstancePropertyLock : ApplicationControl
{
    private static readonly string[] Multitenant = ["AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount"];

    public override string ControlId => ControlIds.App11;

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var audience = Field.Read(resource, "signInAudience");
        if (!audience.TryString(out var value, out var problem))
        {
            return Verdict.Unknown(problem!, "signInAudience");
        }

        if (!Multitenant.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            return Verdict.NotApplicable($"signInAudience = {value} (single tenant)");
        }

        var fix = () => Remedy.Graph("PATCH", $"applications/{resource.Id}",
            new JsonObject { ["servicePrincipalLockConfiguration"] = new JsonObject { ["isEnabled"] = true, ["allProperties"] = true } },
            "lock all sensitive service principal properties");
        var enabled = Checks.Bool(resource, "servicePrincipalLockConfiguration.isEnabled", true, fix);
        if (enabled.Status != ControlStatus.Pass)
        {
            return enabled;
        }

        var lockConfig = Field.Navigate(resource.Data, "servicePrincipalLockConfiguration") as JsonObject;
        var all = Field.IsTrue(lockConfig?["allProperties"]);
        var credentials = Field.IsTrue(lockConfig?["credentialsWithUsageVerify"]) && Field.IsTrue(lockConfig?["credentialsWithUsageSign"]);
        return all || credentials
            ? Verdict.Pass("service principal lock is on for credentials", "servicePrincipalLockConfiguration")
            : Verdict.Fail("the lock is on but does not cover credentials", "servicePrincipalLockConfiguration", fix());
    }
}

/// <summary>APP-10: application permissions (app role assignments) that allow tenant takeover.</summary>
public sealed class App10NoRiskyGraphPermissions : ResourceControl
{
    /// <summary>Microsoft Graph app role ids (application permissions) that allow privilege escalation.</summary>
    internal static readonly IReadOnlyDictionary<string, string> Risky = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"] = "RoleManagement.ReadWrite.Directory",
        ["06b708a9-e830-4db3-a914-8e69da51d44f"] = "AppRoleAssignment.ReadWrite.All",
        ["1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"] = "Application.ReadWrite.All",
        ["19dbc75e-c2e2-444c-a770-ec69d8559fc7"] = "Directory.ReadWrite.All",
    };

    public override string ControlId => ControlIds.App10;

    public override IReadOnlyList<string> Types { get; } = [GraphTypes.AppRoleAssignment];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var role = Field.Read(resource, "appRoleId");
        if (!role.TryString(out var id, out var problem))
        {
            return Verdict.Unknown(problem!, "appRoleId");
        }

        var principal = Field.Text(resource.Data["principalDisplayName"]) ?? Field.Text(resource.Data["principalId"]) ?? "?";
        return Risky.TryGetValue(id, out var name)
            ? Verdict.Fail($"{principal} holds {name}", "appRoleId", Remedy.Manual(
                $"Replace {name} on {principal} with the least-privileged permission it needs, then DELETE servicePrincipals/{Field.Text(resource.Data["principalId"])}/appRoleAssignments/{resource.Id}."))
            : Verdict.Pass($"{principal}: app role {id} is not on the risky list", "appRoleId");
    }
}
