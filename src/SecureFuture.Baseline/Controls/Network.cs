using System.Globalization;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Controls;

/// <summary>Whether a rule matches some traffic: yes, no, or cannot tell (a template expression sfi did not evaluate).</summary>
internal enum Match
{
    No,
    Yes,
    Maybe,
}

/// <summary>What the rules decide for some traffic from the Internet.</summary>
internal readonly record struct Exposure(NsgRule? Exposing, NsgRule? Undetermined)
{
    public bool Exposed => Exposing is not null;

    public bool Unknown => Exposing is null && Undetermined is not null;
}

/// <summary>One NSG rule, read from ARM (<c>properties.*</c>, camelCase) or Terraform (snake_case).</summary>
internal sealed record NsgRule(string Name, string? Direction, string? Access, string? Protocol, IReadOnlyList<string> Sources, IReadOnlyList<string> Ports, JsonObject Raw)
{
    /// <summary>Lower numbers are evaluated first; a rule without a priority goes last.</summary>
    public int Priority => Raw["priority"] is JsonValue v && v.TryGetValue<int>(out var p) ? p : int.MaxValue;

    /// <summary>The fields of this rule that are template expressions sfi did not evaluate (empty for exports and plans).</summary>
    public IReadOnlyList<string> Unevaluated { get; init; } = [];

    private Match Inbound => Field.IsExpression(Direction ?? string.Empty) ? Match.Maybe
        : string.Equals(Direction, "Inbound", StringComparison.OrdinalIgnoreCase) ? Match.Yes : Match.No;

    private Match FromInternet => Sources.Any(s => InternetSources.Contains(s, StringComparer.OrdinalIgnoreCase)) ? Match.Yes
        : Sources.Any(Field.IsExpression) || Unevaluated.Contains("sources") ? Match.Maybe : Match.No;

    /// <summary>Allow, Deny, or null when the access is an unevaluated expression.</summary>
    private bool? AllowsTraffic => Field.IsExpression(Access ?? string.Empty) || Unevaluated.Contains(WholeRule) ? null : string.Equals(Access, "Allow", StringComparison.OrdinalIgnoreCase);

    /// <summary>Marks a rule (or its properties) given as one expression: nothing of it is known.</summary>
    private const string WholeRule = "rule";

    /// <summary>
    /// Whether traffic from the Internet with <paramref name="protocol"/> to <paramref name="port"/> (any port when
    /// null) is allowed: NSG rules are evaluated by priority and the first matching rule decides, so an Allow shadowed
    /// by a higher-priority Deny does not expose anything. A rule whose source, ports, protocol, direction or access
    /// is an expression sfi did not evaluate may or may not match: both outcomes are followed, and when they differ
    /// the answer is undetermined, never a pass.
    /// </summary>
    public static Exposure Exposing(IReadOnlyList<NsgRule> rules, string protocol, int? port)
    {
        // Walked from the lowest priority up: what the rules from i on decide, as "exposing rule" and "undetermined rule".
        var ordered = rules.OrderBy(r => r.Priority).ToList();
        var outcome = new Exposure(null, null);
        for (var i = ordered.Count - 1; i >= 0; i--)
        {
            var rule = ordered[i];
            var match = rule.Matches(protocol, port);
            if (match == Match.No)
            {
                continue;
            }

            Exposure decided = rule.AllowsTraffic switch
            {
                true => new(rule, null),
                false => new(null, null),
                null => new(null, rule),
            };
            outcome = match == Match.Yes ? decided : Merge(decided, outcome, rule);
        }

        return outcome;
    }

    /// <summary>Either outcome may happen: the same answer stands; different answers are undetermined.</summary>
    private static Exposure Merge(Exposure a, Exposure b, NsgRule rule) =>
        a.Exposed && b.Exposed ? a
        : !a.Exposed && !a.Unknown && !b.Exposed && !b.Unknown ? a
        : new(null, a.Undetermined ?? b.Undetermined ?? rule);

    private Match Matches(string protocol, int? port)
    {
        if (Unevaluated.Contains(WholeRule))
        {
            return Match.Maybe;
        }

        Match[] parts =
        [
            Inbound,
            FromInternet,
            Field.IsExpression(Protocol ?? string.Empty) ? Match.Maybe : AllowsProtocol(protocol) ? Match.Yes : Match.No,
            PortMatch(port),
        ];
        return parts.Contains(Match.No) ? Match.No : parts.Contains(Match.Maybe) ? Match.Maybe : Match.Yes;
    }

    private Match PortMatch(int? port)
    {
        var covered = port is { } p ? OpensPort(p) : AllowsTraffic == false ? Ports.Contains("*") : Ports.Count > 0;
        return covered ? Match.Yes : Ports.Any(Field.IsExpression) || Unevaluated.Contains("ports") ? Match.Maybe : Match.No;
    }

    /// <summary>The raw values of this rule that are unevaluated expressions, for the evidence.</summary>
    public IEnumerable<string> ExpressionFields =>
        Unevaluated.Contains(WholeRule) ? [Raw["expression"]?.ToJsonString() ?? "the rule"]
        : new[] { Direction, Access, Protocol }.Concat(Sources).Concat(Ports).OfType<string>().Where(Field.IsExpression).DefaultIfEmpty("a list given as an expression");

    private static readonly string[] InternetSources = ["*", "Internet", "0.0.0.0/0", "Any", "::/0", "0.0.0.0"];

    public bool AllowsProtocol(string protocol) =>
        Protocol is null || Protocol == "*" || string.Equals(Protocol, protocol, StringComparison.OrdinalIgnoreCase);

    public bool OpensPort(int port) => Ports.Any(p => Covers(p, port));

    private static bool Covers(string range, int port)
    {
        if (range == "*")
        {
            return true;
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            ? int.TryParse(range[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var lo)
              && int.TryParse(range[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var hi) && lo <= port && port <= hi
            : int.TryParse(range, NumberStyles.None, CultureInfo.InvariantCulture, out var single) && single == port;
    }

    private static readonly object RulesKey = new();

    /// <summary>The rules of an NSG (or one rule), read once per resource for the four exposure controls.</summary>
    public static IReadOnlyList<NsgRule>? Read(TenantResource resource) => resource.Derived(RulesKey, ReadRules);

    private static IReadOnlyList<NsgRule>? ReadRules(TenantResource resource)
    {
        if (resource.IsTerraform)
        {
            if (resource.Is("azurerm_network_security_rule"))
            {
                return [FromTerraform(resource.Data)];
            }

            return Field.Navigate(resource.Data, "security_rule") is JsonArray tf ? [.. tf.OfType<JsonObject>().Select(FromTerraform)] : null;
        }

        if (resource.Is("Microsoft.Network/networkSecurityGroups/securityRules"))
        {
            return Field.Navigate(resource.Data, "properties") is JsonObject p ? [FromArm(resource.Name ?? resource.Id, p)] : null;
        }

        return Field.Navigate(resource.Data, "properties.securityRules") is JsonArray arm
            ? [.. arm.Select((r, i) => r is JsonObject o && (o["properties"] is null or JsonObject)
                ? FromArm(Field.Text(o["name"]) ?? "?", o["properties"] as JsonObject ?? o)
                : Unknown(Field.Text((r as JsonObject)?["name"]) ?? $"#{i + 1}", r))]
            : null;
    }

    private static NsgRule FromArm(string name, JsonObject p) => new(name,
        Field.Text(p["direction"]), Field.Text(p["access"]), Field.Text(p["protocol"]),
        [.. One(p["sourceAddressPrefix"]), .. Field.Texts(p["sourceAddressPrefixes"])],
        [.. One(p["destinationPortRange"]), .. Field.Texts(p["destinationPortRanges"])], p)
    {
        // A whole list given as an expression ("sourceAddressPrefixes": "[parameters('sources')]") is not a list of texts.
        Unevaluated = [.. (p["sourceAddressPrefixes"] is JsonValue ? ["sources"] : Array.Empty<string>()), .. (p["destinationPortRanges"] is JsonValue ? ["ports"] : Array.Empty<string>())],
    };

    /// <summary>A rule given as one template expression (or with its properties as one): it may be anything.</summary>
    private static NsgRule Unknown(string name, JsonNode? raw) =>
        new(name, null, null, null, [], [], new JsonObject { ["expression"] = raw?.DeepClone() }) { Unevaluated = [WholeRule] };

    private static NsgRule FromTerraform(JsonObject p) => new(Field.Text(p["name"]) ?? "?",
        Field.Text(p["direction"]), Field.Text(p["access"]), Field.Text(p["protocol"]),
        [.. One(p["source_address_prefix"]), .. Field.Texts(p["source_address_prefixes"])],
        [.. One(p["destination_port_range"]), .. Field.Texts(p["destination_port_ranges"])], p);

    private static IEnumerable<string> One(JsonNode? node) => Field.Text(node) is { } s ? [s] : [];
}

/// <summary>NET-01..04: no inbound Allow rule from the Internet for a port or protocol.</summary>
public abstract class InternetExposureControl : ResourceControl
{
    public override IReadOnlyList<string> Types { get; } =
        ["Microsoft.Network/networkSecurityGroups", "Microsoft.Network/networkSecurityGroups/securityRules", "azurerm_network_security_group", "azurerm_network_security_rule"];

    protected abstract string What { get; }

    protected virtual bool Fixable => true;

    /// <summary>The protocol and ports (null: any port) that must not be reachable from the Internet.</summary>
    private protected abstract (string Protocol, int? Port)[] Probes { get; }

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var rules = NsgRule.Read(resource);
        if (rules is null)
        {
            return Verdict.Unknown("the security rules are missing", resource.IsTerraform ? "security_rule" : "properties.securityRules");
        }

        var outcomes = Probes.Select(p => NsgRule.Exposing(rules, p.Protocol, p.Port)).ToList();
        var bad = outcomes.Select(o => o.Exposing).OfType<NsgRule>().Distinct().ToList();
        if (bad.Count == 0)
        {
            // A value sfi did not evaluate never passes: the rule may open the port to the Internet.
            return outcomes.FirstOrDefault(o => o.Unknown).Undetermined is { } open
                ? Verdict.Unknown($"rule {open.Name} may allow {What} from the Internet: it depends on template expressions sfi did not evaluate ({string.Join(", ", open.ExpressionFields)})")
                : Verdict.Pass($"{rules.Count} rule(s); none allows {What} from the Internet");
        }

        var names = string.Join(", ", bad.Select(r => r.Name));
        RemediationAction fix;
        if (!Fixable)
        {
            fix = Remedy.Manual($"Review rule(s) {names}: restrict the source to known ranges or put the service behind Application Gateway / Front Door with WAF.");
        }
        else if (resource.IsTerraform)
        {
            fix = new RemediationAction
            {
                Kind = RemediationKind.Terraform,
                Description = $"set access = \"Deny\" (or a specific source_address_prefix) on rule(s) {names} of {resource.Id}",
                Address = resource.Id,
                Attribute = resource.Is("azurerm_network_security_rule") ? "access" : "security_rule[*].access",
                Value = JsonValue.Create("Deny"),
            };
        }
        else
        {
            var rule = bad[0];
            var ruleId = resource.Is("Microsoft.Network/networkSecurityGroups/securityRules") ? resource.Id : $"{resource.Id}/securityRules/{rule.Name}";
            var body = new JsonObject { ["properties"] = rule.Raw.DeepClone() };
            body["properties"]!["access"] = "Deny";
            fix = new RemediationAction
            {
                Kind = resource.Format == InputFormat.ArmTemplate ? RemediationKind.ArmTemplate : RemediationKind.Arm,
                Description = $"deny rule {rule.Name} (or narrow its source)" + (bad.Count > 1 ? $"; also {string.Join(", ", bad.Skip(1).Select(r => r.Name))}" : string.Empty),
                Method = resource.Format == InputFormat.ArmTemplate ? null : "PUT",
                Url = resource.Format == InputFormat.ArmTemplate ? null : $"{Remedy.ArmEndpoint}{ruleId}?api-version=2023-11-01",
                Body = body,
                Address = resource.Format == InputFormat.ArmTemplate ? resource.Id : null,
            };
        }

        return Verdict.Fail($"rule(s) {names} allow {What} from the Internet", null, fix);
    }
}

/// <summary>NET-01.</summary>
public sealed class Net01NoRdpFromInternet : InternetExposureControl
{
    public override string ControlId => ControlIds.Net01;

    protected override string What => "RDP (TCP 3389)";

    private protected override (string Protocol, int? Port)[] Probes => [("Tcp", 3389)];
}

/// <summary>NET-02.</summary>
public sealed class Net02NoSshFromInternet : InternetExposureControl
{
    public override string ControlId => ControlIds.Net02;

    protected override string What => "SSH (TCP 22)";

    private protected override (string Protocol, int? Port)[] Probes => [("Tcp", 22)];
}

/// <summary>NET-03: any UDP ("*" includes UDP).</summary>
public sealed class Net03NoUdpFromInternet : InternetExposureControl
{
    public override string ControlId => ControlIds.Net03;

    protected override string What => "UDP";

    private protected override (string Protocol, int? Port)[] Probes => [("Udp", null)];
}

/// <summary>NET-04: HTTP(S) from the Internet is a finding to review, not a fix.</summary>
public sealed class Net04HttpFromInternetReviewed : InternetExposureControl
{
    public override string ControlId => ControlIds.Net04;

    protected override string What => "HTTP/HTTPS (TCP 80/443)";

    protected override bool Fixable => false;

    private protected override (string Protocol, int? Port)[] Probes => [("Tcp", 80), ("Tcp", 443)];
}

/// <summary>NET-05: every subnet of a VNet has an NSG, except subnets Azure forbids one on.</summary>
public sealed class Net05SubnetsHaveNsg : ResourceControl
{
    private static readonly string[] Exempt = ["GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet", "RouteServerSubnet"];

    public override string ControlId => ControlIds.Net05;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Network/virtualNetworks", "Microsoft.Network/virtualNetworks/subnets"];

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        List<(string Name, JsonObject? Props)> subnets;
        if (resource.Is("Microsoft.Network/virtualNetworks/subnets"))
        {
            subnets = [(resource.Name ?? resource.Id, Field.Navigate(resource.Data, "properties") as JsonObject)];
        }
        else if (Field.Navigate(resource.Data, "properties.subnets") is JsonArray list)
        {
            // A subnet given as a template expression sfi did not evaluate may lack an NSG: never a pass.
            if (list.FirstOrDefault(e => e is not JsonObject) is { } unevaluated)
            {
                return Verdict.Unknown($"a subnet is {Field.Describe(unevaluated)}, which is not evaluated", "properties.subnets");
            }

            subnets = [.. list.OfType<JsonObject>().Select(s => (Field.Text(s["name"]) ?? "?", s["properties"] as JsonObject))];
        }
        else
        {
            return Verdict.Unknown("properties.subnets is missing", "properties.subnets");
        }

        var missing = subnets.Where(s => !Exempt.Contains(s.Name, StringComparer.OrdinalIgnoreCase)
                                         && Field.Text(Field.Navigate(s.Props, "networkSecurityGroup.id")) is null).Select(s => s.Name).ToList();
        return missing.Count == 0
            ? Verdict.Pass($"{subnets.Count} subnet(s), each with an NSG or exempt")
            : Verdict.Fail($"subnet(s) without an NSG: {string.Join(", ", missing)}", "properties.subnets",
                Remedy.Manual($"Create an NSG with the rules the workload needs and associate it with subnet(s) {string.Join(", ", missing)}."));
    }
}

/// <summary>NET-06: flow-log retention enabled for at least the threshold (0 days with retention enabled means forever).</summary>
public sealed class Net06FlowLogRetention : PropertyControl
{
    public override string ControlId => ControlIds.Net06;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Network/networkWatchers/flowLogs"];

    protected override string ApiVersion => "2023-11-01";

    public override Verdict Check(TenantResource resource, EvaluationContext context)
    {
        var minimum = context.Configuration.Threshold("flowLogRetentionDays");
        var fix = () => Fix(resource, "properties.retentionPolicy", new JsonObject { ["enabled"] = true, ["days"] = (int)minimum });
        var enabled = Checks.Bool(resource, "properties.retentionPolicy.enabled", true, fix);
        if (enabled.Status != ControlStatus.Pass)
        {
            return enabled;
        }

        var days = Field.Read(resource, "properties.retentionPolicy.days");
        if (!days.TryNumber(out var value, out var problem))
        {
            return Verdict.Unknown(problem!, days.Path);
        }

        return value == 0 || value >= minimum
            ? Verdict.Pass($"{days.Shown(Checks.Num(value))}{(value == 0 ? " (kept forever)" : string.Empty)}", days.Path)
            : Verdict.FailWithDeferredFix($"retentionPolicy.days = {Checks.Num(value)} (expected at least {Checks.Num(minimum)})", days.Path, fix);
    }
}

/// <summary>NET-08.</summary>
public sealed class Net08VnetDdosProtection : PropertyControl
{
    public override string ControlId => ControlIds.Net08;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Network/virtualNetworks"];

    protected override string ApiVersion => "2023-11-01";

    protected override string? Caution => "DDoS Network Protection is billed per plan; also set properties.ddosProtectionPlan.id";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => Bool(resource, "properties.enableDdosProtection", true);
}

/// <summary>NET-09.</summary>
public sealed class Net09SqlPublicNetworkOff : PropertyControl
{
    public override string ControlId => ControlIds.Net09;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.Sql/servers", "azurerm_mssql_server"];

    protected override string ApiVersion => "2021-11-01";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, "public_network_access_enabled", false)
        : OneOf(resource, "properties.publicNetworkAccess", ["Disabled"], "Disabled");
}

/// <summary>NET-10.</summary>
public sealed class Net10CosmosPublicNetworkOff : PropertyControl
{
    public override string ControlId => ControlIds.Net10;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.DocumentDB/databaseAccounts", "azurerm_cosmosdb_account"];

    protected override string ApiVersion => "2024-05-15";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Bool(resource, "public_network_access_enabled", false)
        : OneOf(resource, "properties.publicNetworkAccess", ["Disabled"], "Disabled");
}

/// <summary>NET-11: registry not public and admin user off.</summary>
public sealed class Net11AcrPublicNetworkAndAdminOff : PropertyControl
{
    public override string ControlId => ControlIds.Net11;

    public override IReadOnlyList<string> Types { get; } = ["Microsoft.ContainerRegistry/registries", "azurerm_container_registry"];

    protected override string ApiVersion => "2023-07-01";

    public override Verdict Check(TenantResource resource, EvaluationContext context) => resource.IsTerraform
        ? Checks.All(Bool(resource, "public_network_access_enabled", false), Bool(resource, "admin_enabled", false))
        : Checks.All(OneOf(resource, "properties.publicNetworkAccess", ["Disabled"], "Disabled"), Bool(resource, "properties.adminUserEnabled", false));
}
