using System.Text;
using SecureFuture.Baseline.Input;
using SecureFuture.Core;

namespace SecureFuture.Baseline.Tests;

public sealed class InputReaderTests
{
    private static (IReadOnlyList<TenantResource> Resources, InputFile File) Read(string json, string name = "input.json", bool bom = false)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        if (bom)
        {
            bytes = [0xEF, 0xBB, 0xBF, .. bytes];
        }

        using var stream = new MemoryStream(bytes);
        return SnapshotReader.Read(stream, name);
    }

    private const string Storage = """{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1","name":"st1","type":"Microsoft.Storage/storageAccounts","properties":{"allowBlobPublicAccess":false}}""";

    [Theory]
    [InlineData("[" + Storage + "]")]
    [InlineData("{\"value\":[" + Storage + "]}")]
    [InlineData("{\"totalRecords\":1,\"count\":1,\"data\":[" + Storage + "],\"facets\":[],\"resultTruncated\":\"false\"}")]
    [InlineData(Storage)]
    public void ArmResourceShapes_AreRecognised(string json)
    {
        var (resources, file) = Read(json);
        Assert.Equal(InputFormat.ArmResources, file.Format);
        var r = Assert.Single(resources);
        Assert.Equal("Microsoft.Storage/storageAccounts", r.Type);
        Assert.Equal("st1", r.Name);
    }

    [Fact]
    public void ResourceLines_AreTheLinesOfTheResourceObjects()
    {
        var json = "{\n  \"value\": [\n    {\"id\":\"/x/a\",\"name\":\"a\",\"type\":\"Microsoft.Storage/storageAccounts\",\"properties\":{}},\n\n    {\"id\":\"/x/b\",\n     \"name\":\"b\",\"type\":\"Microsoft.KeyVault/vaults\",\"properties\":{}}\n  ]\n}\n";
        var (resources, _) = Read(json);
        Assert.Equal([(3, 5), (5, 5)], resources.Select(r => (r.Source.Line, r.Source.Column)));
    }

    [Fact]
    public void MalformedJson_NamesFileLineAndColumn()
    {
        var ex = Assert.Throws<InputException>(() => Read("{\n  \"value\": [\n    {\"id\": \"/x\", \"type\": }\n  ]\n}", "broken.json"));
        Assert.Equal("broken.json", ex.FilePath);
        Assert.Equal(3, ex.Line);
        Assert.NotNull(ex.Column);
        Assert.StartsWith("broken.json:3:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("malformed JSON", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t\r\n")]
    public void EmptyOrBlankFile_SaysItIsEmpty(string content)
    {
        var ex = Assert.Throws<InputException>(() => Read(content, "empty.json"));
        Assert.Equal("empty.json:1:1: the file is empty", ex.Message);
    }

    [Fact]
    public void TruncatedJson_IsAnInputError()
    {
        var ex = Assert.Throws<InputException>(() => Read("{\"value\": [" + Storage, "cut.json"));
        Assert.Equal("cut.json", ex.FilePath);
    }

    [Fact]
    public void UnrecognisedFile_SaysWhichFormatsAreRecognised()
    {
        var ex = Assert.Throws<InputException>(() => Read("{\"name\":\"my-package\",\"version\":\"1.0.0\",\"dependencies\":{}}", "package.json"));
        Assert.Contains("not a recognised input", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Terraform plan JSON", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ScubaGear", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft Graph", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TerraformPlan_OtherMajorFormatVersion_IsAClearError()
    {
        var ex = Assert.Throws<InputException>(() => Read("{\n\"format_version\": \"2.0\",\n\"terraform_version\":\"2.0.0\",\"resource_changes\":[]}", "plan.json"));
        Assert.Equal(2, ex.Line);
        Assert.Contains("format_version '2.0' is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TerraformPlan_ReadsAfter_SkipsDeletesAndDataSources()
    {
        var json = """
            {"format_version":"1.2","terraform_version":"1.9.5","resource_changes":[
              {"address":"azurerm_storage_account.a","mode":"managed","type":"azurerm_storage_account","name":"a","change":{"actions":["create"],"before":null,"after":{"min_tls_version":"TLS1_2"},"after_unknown":{"id":true}}},
              {"address":"azurerm_storage_account.gone","mode":"managed","type":"azurerm_storage_account","name":"gone","change":{"actions":["delete"],"before":{},"after":null}},
              {"address":"data.azurerm_client_config.c","mode":"data","type":"azurerm_client_config","name":"c","change":{"actions":["read"],"after":{}}}
            ]}
            """;
        var (resources, file) = Read(json);
        Assert.Equal(InputFormat.TerraformPlan, file.Format);
        var r = Assert.Single(resources);
        Assert.Equal("azurerm_storage_account.a", r.Id);
        Assert.Equal(2, r.Source.Line);
    }

    [Fact]
    public void TerraformPlan_WithoutAfterUnknown_IsAssessed_NotAnErrorOfEveryControl()
    {
        // Found by fuzzing: a change without after_unknown stored an empty JSON text instead of none, and every control
        // that read the resource failed to parse it (ControlStatus.Error) instead of judging the plan.
        var json = """
            {"format_version":"1.2","terraform_version":"1.9.5","resource_changes":[
              {"address":"azurerm_storage_account.a","mode":"managed","type":"azurerm_storage_account","name":"a","change":{"actions":["create"],"before":null,"after":{"name":"a","allow_nested_items_to_be_public":true,"min_tls_version":"TLS1_2"}}}
            ]}
            """;
        var assessment = TestSupport.Assess(TestSupport.FromJson(json, "plan.json"));

        Assert.DoesNotContain(assessment.Results, r => r.Status == ControlStatus.Error);
        Assert.Contains(assessment.Results, r => r.ControlId == "STO-01" && r.Status == ControlStatus.Fail);
    }

    [Theory]
    [InlineData("[\n{\"id\":\"/subscriptions/s/providers/Microsoft.Storage/storageAccounts/st1\",\"type\":\"Microsoft.Storage/storageAccounts\",\n\"\\ud800\":1}]")]
    [InlineData("[\n{\"id\":\"/subscriptions/s/providers/Microsoft.Storage/storageAccounts/st1\",\"type\":\"Microsoft.Storage/storageAccounts\",\n\"properties\":{\"allowBlobPublicAccess\":\"\\udc00\"}}]")]
    public void AStringThatIsNotWellFormedUnicode_IsAnInputErrorNamingTheResourceLine_NotACrash(string json)
    {
        // Found by fuzzing: an escaped lone surrogate in a member name or value threw InvalidOperationException. A
        // resource of a collection is checked when it is compacted as a whole: the error names the line it starts on.
        var e = Assert.Throws<InputException>(() => Read(json));
        Assert.Equal(2, e.Line);
        Assert.Contains("not well-formed Unicode", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScubaGearExport_WithBomPascalCaseAndMsDates_IsRead()
    {
        var json = """
            {"baseline_version":"1","module_version":"1.5.0",
             "authorization_policies":[{"Id":"authorizationPolicy","BlockMsolPowerShell":true,"DefaultUserRolePermissions":{"AllowedToCreateApps":false}}],
             "conditional_access_policies":[{"Id":"p1","DisplayName":"MFA","State":"enabled","CreatedDateTime":"/Date(1736499600000)/","Conditions":{"Users":{"IncludeUsers":["All"]}},"GrantControls":{"BuiltInControls":["mfa"]}}]}
            """;
        var (resources, file) = Read(json, "ProviderSettingsExport.json", bom: true);
        Assert.Equal(InputFormat.ScubaGear, file.Format);
        var authz = Assert.Single(resources, r => r.Type == GraphTypes.AuthorizationPolicy);
        Assert.True(Field.Read(authz, "defaultUserRolePermissions.allowedToCreateApps").TryBool(out var apps, out _));
        Assert.False(apps);
        var ca = Assert.Single(resources, r => r.Type == GraphTypes.ConditionalAccessPolicy);
        Assert.True(Field.Read(ca, "createdDateTime").TryDate(out var created, out _));
        Assert.Equal(new DateTimeOffset(2025, 1, 10, 9, 0, 0, TimeSpan.Zero), created);
    }

    [Fact]
    public void ArmTemplate_LiteralValuesAreEvaluated_ExpressionsAreUnknown()
    {
        var json = """
            {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
             "parameters":{"allowPublic":{"type":"bool"}},
             "resources":[
              {"type":"Microsoft.Storage/storageAccounts","apiVersion":"2023-05-01","name":"lit","properties":{"allowBlobPublicAccess":true},
               "resources":[{"type":"blobServices/containers","apiVersion":"2023-05-01","name":"default/c","properties":{"publicAccess":"None"}}]},
              {"type":"Microsoft.Storage/storageAccounts","apiVersion":"2023-05-01","name":"[parameters('name')]","properties":{"allowBlobPublicAccess":"[parameters('allowPublic')]"}}
             ]}
            """;
        var snapshot = TestSupport.FromJson(json, "main.json");
        Assert.Equal(InputFormat.ArmTemplate, snapshot.Files[0].Format);
        Assert.Contains(snapshot.Resources, r => r.Type == "Microsoft.Storage/storageAccounts/blobServices/containers");
        var results = TestSupport.Assess(snapshot, controls: ControlIds.Sto01).Results;
        Assert.Equal([ControlStatus.Fail, ControlStatus.Unknown], results.Select(r => r.Status));
        Assert.Contains("[parameters('allowPublic')]", results[1].Evidence, StringComparison.Ordinal);
        Assert.Equal(RemediationKind.ArmTemplate, results[0].Remediation!.Kind);
    }

    [Fact]
    public void ArmTemplate_WithSymbolicResourceNames_IsRead()
    {
        var json = """
            {"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","languageVersion":"2.0","contentVersion":"1.0.0.0",
             "resources":{"vault":{"type":"Microsoft.KeyVault/vaults","apiVersion":"2023-07-01","name":"kv1","properties":{"enablePurgeProtection":false}}}}
            """;
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(json, "main.json"), controls: ControlIds.Key01).Results);
        Assert.Equal(ControlStatus.Fail, result.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n ")]
    [InlineData("null")]
    [InlineData("42")]
    public void EmptyOrScalarFile_IsAnInputError(string json)
    {
        var ex = Assert.Throws<InputException>(() => Read(json, "odd.json"));
        Assert.Equal("odd.json", ex.FilePath);
    }

    [Fact]
    public void GraphCollection_TypeComesFromODataContext_EvenWhenEmpty()
    {
        var (resources, file) = Read("{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies\",\"value\":[]}");
        Assert.Empty(resources);
        Assert.Equal([GraphTypes.ConditionalAccessPolicy], file.DeclaredTypes);
    }

    [Fact]
    public async Task Directory_IsWalked_AndABadFileIsANotification_NotACrash()
    {
        var dir = Directory.CreateTempSubdirectory("sfi-baseline-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "good.json"), "[" + Storage + "]");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "sub"));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "sub", "bad.json"), "{\n  oops");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "notes.txt"), "not json");
            var snapshot = await SnapshotReader.ReadAsync([dir.FullName]);
            Assert.Single(snapshot.Resources);
            var n = Assert.Single(snapshot.Notifications);
            Assert.Equal("sub/bad.json", n.Path);
            Assert.Equal(2, n.Region!.StartLine);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MissingPath_IsAnInputError()
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => SnapshotReader.ReadAsync(["/nonexistent/sfi/export.json"]));
        Assert.Contains("no such file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongValueTypes_AreUnknown_NotACrash()
    {
        var json = """
            {"value":[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1","name":"st1","type":"Microsoft.Storage/storageAccounts",
              "properties":{"allowBlobPublicAccess":"no","minimumTlsVersion":{"v":12},"supportsHttpsTrafficOnly":"maybe","sasPolicy":"block","networkAcls":[]}}]}
            """;
        var results = TestSupport.Assess(TestSupport.FromJson(json)).Results.Where(r => r.ControlId.StartsWith("STO-", StringComparison.Ordinal) && r.Resource.Id.EndsWith("st1", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(results, r => r.Status == ControlStatus.Error);
        Assert.DoesNotContain(results, r => r.Status == ControlStatus.Pass);
        var sto01 = Assert.Single(results, r => r.ControlId == ControlIds.Sto01);
        Assert.Equal(ControlStatus.Unknown, sto01.Status);
        Assert.Contains("the string \"no\", expected a boolean", sto01.Evidence, StringComparison.Ordinal);
        Assert.Equal(ControlStatus.Unknown, Assert.Single(results, r => r.ControlId == ControlIds.Sto07).Status);
    }

    [Fact]
    public void TerraformKnownAfterApply_IsUnknown()
    {
        var json = """
            {"format_version":"1.2","terraform_version":"1.9.5","resource_changes":[
              {"address":"azurerm_storage_account.a","mode":"managed","type":"azurerm_storage_account","name":"a","change":{"actions":["create"],"after":{"min_tls_version":"TLS1_2"},"after_unknown":{"allow_nested_items_to_be_public":true}}}]}
            """;
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(json), controls: ControlIds.Sto01).Results);
        Assert.Equal(ControlStatus.Unknown, result.Status);
        Assert.Contains("known only after apply", result.Evidence, StringComparison.Ordinal);
    }

    /// <summary>Produces a large JSON array on the fly, so that the test never holds the document itself.</summary>
    private sealed class GeneratedExport(int count) : Stream
    {
        private readonly int _count = count;
        private byte[] _pending = Encoding.UTF8.GetBytes("{\"value\":[\n");
        private int _offset;
        private int _index;
        private bool _closed;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_offset == _pending.Length)
            {
                if (_index < _count)
                {
                    // Resources no control reads, with some bulk, one per line.
                    _pending = Encoding.UTF8.GetBytes($"{{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/snap{_index}\",\"name\":\"snap{_index}\",\"type\":\"Microsoft.Compute/snapshots\",\"tags\":{{\"note\":\"{new string('x', 200)}\"}},\"properties\":{{\"diskSizeGB\":{_index}}}}},\n");
                    _index++;
                }
                else if (!_closed)
                {
                    _pending = Encoding.UTF8.GetBytes(Storage + "\n]}\n");
                    _closed = true;
                }
                else
                {
                    return 0;
                }

                _offset = 0;
            }

            var n = Math.Min(count, _pending.Length - _offset);
            Array.Copy(_pending, _offset, buffer, offset, n);
            _offset += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void LargeExport_IsStreamed_WithABoundedBuffer()
    {
        const int count = 200_000; // about 80 MB
        var statistics = new WalkStatistics();
        using var stream = new GeneratedExport(count);
        var (resources, file) = SnapshotReader.Read(stream, "huge.json", statistics);
        Assert.True(statistics.BytesRead > 50_000_000, $"read {statistics.BytesRead} bytes");
        Assert.True(statistics.MaxBufferBytes <= 128 * 1024, $"buffer grew to {statistics.MaxBufferBytes}");
        var r = Assert.Single(resources);
        Assert.Equal("st1", r.Name);
        Assert.Equal(count + 2, r.Source.Line);
        Assert.Equal(count, file.SkippedCount);
    }
}

public sealed class DuplicateKeyTests
{
    [Fact]
    public void ResourceGraphLowerCaseTypes_AreEvaluated()
    {
        var json = """
            {"totalRecords":1,"count":1,"data":[{"id":"/subscriptions/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st1","name":"st1","type":"microsoft.storage/storageaccounts","location":"westeurope","properties":{"minimumTlsVersion":"TLS1_0"}}]}
            """;
        var result = Assert.Single(TestSupport.Assess(TestSupport.FromJson(json), controls: ControlIds.Sto07).Results);
        Assert.Equal(ControlStatus.Fail, result.Status);
    }

    [Fact]
    public void KeysDifferingOnlyInCase_DoNotCrashTheReader()
    {
        var json = """[{"Id":"p1","id":"p1","DisplayName":"MFA","State":"enabled","Conditions":{"Users":{"IncludeUsers":["All"]}},"GrantControls":{"BuiltInControls":["mfa"]},"AdditionalProperties":{}}]""";
        var ex = Record.Exception(() => TestSupport.Assess(TestSupport.FromJson(json), controls: ControlIds.Idn01));
        Assert.Null(ex);
    }

    [Fact]
    public void KeysDifferingOnlyInCase_FirstWins_AtEveryDepth()
    {
        // Kept as compact JSON, the resource is parsed again for every evaluation: the duplicate must be dropped at
        // read time, in nested objects too, and the first value must be the one the controls see.
        var json = """
            [{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1","name":"st1","type":"Microsoft.Storage/storageAccounts",
              "properties":{"allowBlobPublicAccess":true,"AllowBlobPublicAccess":false,"networkAcls":{"defaultAction":"Allow","DefaultAction":"Deny"}},
              "PROPERTIES":{"allowBlobPublicAccess":false}}]
            """;
        var resources = TestSupport.FromJson(json).Resources;
        var data = Assert.Single(resources).Data;
        Assert.Equal(true, data["properties"]?["ALLOWBLOBPUBLICACCESS"]?.GetValue<bool>());
        Assert.Equal("Allow", data["Properties"]?["networkAcls"]?["defaultaction"]?.GetValue<string>());
        var result = Assert.Single(TestSupport.Assess(new TenantSnapshot { Resources = resources, Files = [] }, controls: ControlIds.Sto01).Results);
        Assert.Equal(ControlStatus.Fail, result.Status);
    }

    [Fact]
    public void EscapedAndNonAsciiText_ReadsTheSame_AfterCompaction()
    {
        var json = """
            {"value":[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/z\u00fcrich","name":"Zürich \"main\"\t\u2603",
              "type":"Microsoft.Storage/storageAccounts","properties":{"minimumTlsVersion":"TLS1\u005f0","note":"a\\b\/c \ud83d\ude00"}}]}
            """;
        var resources = TestSupport.FromJson(json).Resources;
        var r = Assert.Single(resources);
        Assert.Equal("Z\u00fcrich \"main\"\t\u2603", r.Name);
        Assert.EndsWith("/z\u00fcrich", r.Id, StringComparison.Ordinal);
        Assert.Equal("a\\b/c \U0001F600", r.Data["properties"]?["note"]?.GetValue<string>());
        var result = Assert.Single(TestSupport.Assess(new TenantSnapshot { Resources = resources, Files = [] }, controls: ControlIds.Sto07).Results);
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.Contains("TLS1_0", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void AssessingTheSameSnapshotTwice_GivesTheSameResults()
    {
        // Resources are materialised for the controls and released again; a second assessment parses them anew.
        const string Storage = """{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1","name":"st1","type":"Microsoft.Storage/storageAccounts","properties":{"allowBlobPublicAccess":false}}""";
        var snapshot = TestSupport.FromJson("[" + Storage + "," + Storage.Replace("st1", "st2", StringComparison.Ordinal).Replace("false", "true", StringComparison.Ordinal) + "]");
        static string Describe(Assessment a) => string.Join("\n", a.Results.Select(r => $"{r.ControlId} {r.Resource.Id} {r.Status} {r.Evidence} {r.Remediation?.Url}"));
        var first = TestSupport.Assess(snapshot);
        var second = TestSupport.Assess(snapshot);
        Assert.Equal(Describe(first), Describe(second));
        var failed = Assert.Single(first.Results, r => r.ControlId == ControlIds.Sto01 && r.Status == ControlStatus.Fail);
        Assert.Equal("PATCH", failed.Remediation?.Method);
        Assert.Equal("""{"properties":{"allowBlobPublicAccess":false}}""", failed.Remediation?.Body?.ToJsonString());
    }
}
