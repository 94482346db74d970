using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// Absent means Azure's documented default, not unknown: every row of <see cref="PropertyDefaults"/> is read from a
/// real-shaped resource that omits the property, and a resource exported without its properties stays unknown.
/// </summary>
public sealed class AzureDefaultsTests
{
    public static TheoryData<int> ExportRows() => [.. Rows(DefaultScope.Export)];

    public static TheoryData<int> TemplateRows() => [.. Rows(DefaultScope.Template)];

    private static IEnumerable<int> Rows(DefaultScope scope) =>
        PropertyDefaults.All.Select((row, i) => (row, i)).Where(x => x.row.Scope.HasFlag(scope)).Select(x => x.i);

    /// <summary>An Azure Resource Graph / az resource list element, as ARM returns it: properties without the omitted one.</summary>
    private static string Export(string type, string? properties = """{"provisioningState":"Succeeded"}""") =>
        $$"""
        {"value":[{"id":"/subscriptions/0000/resourceGroups/rg/providers/{{type}}/res1","name":"res1","type":"{{type}}","location":"westeurope"{{(properties is null ? string.Empty : $",\"properties\":{properties}")}}}]}
        """;

    private static string Template(string type, string apiVersion, string resourceBody, string parameters = "{}", string variables = "{}") =>
        $$"""
        {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
         "parameters":{{parameters}},"variables":{{variables}},
         "resources":[{"type":"{{type}}","apiVersion":"{{apiVersion}}","name":"res1","location":"westeurope"{{resourceBody}}}]}
        """;

    private static TenantResource Only(string json) => Assert.Single(TestSupport.FromJson(json).Resources);

    [Theory]
    [MemberData(nameof(ExportRows))]
    public void ExportOmittingTheProperty_ReadsTheDocumentedDefault(int index)
    {
        var row = PropertyDefaults.All[index];
        var field = Field.Read(Only(Export(row.Type)), row.Path);
        Assert.Equal(FieldState.Default, field.State);
        Assert.True(JsonNode.DeepEquals(row.Value, field.Node), $"{row.Type} {row.Path}: {field}");
        Assert.Contains("absent: Azure's default", field.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ExportRows))]
    public void ExportWithoutProperties_StaysUnknown(int index)
    {
        // az resource list without --expand, or a Resource Graph projection: the export did not carry the properties.
        var row = PropertyDefaults.All[index];
        var field = Field.Read(Only(Export(row.Type, properties: null)), row.Path);
        Assert.Equal(FieldState.Missing, field.State);
    }

    [Theory]
    [MemberData(nameof(TemplateRows))]
    public void TemplateOmittingTheProperty_ReadsTheDefaultOfItsApiVersion(int index)
    {
        var row = PropertyDefaults.All[index];
        var apiVersion = row.FromApiVersion ?? (row.BeforeApiVersion is not null ? "2018-11-01" : "2023-05-01");
        var field = Field.Read(Only(Template(row.Type, apiVersion, string.Empty)), row.Path);
        Assert.Equal(FieldState.Default, field.State);
        Assert.True(JsonNode.DeepEquals(row.Value, field.Node), $"{row.Type} {row.Path} @ {apiVersion}: {field}");
    }

    [Fact]
    public void StorageAccountOmittingAllowSharedKeyAccess_FailsSto02_AndOmittingItsPropertiesIsUnknown()
    {
        // "Prevent Shared Key authorization": the property is not set by default, and null means Shared Key is allowed.
        var failing = TestSupport.Assess(TestSupport.FromJson(Export("Microsoft.Storage/storageAccounts", """{"minimumTlsVersion":"TLS1_2","allowBlobPublicAccess":false}""")), controls: ControlIds.Sto02).Results;
        var result = Assert.Single(failing);
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("properties.allowSharedKeyAccess = true (absent: Azure's default)", result.Evidence, StringComparison.Ordinal);
        Assert.NotNull(result.Remediation);

        var unknown = Assert.Single(TestSupport.Assess(TestSupport.FromJson(Export("Microsoft.Storage/storageAccounts", properties: null)), controls: ControlIds.Sto02).Results);
        Assert.Equal(ControlStatus.Unknown, unknown.Status);
    }

    [Fact]
    public void VaultOmittingEnablePurgeProtection_FailsKey01()
    {
        // Key Vault never returns enablePurgeProtection = false: a vault without purge protection omits it.
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(Export("Microsoft.KeyVault/vaults", """{"enableSoftDelete":true,"enableRbacAuthorization":true,"tenantId":"t"}""")), controls: ControlIds.Key01).Results);
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("enablePurgeProtection = false (absent: Azure's default)", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void WebAppSiteConfigDefaults_HoldForTemplatesOnly()
    {
        // GET /sites does not carry the app's configuration (sites/config/web does): its absent siteConfig values stay unknown.
        var export = Export("Microsoft.Web/sites", """{"httpsOnly":true,"siteConfig":{"numberOfWorkers":1}}""");
        Assert.Equal(ControlStatus.Unknown, Assert.Single(TestSupport.Assess(TestSupport.FromJson(export), controls: ControlIds.Wkl03).Results).Status);
        var template = Template("Microsoft.Web/sites", "2023-12-01", ""","properties":{"httpsOnly":true}""");
        var ftp = Assert.Single(TestSupport.Assess(TestSupport.FromJson(template), controls: ControlIds.Wkl03).Results);
        Assert.Equal(ControlStatus.Fail, ftp.Status);
        Assert.Contains("\"AllAllowed\" (absent: Azure's default)", ftp.Evidence, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2018-07-01", ControlStatus.Fail)]
    [InlineData("2019-04-01", ControlStatus.Pass)]
    [InlineData("[variables('api')]", ControlStatus.Unknown)]
    public void StorageHttpsOnlyDefault_DependsOnTheTemplateApiVersion(string apiVersion, ControlStatus expected)
    {
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(Template("Microsoft.Storage/storageAccounts", apiVersion, ""","properties":{}""")), controls: ControlIds.Sto06).Results);
        Assert.Equal(expected, result.Status);
    }

    [Fact]
    public void AbsentUnderAnUnevaluatedExpression_IsNotTheDefault()
    {
        // "siteConfig": "[variables('config')]" may set anything: the default of a property inside it must not be assumed.
        var template = Template("Microsoft.Web/sites", "2023-12-01", ""","properties":{"siteConfig":"[reference('x').config]"}""");
        Assert.Equal(ControlStatus.Unknown, Assert.Single(TestSupport.Assess(TestSupport.FromJson(template), controls: ControlIds.Wkl04).Results).Status);
    }

    [Fact]
    public void EveryDefault_CitesItsDocumentation()
    {
        Assert.All(PropertyDefaults.All, row => Assert.Matches("Microsoft Learn|ARM REST API reference", row.Reference));
        Assert.Equal(PropertyDefaults.All.Count, PropertyDefaults.All.Select(r => (r.Type.ToUpperInvariant(), r.Path, r.Scope, r.FromApiVersion, r.BeforeApiVersion)).Distinct().Count());
    }
}
