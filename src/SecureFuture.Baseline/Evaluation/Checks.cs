using System.Globalization;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline;

/// <summary>Small reusable checks; each turns a missing or mistyped field into an unknown verdict, never a pass.</summary>
public static class Checks
{
    /// <summary>The first of several attribute names present (azurerm v3 and v4 spell some differently), else the first.</summary>
    public static string FirstPresent(TenantResource resource, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(paths);
        return paths.FirstOrDefault(p => Field.Navigate(resource.Data, p) is not null) ?? paths[0];
    }

    public static Verdict Bool(TenantResource resource, string path, bool expected, Func<RemediationAction>? fix = null)
    {
        var field = Field.Read(resource, path);
        if (!field.TryBool(out var value, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        return value == expected
            ? Verdict.Pass(field.Shown(Lower(value)), path)
            : Verdict.FailWithDeferredFix($"{field.Shown(Lower(value))} (expected {Lower(expected)})", path, fix);
    }

    public static Verdict OneOf(TenantResource resource, string path, IReadOnlyCollection<string> passing, Func<RemediationAction>? fix = null)
    {
        ArgumentNullException.ThrowIfNull(passing);
        var field = Field.Read(resource, path);
        if (!field.TryString(out var value, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        return passing.Contains(value, StringComparer.OrdinalIgnoreCase)
            ? Verdict.Pass(field.Shown($"\"{value}\""), path)
            : Verdict.FailWithDeferredFix($"{field.Shown($"\"{value}\"")} (expected {string.Join(" or ", passing.Select(p => $"\"{p}\""))})", path, fix);
    }

    public static Verdict AtLeast(TenantResource resource, string path, double minimum, Func<RemediationAction>? fix = null)
    {
        var field = Field.Read(resource, path);
        if (!field.TryNumber(out var value, out var problem))
        {
            return Verdict.Unknown(problem!, path);
        }

        return value >= minimum
            ? Verdict.Pass($"{field.Shown(Num(value))} (at least {Num(minimum)})", path)
            : Verdict.FailWithDeferredFix($"{field.Shown(Num(value))} (expected at least {Num(minimum)})", path, fix);
    }

    /// <summary>Combines verdicts that must all pass: any unknown wins over pass, any fail wins over both.</summary>
    public static Verdict All(params Verdict[] verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var fails = verdicts.Where(v => v.Status == ControlStatus.Fail).ToList();
        if (fails.Count > 0)
        {
            return fails[0] with { Evidence = string.Join("; ", fails.Select(f => f.Evidence)) };
        }

        var unknown = verdicts.FirstOrDefault(v => v.Status == ControlStatus.Unknown);
        return unknown ?? verdicts[0] with { Evidence = string.Join("; ", verdicts.Select(v => v.Evidence)) };
    }

    /// <summary>Either check passing is enough: any pass wins; otherwise a fail wins over unknown.</summary>
    public static Verdict Any(params Verdict[] verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var pass = verdicts.FirstOrDefault(v => v.Status == ControlStatus.Pass);
        if (pass is not null)
        {
            return pass;
        }

        var fails = verdicts.Where(v => v.Status == ControlStatus.Fail).ToList();
        return fails.Count > 0
            ? fails[0] with { Evidence = string.Join("; ", verdicts.Select(v => v.Evidence)) }
            : verdicts[0] with { Evidence = string.Join("; ", verdicts.Select(v => v.Evidence)) };
    }

    internal static string Lower(bool value) => value ? "true" : "false";

    internal static string Num(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>Builds the remediation for a failed property, in the form the resource's input calls for.</summary>
public static class Remedy
{
    public const string ArmEndpoint = "https://management.azure.com";
    public const string GraphEndpoint = "https://graph.microsoft.com";

    /// <summary>
    /// Sets <paramref name="path"/> to <paramref name="value"/>: an ARM PATCH of the live resource, a template edit,
    /// or a Terraform attribute change, matching where the resource came from.
    /// </summary>
    public static RemediationAction Property(TenantResource resource, string path, JsonNode? value, string apiVersion, string? caution = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(path);
        var shown = value?.ToJsonString() ?? "null";
        return resource.Format switch
        {
            InputFormat.TerraformPlan => new RemediationAction
            {
                Kind = RemediationKind.Terraform,
                Description = $"set {path} = {shown} on {resource.Id}",
                Address = resource.Id,
                Attribute = path,
                Value = value?.DeepClone(),
                Caution = caution,
            },
            InputFormat.ArmTemplate => new RemediationAction
            {
                Kind = RemediationKind.ArmTemplate,
                Description = $"set {path} to {shown} in the template resource {resource.Id}",
                Address = resource.Id,
                Attribute = path,
                Value = value?.DeepClone(),
                Caution = caution,
            },
            _ => new RemediationAction
            {
                Kind = RemediationKind.Arm,
                Description = $"set {path} = {shown}",
                Method = "PATCH",
                Url = $"{ArmEndpoint}{resource.Id}?api-version={apiVersion}",
                Body = BodyFor(path, value),
                Caution = caution,
            },
        };
    }

    public static RemediationAction Graph(string method, string relativeUrl, JsonNode body, string description, string version = "v1.0", string? caution = null) => new()
    {
        Kind = RemediationKind.Graph,
        Description = description,
        Method = method,
        Url = $"{GraphEndpoint}/{version}/{relativeUrl}",
        Body = body,
        Caution = caution,
    };

    public static RemediationAction Manual(string steps) => new() { Kind = RemediationKind.Manual, Description = steps, Steps = steps };

    /// <summary><c>properties.a.b</c> = v → <c>{"properties":{"a":{"b":v}}}</c>.</summary>
    public static JsonObject BodyFor(string path, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('.');
        var root = new JsonObject();
        var current = root;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var next = new JsonObject();
            current[segments[i]] = next;
            current = next;
        }

        current[segments[^1]] = value?.DeepClone();
        return root;
    }
}
