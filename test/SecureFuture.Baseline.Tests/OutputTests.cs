using SecureFuture.Baseline.Input;
using SecureFuture.Core;
using SecureFuture.Core.Writers;

namespace SecureFuture.Baseline.Tests;

/// <summary>The sample tenant end to end: results, findings, remediation plan, diff and reports.</summary>
public sealed class OutputTests
{
    private static string SampleDir() => TestSupport.SampleDir;

    private static readonly Lazy<Assessment> Sample = new(() =>
    {
        var dir = SampleDir();
        var snapshot = SnapshotReader.ReadAsync([dir]).GetAwaiter().GetResult();
        var config = BaselineConfiguration.Load(Path.Combine(dir, "baseline.yaml"));
        var exceptions = BaselineExceptions.Load(Path.Combine(dir, "exceptions.yaml"));
        return new BaselineAssessor(config, exceptions, TestSupport.Clock()).Assess(snapshot);
    });

    [Fact]
    public void SampleTenant_IsReadInEveryFormat_AndEvaluatesWithoutErrors()
    {
        var a = Sample.Value;
        Assert.DoesNotContain(a.Notifications, n => n.Id == "baseline/input");
        Assert.Equal(
            [InputFormat.ArmResources, InputFormat.ArmTemplate, InputFormat.TerraformPlan, InputFormat.Graph, InputFormat.ScubaGear],
            a.Files.Select(f => f.Format).Distinct().Order());
        Assert.DoesNotContain(a.Results, r => r.Status == ControlStatus.Error);
        Assert.All(ControlCatalogue.Default.Controls, c => Assert.Contains(a.Results, r => r.ControlId == c.Id));
    }

    /// <summary>The sample without its configuration: the break-glass account is not named, so IDN-01 fails with evidence.</summary>
    private static readonly Lazy<Assessment> Unconfigured = new(() =>
        new BaselineAssessor(null, null, TestSupport.Clock()).Assess(SnapshotReader.ReadAsync([SampleDir()]).GetAwaiter().GetResult()));

    [Fact]
    public void SampleTenant_ExceptionsApply_AndTheExpiredOneIsReported()
    {
        var a = Sample.Value;
        var publicAssets = Assert.Single(a.Results, r => r.ControlId == ControlIds.Sto01 && r.Resource.Name == "stpublicassets");
        Assert.Equal(ControlStatus.Fail, publicAssets.Status);
        Assert.True(publicAssets.IsExcepted);
        var jumpbox = Assert.Single(a.Results, r => r.ControlId == ControlIds.Net01 && r.Resource.Name == "nsg-jumpbox");
        Assert.False(jumpbox.IsExcepted);
        Assert.Equal(ControlIds.Net01, Assert.Single(a.ExpiredExceptions).ControlId);
    }

    [Fact]
    public void IacFindings_PointAtTheFileAndLineOfTheDefinition()
    {
        var run = BaselineFindings.ToAnalysisRun(Sample.Value);
        var tls = Assert.Single(run.Findings, f => f.RuleId == ControlIds.Sto07 && f.Location.ResourceId == "azurerm_storage_account.logs");
        Assert.Equal("terraform/plan.json", tls.Location.Path);
        var planLines = File.ReadAllLines(Path.Combine(SampleDir(), "terraform", "plan.json"));
        Assert.Contains("\"address\": \"azurerm_storage_account.logs\"", planLines[tls.Location.Region!.StartLine], StringComparison.Ordinal);
        Assert.Equal("min_tls_version", tls.Location.PropertyPath);

        var container = Assert.Single(run.Findings, f => f.RuleId == ControlIds.Sto11);
        Assert.Equal("templates/storage.json", container.Location.Path);
        var templateLines = File.ReadAllLines(Path.Combine(SampleDir(), "templates", "storage.json"));
        Assert.Contains("blobServices/containers", templateLines[container.Location.Region!.StartLine], StringComparison.Ordinal);

        var excepted = Assert.Single(run.Findings, f => f.RuleId == ControlIds.Sto01 && f.Location.ResourceId!.EndsWith("stpublicassets", StringComparison.Ordinal));
        Assert.True(excepted.IsSuppressed);
        Assert.Equal("arm/resources.json", excepted.Location.Path);
        Assert.Equal(99, run.Rules.Count);
    }

    [Fact]
    public async Task Findings_WriteAsValidSarif()
    {
        var run = BaselineFindings.ToAnalysisRun(Sample.Value);
        using var stream = new MemoryStream();
        await ReportWriters.Create("sarif").WriteAsync(run, stream);
        var sarif = System.Text.Json.Nodes.JsonNode.Parse(stream.ToArray())!;
        Assert.Equal("2.1.0", sarif["version"]!.GetValue<string>());
        Assert.NotEmpty(sarif["runs"]![0]!["results"]!.AsArray());
    }

    [Fact]
    public void RemediationPlan_HasArmGraphAndTerraformFixes()
    {
        var plan = RemediationPlan.From(Sample.Value);
        var arm = Assert.Single(plan.Items, i => i.ControlId == ControlIds.Key01 && i.Resource.Name == "kv-legacy");
        Assert.Equal("PATCH", arm.Action.Method);
        Assert.EndsWith("/providers/Microsoft.KeyVault/vaults/kv-legacy?api-version=2023-07-01", arm.Action.Url, StringComparison.Ordinal);
        Assert.Equal("{\"properties\":{\"enablePurgeProtection\":true}}", arm.Action.Body!.ToJsonString());
        Assert.NotNull(arm.Action.Caution);

        var graph = Assert.Single(plan.Items, i => i.ControlId == ControlIds.Ten10);
        Assert.Equal("https://graph.microsoft.com/v1.0/policies/authorizationPolicy", graph.Action.Url);
        Assert.Equal("{\"blockMsolPowerShell\":true}", graph.Action.Body!.ToJsonString());

        var tf = Assert.Single(plan.Items, i => i.ControlId == ControlIds.Wkl04 && i.Resource.Id == "azurerm_linux_web_app.api");
        Assert.Equal(RemediationKind.Terraform, tf.Action.Kind);
        Assert.Equal("site_config.0.remote_debugging_enabled", tf.Action.Attribute);
        Assert.Equal("false", tf.Action.Value!.ToJsonString());

        Assert.DoesNotContain(plan.Items, i => i.ControlId == ControlIds.Sto01 && i.Resource.Name == "stpublicassets");
        Assert.Contains(plan.Manual, i => i.ControlId == ControlIds.App01 || i.ControlId == ControlIds.App02);
    }

    [Fact]
    public async Task Diff_ReportsRegressionsAndImprovements_ThroughSavedJson()
    {
        var before = TestSupport.Assess(TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-01", "pass.arm.json")), controls: [ControlIds.Sto01, ControlIds.Sto07]);
        var after = TestSupport.Assess(TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-01", "fail.arm.json")), controls: [ControlIds.Sto01, ControlIds.Sto07]);
        using var saved = new MemoryStream();
        await AssessmentJson.WriteAsync(before, saved);
        saved.Position = 0;
        var reloaded = AssessmentJson.Read(saved, "before.json");
        var diff = AssessmentDiff.Compare(reloaded, after);
        var change = Assert.Single(diff.Changes);
        Assert.Equal((ControlIds.Sto01, ChangeKind.Regressed, ControlStatus.Pass, ControlStatus.Fail), (change.ControlId, change.Kind, change.Before!.Value, change.After!.Value));
        var back = AssessmentDiff.Compare(after, before);
        Assert.Equal(ChangeKind.Improved, Assert.Single(back.Changes).Kind);
    }

    [Fact]
    public void RemediationAndDiffText_ShowVerbsUrlsAndChanges()
    {
        var text = BaselineReports.RemediationText(RemediationPlan.From(Sample.Value));
        Assert.Contains("PATCH https://management.azure.com/subscriptions/", text, StringComparison.Ordinal);
        Assert.Contains("azurerm_linux_web_app.api: site_config.0.remote_debugging_enabled = false", text, StringComparison.Ordinal);
        Assert.Contains("caution: irreversible", text, StringComparison.Ordinal);

        var before = TestSupport.Assess(TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-07", "pass.arm.json")), controls: ControlIds.Sto07);
        var after = TestSupport.Assess(TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-07", "fail.arm.json")), controls: ControlIds.Sto07);
        var diff = BaselineReports.DiffText(AssessmentDiff.Compare(before, after));
        Assert.StartsWith("Regressed (1):", diff, StringComparison.Ordinal);
        Assert.Contains("STO-07 /subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-sfi/providers/Microsoft.Storage/storageAccounts/stsfidata: pass -> fail", diff, StringComparison.Ordinal);
        Assert.Contains("pass -> fail", diff, StringComparison.Ordinal);
        Assert.Equal("No changes.\n", BaselineReports.DiffText(AssessmentDiff.Compare(before, before)));
    }

    [Fact]
    public void SavedAssessment_NotOurs_IsAnInputError()
    {
        using var s = new MemoryStream("{\"runs\":[]}"u8.ToArray());
        Assert.Throws<InputException>(() => AssessmentJson.Read(s, "x.json"));
    }

    [Fact]
    public void Html_IsSelfContained_AndEscapesEverything()
    {
        var json = """
            {"value":[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st<script>alert(1)</script>","name":"<img src=x onerror=alert(1)>","type":"Microsoft.Storage/storageAccounts","properties":{"allowBlobPublicAccess":true}}]}
            """;
        var html = BaselineReports.Html(TestSupport.Assess(TestSupport.FromJson(json), controls: ControlIds.Sto01));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"", html, StringComparison.Ordinal);
        Assert.Contains("Storage exposure", html, StringComparison.Ordinal);
    }

    [Fact]
    public void TextSummary_ListsAllNineDomains_AndTheFailures()
    {
        var text = BaselineReports.TextSummary(Sample.Value);
        foreach (var domain in ControlCatalogue.Default.Domains)
        {
            Assert.Contains(domain, text, StringComparison.Ordinal);
        }

        Assert.Contains("KEY-01 [high] Purge protection: kv-legacy", text, StringComparison.Ordinal);
        Assert.Contains("Expired exception: NET-01", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleTenant_PolicyReadFromGraphAndScubaGear_IsOneObject_AndListedOnceInEvidence()
    {
        var a = Unconfigured.Value;
        var mfa = Assert.Single(a.Results, r => r.ControlId == ControlIds.Idn01);
        Assert.Equal(ControlStatus.Fail, mfa.Status);
        Assert.Equal(1, Occurrences(mfa.Evidence ?? string.Empty, "\"Require MFA for all users\""));
        Assert.Equal(1, Occurrences(mfa.Evidence ?? string.Empty, "\"Block legacy authentication\""));
        var merged = Assert.Single(a.Notifications, n => n.Id == RepeatedTenantObjects.NotificationId && n.Level == NotificationLevel.Note);
        Assert.StartsWith("2 tenant object(s) were read twice", merged.Message, StringComparison.Ordinal);

        // The sample's two authorization policies disagree (the ScubaGear export is stricter): both are kept and a
        // warning names both places, since which one is current cannot be known.
        var differs = Assert.Single(a.Notifications, n => n.Id == RepeatedTenantObjects.NotificationId && n.Level == NotificationLevel.Warning);
        Assert.Contains("scubagear/ProviderSettingsExport.json", differs.Message, StringComparison.Ordinal);
        Assert.Contains("graph/authorizationPolicy.json:1:1", differs.Message, StringComparison.Ordinal);
        Assert.Equal(2, a.Results.Count(r => r.ControlId == ControlIds.Ten10));
    }

    [Fact]
    public async Task RepeatedObject_ThatDiffers_IsEvaluatedTwice_SoAFailureInEitherCopyShows()
    {
        using var dir = new TempDirectory();
        const string Policy = """{"id":"p1","displayName":"MFA","state":"STATE","conditions":{"users":{"includeUsers":["All"]},"applications":{"includeApplications":["All"]},"clientAppTypes":["all"]},"grantControls":{"operator":"OR","builtInControls":["mfa"]}}""";
        File.WriteAllText(Path.Combine(dir.Path, "a.json"), $$"""{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies","value":[{{Policy.Replace("STATE", "enabled", StringComparison.Ordinal)}}]}""");
        File.WriteAllText(Path.Combine(dir.Path, "b.json"), $$"""{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies","value":[{{Policy.Replace("STATE", "disabled", StringComparison.Ordinal)}}]}""");
        var snapshot = await SnapshotReader.ReadAsync([dir.Path]);
        Assert.Equal(2, snapshot.OfType(GraphTypes.ConditionalAccessPolicy).Count);
        Assert.Contains(snapshot.Notifications, n => n.Level == NotificationLevel.Warning && n.Message.Contains("differs from the copy at a.json", StringComparison.Ordinal));

        // Key case, OData annotations, nulls and empty lists are form, not content: such copies are one object.
        File.WriteAllText(Path.Combine(dir.Path, "b.json"), """{"value":[{"@odata.type":"#microsoft.graph.conditionalAccessPolicy","Id":"p1","DisplayName":"MFA","State":"enabled","SessionControls":null,"Conditions":{"Users":{"IncludeUsers":["All"],"ExcludeUsers":[]},"Applications":{"IncludeApplications":["All"]},"ClientAppTypes":["all"]},"GrantControls":{"Operator":"OR","BuiltInControls":["mfa"]}}]}""");
        snapshot = await SnapshotReader.ReadAsync([dir.Path]);
        Assert.Single(snapshot.OfType(GraphTypes.ConditionalAccessPolicy));
    }

    [Fact]
    public void Html_AtAGlance_ChartsEveryDomain_ListsTheWorstFirst_AndFoldsLongEvidence()
    {
        var html = BaselineReports.Html(Unconfigured.Value);
        var glance = html[html.IndexOf("<h2>At a glance</h2>", StringComparison.Ordinal)..html.IndexOf("<h2>Failing resources</h2>", StringComparison.Ordinal)];
        Assert.Contains("<svg role=\"img\"", glance, StringComparison.Ordinal);
        foreach (var d in Unconfigured.Value.SummaryByDomain())
        {
            Assert.Contains($"{d.Fail} fail · {d.Pass} pass · {d.Unknown} unknown", glance, StringComparison.Ordinal);
        }

        // The worst failures: critical before high before medium, at most ten.
        var worst = glance[glance.IndexOf("<ol class=\"worst\">", StringComparison.Ordinal)..];
        var ranks = System.Text.RegularExpressions.Regex.Matches(worst, "sev-(critical|high|medium|low)").Select(m => m.Groups[1].Value switch
        {
            "critical" => 4,
            "high" => 3,
            "medium" => 2,
            _ => 1,
        }).ToList();
        Assert.InRange(ranks.Count, 1, BaselineHtmlReport.WorstShown);
        Assert.Equal(ranks.OrderDescending(), ranks);
        Assert.Equal(4, ranks[0]);

        // IDN-01's evidence (several hundred characters) is folded; nothing wider than the page is left unwrapped.
        Assert.Contains("<details><summary>security defaults are disabled;", html, StringComparison.Ordinal);
        Assert.Contains("table-layout:fixed", html, StringComparison.Ordinal);
        Assert.Contains("overflow-wrap:anywhere", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_Fold_KeepsShortTextWhole_AndEscapesBothParts()
    {
        Assert.Equal("a &lt;b&gt;", BaselineHtmlReport.Fold("a <b>"));
        var longText = string.Join(' ', Enumerable.Repeat("<x>", 100));
        var folded = BaselineHtmlReport.Fold(longText);
        Assert.StartsWith("<details><summary>&lt;x&gt;", folded, StringComparison.Ordinal);
        Assert.DoesNotContain("<x>", folded, StringComparison.Ordinal);
    }

    private static int Occurrences(string text, string value)
    {
        var n = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
