namespace SecureFuture.Baseline.Tests;

public sealed class AssessorTests
{
    private sealed class Throwing : IControlEvaluator
    {
        public IReadOnlyList<string> ControlIds => [Baseline.ControlIds.Sto01];

        public IReadOnlyList<string> Reads => [];

        public IEnumerable<ControlResult> Evaluate(EvaluationContext context)
        {
            yield return new ControlResult { ControlId = Baseline.ControlIds.Sto01, Status = ControlStatus.Pass, Resource = ResourceRef.Tenant(), Evidence = "half" };
            throw new InvalidOperationException("evaluator bug");
        }
    }

    [Fact]
    public void EvaluatorThatThrows_IsAnErrorResult_AndTheOtherControlsStillRun()
    {
        var evaluators = new Dictionary<string, IControlEvaluator>(EvaluatorRegistry.ByControlId) { [ControlIds.Sto01] = new Throwing() };
        var snapshot = TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-02", "fail.arm.json"));
        var assessment = new BaselineAssessor(timeProvider: TestSupport.Clock()) { Evaluators = evaluators }.Assess(snapshot);
        var sto01 = Assert.Single(assessment.Results, r => r.ControlId == ControlIds.Sto01);
        Assert.Equal(ControlStatus.Error, sto01.Status);
        Assert.Contains("evaluator bug", sto01.Evidence, StringComparison.Ordinal);
        Assert.Contains(assessment.Notifications, n => n.Id == "baseline/evaluator-failed" && n.RuleId == ControlIds.Sto01);
        Assert.Equal(ControlStatus.Fail, Assert.Single(assessment.Results, r => r.ControlId == ControlIds.Sto02).Status);
    }

    [Fact]
    public void EveryControl_HasAResult_EvenWithNoInputs()
    {
        var assessment = TestSupport.Assess(new TenantSnapshot { Resources = [], Files = [] });
        Assert.Equal(ControlCatalogue.Default.Controls.Select(c => c.Id), assessment.Results.Select(r => r.ControlId).Distinct());
        Assert.All(assessment.Results, r => Assert.Equal(ControlStatus.Unknown, r.Status));
    }

    [Fact]
    public void GraphOnlyInputs_LeaveAzureControlsUnknown_NotApplicableNeedsTheFormat()
    {
        var graphOnly = TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "TEN-01", "pass.graph.json"));
        Assert.Equal(ControlStatus.Unknown, Assert.Single(TestSupport.Assess(graphOnly, controls: ControlIds.Sto01).Results).Status);
        var armWithoutStorage = TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "KEY-01", "pass.arm.json"));
        Assert.Equal(ControlStatus.NotApplicable, Assert.Single(TestSupport.Assess(armWithoutStorage, controls: ControlIds.Sto01).Results).Status);
    }
}

public sealed class PrivilegedTests
{
    [Fact]
    public void Prv01_CountsEligibleGlobalAdmins_WhenExported()
    {
        const string ga = "62e90394-69f5-4237-9190-012177145e10";
        var active = "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignments\",\"value\":[{\"id\":\"a1\",\"roleDefinitionId\":\"" + ga + "\",\"principalId\":\"u1\",\"directoryScopeId\":\"/\"}]}";
        var eligible = "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleEligibilityScheduleInstances\",\"value\":[{\"id\":\"e1\",\"roleDefinitionId\":\"" + ga + "\",\"principalId\":\"u2\",\"directoryScopeId\":\"/\",\"memberType\":\"Direct\"}]}";
        var onlyActive = TestSupport.FromJson(active);
        Assert.Equal(ControlStatus.Fail, Assert.Single(TestSupport.Assess(onlyActive, controls: ControlIds.Prv01).Results).Status);
        var both = new TenantSnapshot
        {
            Resources = [.. onlyActive.Resources, .. TestSupport.FromJson(eligible).Resources],
            Files = onlyActive.Files,
        };
        var result = Assert.Single(TestSupport.Assess(both, controls: ControlIds.Prv01).Results);
        Assert.Equal(ControlStatus.Pass, result.Status);
        Assert.Contains("2 Global Administrator(s), active and eligible", result.Evidence, StringComparison.Ordinal);
    }
}

public sealed class CatalogueTests
{
    [Fact]
    public void Catalogue_Has99Controls_InNineDomains_WithTheIdsDefinedOnce()
    {
        var catalogue = ControlCatalogue.Default;
        Assert.Equal(99, catalogue.Controls.Count);
        Assert.Equal(["Identity & auth", "Privileged access", "Apps & secrets", "Tenant & external", "Storage exposure", "Keys & certs", "Network exposure", "Workload hardening", "Logging & detection"], catalogue.Domains);
        var constants = typeof(ControlIds).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Equal(constants, catalogue.Controls.Select(c => c.Id));
        Assert.Equal(
            [11, 11, 11, 11, 11, 11, 11, 11, 11],
            catalogue.Domains.Select(d => catalogue.Controls.Count(c => c.Domain == d)));
    }

    [Fact]
    public void EveryControl_HasItsMetadata()
    {
        foreach (var c in ControlCatalogue.Default.Controls)
        {
            Assert.Matches("^[A-Z]{3}-[0-9]{2}$", c.Id);
            Assert.Matches("^[A-Z][A-Za-z0-9]+$", c.Name);
            Assert.NotEqual(c.Id, c.Name);
            Assert.False(string.IsNullOrWhiteSpace(c.Title));
            Assert.False(string.IsNullOrWhiteSpace(c.Rationale));
            Assert.NotEmpty(c.Formats);
            Assert.NotEmpty(c.ResourceTypes);
            Assert.True(c.Fix.Programmatic || c.Fix.ManualSteps is not null, c.Id);
            var rule = c.ToRuleDescriptor();
            Assert.Equal(c.Id, rule.Id);
        }
    }

    [Fact]
    public void References_AreKeptAsListed()
    {
        var idn01 = ControlCatalogue.Default[ControlIds.Idn01];
        Assert.Equal(["MS.AAD.3.2v2"], idn01.References.Scuba);
        Assert.Equal(["IM-6"], idn01.References.Mcsb);
        Assert.Equal(["CIS 5.1.1/5.1.3"], idn01.References.Cis);
        Assert.Contains("CKV_AZURE_190", ControlCatalogue.Default[ControlIds.Sto01].References.Other);
    }

    [Fact]
    public void ControlList_MarksWhichControlsAreEvaluated()
    {
        var text = BaselineReports.ControlList();
        Assert.Contains("STO-01  critical evaluated", text, StringComparison.Ordinal);
        Assert.Equal(99, text.Split('\n').Count(l => l.Contains(" evaluated ", StringComparison.Ordinal)));
    }
}
