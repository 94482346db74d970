namespace SecureFuture.Baseline.Tests;

public sealed class NetworkTests
{
    private static ControlResult Net01(string rules)
    {
        var json = "{\"value\":[{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1\",\"name\":\"nsg1\",\"type\":\"Microsoft.Network/networkSecurityGroups\",\"properties\":{\"securityRules\":[" + rules + "]}}]}";
        return Assert.Single(TestSupport.Assess(TestSupport.FromJson(json), controls: ControlIds.Net01).Results);
    }

    private static string Rule(string name, int priority, string access, string port, string source = "*", string protocol = "Tcp") =>
        "{\"name\":\"" + name + "\",\"properties\":{\"priority\":" + priority.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"direction\":\"Inbound\",\"access\":\"" + access
        + "\",\"protocol\":\"" + protocol + "\",\"sourceAddressPrefix\":\"" + source + "\",\"destinationPortRange\":\"" + port + "\"}}";

    [Fact]
    public void AllowShadowedByAHigherPriorityDeny_ExposesNothing()
    {
        Assert.Equal(ControlStatus.Pass, Net01(Rule("deny-all", 100, "Deny", "*", "Internet") + "," + Rule("allow-rdp", 200, "Allow", "3389")).Status);
    }

    [Fact]
    public void DenyAfterTheAllow_DoesNotHelp()
    {
        var result = Net01(Rule("allow-rdp", 100, "Allow", "3389") + "," + Rule("deny-all", 200, "Deny", "*", "Internet"));
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("allow-rdp", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void PortRangesAndAnyProtocol_AreUnderstood()
    {
        Assert.Equal(ControlStatus.Fail, Net01(Rule("range", 100, "Allow", "3000-4000", "0.0.0.0/0", "*")).Status);
        Assert.Equal(ControlStatus.Pass, Net01(Rule("other", 100, "Allow", "3390-4000", "0.0.0.0/0", "*")).Status);
        Assert.Equal(ControlStatus.Pass, Net01(Rule("office", 100, "Allow", "3389", "203.0.113.0/24")).Status);
    }
}
