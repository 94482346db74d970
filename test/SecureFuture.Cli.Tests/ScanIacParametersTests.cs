using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi scan</c> judges an ARM template with the deployment parameters file beside it, as <c>sfi baseline</c> does:
/// a template whose parameter defaults are safe but whose parameters file opens SSH to the Internet is a finding.
/// </summary>
public sealed class ScanIacParametersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-scan-iac-params-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The default is a private range; the deployment opens the rule to any source.
    private const string Template = """
        {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
         "parameters":{"source":{"type":"string","defaultValue":"10.1.0.0/16"}},
         "resources":[{"type":"Microsoft.Network/networkSecurityGroups","apiVersion":"2023-11-01","name":"nsg","location":"westeurope",
           "properties":{"securityRules":[{"name":"ssh","properties":{"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"22",
             "sourceAddressPrefix":"[parameters('source')]","destinationAddressPrefix":"*","access":"Allow","priority":100,"direction":"Inbound"}}]}}]}
        """;

    private const string OpenParameters = """
        {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","contentVersion":"1.0.0.0",
         "parameters":{"source":{"value":"*"}}}
        """;

    private static async Task<(int Exit, List<string> RuleIds, string Out, string Err)> ScanAsync(string path, params string[] extra)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(["scan", path, "--format", "json", .. extra]);
        using var json = JsonDocument.Parse(stdout);
        var ids = json.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("ruleId").GetString()!).ToList();
        return (exit, ids, stdout, stderr);
    }

    [Theory]
    [InlineData("azuredeploy")]
    [InlineData("nsg")]
    public async Task The_parameters_file_beside_a_template_decides_its_verdict(string name)
    {
        var infra = Directory.CreateDirectory(Path.Combine(_dir, "infra")).FullName;
        await File.WriteAllTextAsync(Path.Combine(infra, name + ".json"), Template);

        // With its default only, the rule admits a private range: no NET-02 finding.
        var (_, before, _, _) = await ScanAsync(_dir);
        Assert.DoesNotContain("NET-02", before);

        // The parameters file the deployment uses opens it to any source.
        await File.WriteAllTextAsync(Path.Combine(infra, name + ".parameters.json"), OpenParameters);
        var (exit, after, stdout, stderr) = await ScanAsync(_dir, "--fail-on", "high");
        Assert.True(after.Contains("NET-02"), stdout + stderr);
        Assert.Equal(ExitCodes.GateTripped, exit);

        // Scanning the template alone (its directory is then the root) reads the same parameters file.
        var (_, single, _, _) = await ScanAsync(Path.Combine(infra, name + ".json"));
        Assert.Contains("NET-02", single);
    }

    [Fact]
    public async Task A_broken_or_linked_parameters_file_is_a_notification_and_the_template_is_still_evaluated_without_it()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "nsg.json"), Template);
        await File.WriteAllTextAsync(Path.Combine(_dir, "nsg.parameters.json"), "{ \"parameters\": ");
        var (_, ids, stdout, _) = await ScanAsync(_dir);
        Assert.DoesNotContain("NET-02", ids);
        Assert.Contains("iac-parameters-skipped", stdout, StringComparison.Ordinal);
        Assert.Contains("nsg.parameters.json", stdout, StringComparison.Ordinal);

        // A symbolic link (which could lead out of the repository) is not followed.
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-outside")).FullName;
        try
        {
            var target = Path.Combine(outside, "open.parameters.json");
            await File.WriteAllTextAsync(target, OpenParameters);
            File.Delete(Path.Combine(_dir, "nsg.parameters.json"));
            File.CreateSymbolicLink(Path.Combine(_dir, "nsg.parameters.json"), target);
            var (_, linked, linkedOut, _) = await ScanAsync(_dir);
            Assert.DoesNotContain("NET-02", linked);
            Assert.Contains("symbolic link", linkedOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
