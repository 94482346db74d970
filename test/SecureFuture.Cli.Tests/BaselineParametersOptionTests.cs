using SecureFuture.Core;

namespace SecureFuture.Cli.Tests;

/// <summary><c>sfi baseline assess --parameters F</c>: the parameter values a template is judged with.</summary>
public sealed class BaselineParametersOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-baseline-params-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Template = """
        {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
         "parameters":{"source":{"type":"string"}},
         "resources":[{"type":"Microsoft.Network/networkSecurityGroups","apiVersion":"2023-11-01","name":"nsg","location":"westeurope",
           "properties":{"securityRules":[{"name":"ssh","properties":{"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"22",
             "sourceAddressPrefix":"[parameters('source')]","destinationAddressPrefix":"*","access":"Allow","priority":100,"direction":"Inbound"}}]}}]}
        """;

    [Fact]
    public async Task Parameters_given_on_the_command_line_decide_the_verdict_and_a_missing_file_is_a_usage_error()
    {
        var template = Path.Combine(_dir, "nsg.json");
        await File.WriteAllTextAsync(template, Template);
        var open = Path.Combine(_dir, "open.json");
        await File.WriteAllTextAsync(open, """{"parameters":{"source":{"value":"*"}}}""");
        var closed = Path.Combine(_dir, "closed.json");
        await File.WriteAllTextAsync(closed, """{"parameters":{"source":{"value":"10.1.0.0/16"}}}""");

        // Without values the source is unknown: the gate must not pass it as safe, nor fail it.
        var (exit, stdout, stderr) = await CliRunner.RunAsync("baseline", "assess", template, "--controls", "NET-02", "--fail-on", "low");
        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("unknown", stdout, StringComparison.OrdinalIgnoreCase);

        (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", template, "--parameters", open, "--controls", "NET-02", "--fail-on", "low");
        Assert.True(exit == ExitCodes.GateTripped, stderr);

        (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", template, "--parameters", closed, "--controls", "NET-02", "--fail-on", "low");
        Assert.True(exit == ExitCodes.Success, stderr);

        var missing = Path.Combine(_dir, "nope.parameters.json");
        (exit, _, stderr) = await CliRunner.RunAsync("baseline", "assess", template, "--parameters", missing);
        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains("nope.parameters.json", stderr, StringComparison.Ordinal);
    }
}
