using SecureFuture.Baseline.Input;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// ARM templates: parameter defaults, parameters files and simple functions are evaluated; a value sfi did not
/// evaluate never passes; literals of another JSON type and older shapes are read as Azure reads them.
/// </summary>
public sealed class ArmTemplateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-arm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Template(string parameters, string resources, string variables = "{}") =>
        $$"""
        {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
         "parameters":{{parameters}},"variables":{{variables}},"resources":[{{resources}}]}
        """;

    private const string SshRule = """
        {"type":"Microsoft.Network/networkSecurityGroups/securityRules","apiVersion":"2023-11-01","name":"[concat(parameters('nsg'), '/allow-ssh')]",
         "properties":{"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"22","sourceAddressPrefix":"[parameters('source')]",
                       "destinationAddressPrefix":"*","access":"Allow","priority":100,"direction":"Inbound"}}
        """;

    private static ControlResult One(string json, string control) =>
        Assert.Single(TestSupport.Assess(TestSupport.FromJson(json, "main.json"), controls: control).Results);

    [Fact]
    public void NsgRule_WhoseSourceParameterDefaultsToStar_FailsNet02()
    {
        var result = One(Template("""{"nsg":{"type":"string"},"source":{"type":"string","defaultValue":"*"}}""", SshRule), ControlIds.Net02);
        Assert.Equal(ControlStatus.Fail, result.Status);
    }

    [Fact]
    public void NsgRule_WhoseSourceIsNotKnownBeforeDeployment_IsUnknown_NeverAPass()
    {
        // No default, no parameters file: the source may be "*".
        var result = One(Template("""{"nsg":{"type":"string"},"source":{"type":"string"}}""", SshRule), ControlIds.Net02);
        Assert.Equal(ControlStatus.Unknown, result.Status);
        Assert.Contains("[parameters('source')]", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void NsgRule_ShadowedByAKnownDenyOrClosedPort_StillDecides()
    {
        // The unevaluated rule opens 22 only if it matches; a Deny of everything at a higher priority decides first.
        var nsg = """
            {"type":"Microsoft.Network/networkSecurityGroups","apiVersion":"2023-11-01","name":"nsg","properties":{"securityRules":[
              {"name":"deny-all","properties":{"protocol":"*","sourcePortRange":"*","destinationPortRange":"*","sourceAddressPrefix":"*","destinationAddressPrefix":"*","access":"Deny","priority":100,"direction":"Inbound"}},
              {"name":"maybe","properties":{"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"22","sourceAddressPrefix":"[reference('x').ip]","destinationAddressPrefix":"*","access":"Allow","priority":200,"direction":"Inbound"}}]}}
            """;
        Assert.Equal(ControlStatus.Pass, One(Template("{}", nsg), ControlIds.Net02).Status);
        Assert.Equal(ControlStatus.Pass, One(Template("{}", nsg.Replace("\"destinationPortRange\":\"22\"", "\"destinationPortRange\":\"443\"", StringComparison.Ordinal)), ControlIds.Net01).Status);
    }

    [Theory]
    [InlineData("\"[variables('sshRule')]\"")]
    [InlineData("{\"name\":\"ssh\",\"properties\":\"[variables('sshRuleProperties')]\"}")]
    public void NsgRule_GivenAsOneExpression_IsUnknown_NeverAPass(string rule)
    {
        var nsg = $$$"""
            {"type":"Microsoft.Network/networkSecurityGroups","apiVersion":"2023-11-01","name":"nsg","properties":{"securityRules":[{{{rule}}}]}}
            """;
        var result = One(Template("{}", nsg), ControlIds.Net02);
        Assert.Equal(ControlStatus.Unknown, result.Status);
        Assert.Contains("variables(", result.Evidence, StringComparison.Ordinal);
    }

    private const string SourceParameter = """{"src":{"type":"string","defaultValue":"*"}}""";

    private static string RuleProperties(string port, string source) =>
        $$"""{"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"{{port}}","sourceAddressPrefix":"{{source}}","destinationAddressPrefix":"*","access":"Allow","priority":100,"direction":"Inbound"}""";

    private static string StandaloneNsg(string port, string source) =>
        $$$"""{"type":"Microsoft.Network/networkSecurityGroups","apiVersion":"2023-11-01","name":"nsg","properties":{"securityRules":[{"name":"r1","properties":{{{RuleProperties(port, source)}}}}]}}""";

    private static string RuleResource(string port, string source) =>
        $$$"""{"type":"Microsoft.Network/networkSecurityGroups/securityRules","apiVersion":"2023-11-01","name":"nsg/r1","properties":{{{RuleProperties(port, source)}}}}""";

    // Regression: the template's "variables" were dropped while reading, so every variables() was left unknown.
    [Theory]
    [InlineData("""{"srcVar":"*"}""")]
    [InlineData("""{"srcVar":"[parameters('src')]"}""")]
    [InlineData("""{"srcVar":"[variables('other')]","other":"[toLower(concat('', parameters('src')))]"}""")]
    [InlineData("""{"srcVar":"[format('{0}', variables('other'))]","other":"[toUpper('*')]"}""")]
    public void NsgRule_WhoseSourceIsAVariable_EvaluatesIt_AndFails(string variables)
    {
        foreach (var nsg in new Func<string, string, string>[] { StandaloneNsg, RuleResource })
        {
            Assert.Equal(ControlStatus.Fail, One(Template(SourceParameter, nsg("22", "[variables('srcVar')]"), variables), ControlIds.Net02).Status);
            Assert.Equal(ControlStatus.Fail, One(Template(SourceParameter, nsg("3389", "[variables('srcVar')]"), variables), ControlIds.Net01).Status);
        }
    }

    [Theory]
    [InlineData("""{"srcVar":"[variables('b')]","b":"[variables('srcVar')]"}""")]
    [InlineData("""{"srcVar":"[variables('srcVar')]"}""")]
    // An object variable naming itself in many places: remembered once, never exponential work.
    [InlineData("""{"srcVar":"[variables('o').a]","o":{"a":"[variables('o')]","b":"[variables('o')]","c":"[variables('o')]","d":["[variables('o')]","[variables('o')]"]}}""")]
    // A copy loop in the variables is not expanded: unknown, never the loop's declaration taken as a value.
    [InlineData("""{"srcVar":"[variables('copy')[0].input]","copy":[{"name":"list","count":1,"input":"10.0.0.0/8"}]}""")]
    [InlineData("""{"srcVar":"[variables('list')[0]]","copy":[{"name":"list","count":1,"input":"10.0.0.0/8"}]}""")]
    [InlineData("""{"srcVar":"[variables('o').x]","o":{"x":"10.0.0.0/8","copy":[{"name":"y","count":1,"input":"*"}]}}""")]
    public void NsgRule_WhoseSourceVariableIsACycleOrACopyLoop_IsUnknown_NeverAPass(string variables)
    {
        foreach (var nsg in new Func<string, string, string>[] { StandaloneNsg, RuleResource })
        {
            var result = One(Template(SourceParameter, nsg("22", "[variables('srcVar')]"), variables), ControlIds.Net02);
            Assert.Equal(ControlStatus.Unknown, result.Status);
            Assert.Contains("variables('srcVar')", result.Evidence, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"pub":true}""", ControlStatus.Fail)]
    [InlineData("""{"pub":"[variables('on')]","on":"[bool('true')]"}""", ControlStatus.Fail)]
    [InlineData("""{"pub":false}""", ControlStatus.Pass)]
    [InlineData("""{"pub":"[variables('pub')]"}""", ControlStatus.Unknown)]
    public void StorageProperty_GivenThroughAVariable_IsJudgedOnItsValue(string variables, ControlStatus expected)
    {
        var storage = """
            {"type":"Microsoft.Storage/storageAccounts","apiVersion":"2023-05-01","name":"sa","kind":"StorageV2","sku":{"name":"Standard_LRS"},
             "properties":{"allowBlobPublicAccess":"[variables('pub')]"}}
            """;
        Assert.Equal(expected, One(Template("{}", storage, variables), ControlIds.Sto01).Status);
    }

    [Fact]
    public void VnetSubnet_GivenAsOneExpression_IsUnknown_NeverAPass()
    {
        var vnet = """
            {"type":"Microsoft.Network/virtualNetworks","apiVersion":"2023-11-01","name":"vnet","properties":{"subnets":[
              {"name":"a","properties":{"addressPrefix":"10.0.0.0/24","networkSecurityGroup":{"id":"[resourceId('Microsoft.Network/networkSecurityGroups','nsg')]"}}},
              "[variables('subnetB')]"]}}
            """;
        Assert.Equal(ControlStatus.Unknown, One(Template("{}", vnet), ControlIds.Net05).Status);
    }

    [Fact]
    public async Task ParametersFileBesideTheTemplate_DecidesTheValue_AndAnExplicitOneOverridesIt()
    {
        var template = Path.Combine(_dir, "nsg.json");
        File.WriteAllText(template, Template("""{"nsg":{"type":"string"},"source":{"type":"string","defaultValue":"*"}}""", SshRule));
        File.WriteAllText(Path.Combine(_dir, "nsg.parameters.json"), """
            {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","contentVersion":"1.0.0.0",
             "parameters":{"nsg":{"value":"web"},"source":{"value":"10.0.0.0/8"}}}
            """);
        var other = Path.Combine(_dir, "prod.json");
        File.WriteAllText(other, """{"parameters":{"source":{"value":"Internet"}}}""");

        var beside = TestSupport.Assess(TestSupport.Snapshot(template), controls: ControlIds.Net02).Results;
        Assert.Equal(ControlStatus.Pass, Assert.Single(beside).Status);

        // A directory walk reads the parameters file with its template, not as an input of its own.
        var walked = await new BaselineAssessor(null, null, TestSupport.Clock()).AssessAsync([_dir], new HashSet<string> { ControlIds.Net02 });
        Assert.Equal(ControlStatus.Pass, Assert.Single(walked.Results, r => r.Resource.Id.Contains("allow-ssh", StringComparison.Ordinal)).Status);
        Assert.DoesNotContain(walked.Notifications, n => n.Path == "nsg.parameters.json");

        var explicitFile = await new BaselineAssessor(null, null, TestSupport.Clock()) { TemplateParameters = other }.AssessAsync([template], new HashSet<string> { ControlIds.Net02 });
        Assert.Equal(ControlStatus.Fail, Assert.Single(explicitFile.Results).Status);
    }

    [Fact]
    public void KeyVaultReferenceInTheParametersFile_IsUnknown()
    {
        var template = Path.Combine(_dir, "kv.json");
        File.WriteAllText(template, Template("""{"nsg":{"type":"string"},"source":{"type":"string","defaultValue":"10.0.0.0/8"}}""", SshRule));
        File.WriteAllText(Path.Combine(_dir, "kv.parameters.json"), """{"parameters":{"source":{"reference":{"keyVault":{"id":"/x"},"secretName":"s"}}}}""");
        Assert.Equal(ControlStatus.Unknown, Assert.Single(TestSupport.Assess(TestSupport.Snapshot(template), controls: ControlIds.Net02).Results).Status);
    }

    [Fact]
    public void MalformedParametersFile_IsAnInputError_NamingIt()
    {
        var template = Path.Combine(_dir, "bad.json");
        File.WriteAllText(template, Template("""{"source":{"type":"string","defaultValue":"*"}}""", SshRule));
        File.WriteAllText(Path.Combine(_dir, "bad.parameters.json"), "{\"parameters\": {\n  \"source\": ,}}");
        var ex = Assert.Throws<SecureFuture.Core.InputException>(() => TestSupport.Snapshot(template));
        Assert.Contains("bad.parameters.json:2:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""["*"]""", ControlStatus.Fail)]
    [InlineData("""["Microsoft.Compute/*/read"]""", ControlStatus.Pass)]
    public void RoleDefinition_WhoseActionsParameterDefaults_IsJudgedOnTheDefault(string actions, ControlStatus expected)
    {
        var role = """
            {"type":"Microsoft.Authorization/roleDefinitions","apiVersion":"2022-04-01","name":"[guid('role')]",
             "properties":{"roleName":"[variables('name')]","permissions":[{"actions":"[parameters('actions')]","notActions":[]}],"assignableScopes":["[subscription().id]"]}}
            """;
        var result = One(Template($$$"""{"actions":{"type":"array","defaultValue":{{{actions}}}}}""", role, """{"name":"[toUpper(concat('ops', '-', 'role'))]"}"""), ControlIds.Prv09);
        Assert.Equal(expected, result.Status);
    }

    [Theory]
    [InlineData("""["[parameters('action')]"]""")]
    [InlineData("\"[parameters('actions')]\"")]
    public void RoleDefinition_WithActionsNotKnownBeforeDeployment_IsUnknown(string actions)
    {
        var role = $$$"""
            {"type":"Microsoft.Authorization/roleDefinitions","apiVersion":"2022-04-01","name":"r",
             "properties":{"roleName":"r","permissions":[{"actions":{{{actions}}}}],"assignableScopes":["/"]}}
            """;
        Assert.Equal(ControlStatus.Unknown, One(Template("""{"action":{"type":"string"},"actions":{"type":"array"}}""", role), ControlIds.Prv09).Status);
    }

    [Theory]
    [InlineData("[parameters('p')]", "{\"p\":{\"type\":\"string\",\"defaultValue\":\"ab\"}}", "\"ab\"")]
    [InlineData("[concat(parameters('p'), '-', variables('v'))]", "{\"p\":{\"type\":\"string\",\"defaultValue\":\"ab\"}}", "\"ab-cd\"")]
    [InlineData("[format('{0}/{1}', toLower('AB'), toUpper(variables('v')))]", "{}", "\"ab/CD\"")]
    [InlineData("[variables('obj').inner[1]]", "{}", "2")]
    [InlineData("[concat(variables('list'), createArray(3))]", "{}", null)]
    [InlineData("[resourceGroup().location]", "{}", null)]
    [InlineData("[variables('loop')]", "{}", null)]
    [InlineData("[parameters('nodefault')]", "{\"nodefault\":{\"type\":\"string\"}}", null)]
    [InlineData("[parameters('fromRg')]", "{\"fromRg\":{\"type\":\"string\",\"defaultValue\":\"[resourceGroup().location]\"}}", null)]
    [InlineData("[concat('a', 'b'", "{}", null)]
    public void Expressions_EvaluateOnlyWhatIsKnownBeforeDeployment(string expression, string parameters, string? expected)
    {
        var evaluator = new ArmTemplateEvaluator(
            (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(parameters)!,
            (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""{"v":"cd","obj":{"inner":[1,2]},"list":[1],"loop":"[variables('loop')]"}""")!,
            null);
        var ok = evaluator.TryEvaluate(expression, out var value);
        Assert.Equal(expected is not null, ok);
        if (expected is not null)
        {
            Assert.Equal(expected, value!.ToJsonString());
        }
    }

    [Fact]
    public void LiteralsOfAnotherJsonType_AreReadAsAzureReadsThem()
    {
        var resources = """
            {"type":"Microsoft.Web/sites","apiVersion":"2023-12-01","name":"app","properties":{"httpsOnly":"true","siteConfig":{"minTlsVersion":1.2}}},
            {"type":"Microsoft.KeyVault/vaults/secrets","apiVersion":"2023-07-01","name":"kv/s","properties":{"value":"x","attributes":{"exp":"4102444800"}}},
            {"type":"Microsoft.ContainerService/managedClusters","apiVersion":"2023-05-01","name":"aks","properties":{"enableRBAC":"False"}}
            """;
        var results = TestSupport.Assess(TestSupport.FromJson(Template("{}", resources)), controls: [ControlIds.Wkl01, ControlIds.Wkl02, ControlIds.Key06, ControlIds.Wkl08]).Results;
        Assert.Equal(ControlStatus.Pass, Assert.Single(results, r => r.ControlId == ControlIds.Wkl01).Status);
        Assert.Equal(ControlStatus.Pass, Assert.Single(results, r => r.ControlId == ControlIds.Wkl02).Status);
        Assert.Equal(ControlStatus.Pass, Assert.Single(results, r => r.ControlId == ControlIds.Key06).Status);
        Assert.Equal(ControlStatus.Fail, Assert.Single(results, r => r.ControlId == ControlIds.Wkl08).Status);
    }

    [Fact]
    public void OlderShapes_AreRead_AndSlotsAreWebApps()
    {
        var resources = """
            {"type":"Microsoft.ContainerService/managedClusters","apiVersion":"2019-06-01","name":"aks","properties":{"apiServerAuthorizedIPRanges":["203.0.113.0/24"]}},
            {"type":"Microsoft.Compute/disks","apiVersion":"2019-07-01","name":"d","properties":{"encryption":"[variables('unknown')]","encryptionSettingsCollection":{"enabled":true}}},
            {"type":"Microsoft.Network/networkWatchers/FlowLogs/","apiVersion":"2019-09-01","name":"nw/fl","properties":{"retentionPolicy":{"days":30,"enabled":true}}},
            {"type":"Microsoft.Web/sites/slots","apiVersion":"2023-12-01","name":"app/staging","properties":{"httpsOnly":false}}
            """;
        var results = TestSupport.Assess(TestSupport.FromJson(Template("{}", resources)), controls: [ControlIds.Wkl09, ControlIds.Wkl11, ControlIds.Net06, ControlIds.Wkl01]).Results;
        Assert.Equal(ControlStatus.Pass, Assert.Single(results, r => r.ControlId == ControlIds.Wkl09).Status);
        Assert.Equal(ControlStatus.Pass, Assert.Single(results, r => r.ControlId == ControlIds.Wkl11).Status);
        var flowLog = Assert.Single(results, r => r.ControlId == ControlIds.Net06);
        Assert.Equal(ControlStatus.Fail, flowLog.Status);
        Assert.Equal("Microsoft.Network/networkWatchers/FlowLogs", flowLog.Resource.Type);
        var slot = Assert.Single(results, r => r.ControlId == ControlIds.Wkl01);
        Assert.Equal(ControlStatus.Fail, slot.Status);
        Assert.Equal("Microsoft.Web/sites/slots", slot.Resource.Type);
    }
}
