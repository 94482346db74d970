using System.Text.Json.Nodes;
using SecureFuture.Baseline.Input;
using SecureFuture.Core;

namespace SecureFuture.Baseline.Tests;

/// <summary>
/// A streamed assessment (resources checked as they are read, dropped unless an evaluator declared their type,
/// results handed on as they come) must give exactly the results of assessing the whole snapshot in memory.
/// </summary>
public sealed class StreamingTests
{
    private static string Samples => TestSupport.SampleDir;

    public static TheoryData<string> Inputs => new() { "TestData", "samples" };

    private static string InputPath(string which) => which == "samples" ? Samples : TestSupport.TestData;

    private static string Key(ControlResult r) =>
        $"{r.ControlId}|{r.Status}|{r.Resource.Id}|{r.Resource.Type}|{r.Resource.Name}|{r.Resource.Source}|{r.Evidence}|{r.PropertyPath}|{r.Remediation?.Url}|{r.Remediation?.Body?.ToJsonString()}|{r.Exception?.Owner}";

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task StreamedAssessment_GivesTheResultsOfTheWholeSnapshot_InTheSameOrder(string which)
    {
        var path = InputPath(which);
        var whole = await SnapshotReader.ReadAsync([path]);
        var expected = new BaselineAssessor(timeProvider: TestSupport.Clock()).Assess(whole);
        var streamed = await new BaselineAssessor(timeProvider: TestSupport.Clock()).AssessAsync([path]);

        Assert.True(expected.Results.Count > 50, $"{expected.Results.Count} results");
        Assert.DoesNotContain(streamed.Results, r => r.Status == ControlStatus.Error);
        Assert.Equal(expected.Results.Select(Key), streamed.Results.Select(Key));
        Assert.Equal(expected.Tally.Total, streamed.Tally.Total);
        Assert.Equal(expected.SummaryByDomain(), streamed.SummaryByDomain());
    }

    [Fact]
    public async Task StreamedSnapshot_KeepsOnlyTheDeclaredTypes_AndRefusesToListTheOthers()
    {
        var snapshot = await SnapshotReader.ReadAsync([Samples], r => r.Is("Microsoft.Insights/diagnosticSettings"));
        Assert.NotEmpty(snapshot.OfType("Microsoft.Insights/diagnosticSettings"));
        Assert.Contains("Microsoft.Storage/storageAccounts", snapshot.DroppedTypes, StringComparer.OrdinalIgnoreCase);
        var listed = Assert.Throws<InvalidOperationException>(() => snapshot.OfType("microsoft.storage/STORAGEACCOUNTS"));
        Assert.Contains("Reads", listed.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => snapshot.Resources);
    }

    /// <summary>Reads storage accounts from the snapshot without declaring them.</summary>
    private sealed class UndeclaredReader : IControlEvaluator
    {
        public IReadOnlyList<string> ControlIds => [Baseline.ControlIds.App09];

        public IReadOnlyList<string> Reads => [];

        public IEnumerable<ControlResult> Evaluate(EvaluationContext context) =>
            context.Snapshot.OfType("Microsoft.Storage/storageAccounts").Select(a => new ControlResult
            {
                ControlId = Baseline.ControlIds.App09,
                Status = ControlStatus.Pass,
                Resource = a.Ref,
                Evidence = "seen",
            }).ToList();
    }

    /// <summary>A resource control that looks at other resources but declares no joins.</summary>
    private sealed class UndeclaredJoin : ResourceControl
    {
        public override string ControlId => Baseline.ControlIds.Sto01;

        public override IReadOnlyList<string> Types { get; } = ["Microsoft.Storage/storageAccounts"];

        public override Verdict Check(TenantResource resource, EvaluationContext context) =>
            context.Snapshot.OfType("Microsoft.Insights/diagnosticSettings").Count > 0 ? Verdict.Pass("logged") : Verdict.Fail("not logged");
    }

    [Fact]
    public async Task AnEvaluatorReadingAnUndeclaredType_IsAnError_NeverAnEmptyList()
    {
        var evaluators = new Dictionary<string, IControlEvaluator>(EvaluatorRegistry.ByControlId)
        {
            [ControlIds.App09] = new UndeclaredReader(),
            [ControlIds.Sto01] = new UndeclaredJoin(),
        };
        var assessment = await new BaselineAssessor(timeProvider: TestSupport.Clock()) { Evaluators = evaluators }.AssessAsync([Samples]);

        var app09 = Assert.Single(assessment.Results, r => r.ControlId == ControlIds.App09);
        Assert.Equal(ControlStatus.Error, app09.Status);
        Assert.Contains("Reads", app09.Evidence, StringComparison.Ordinal);
        var sto01 = Assert.Single(assessment.Results, r => r.ControlId == ControlIds.Sto01);
        Assert.Equal(ControlStatus.Error, sto01.Status);
        Assert.Contains("Joins", sto01.Evidence, StringComparison.Ordinal);
        // The other controls are unaffected.
        Assert.Contains(assessment.Results, r => r.ControlId == ControlIds.Sto02 && r.Status is ControlStatus.Pass or ControlStatus.Fail);
    }

    /// <summary>A tenant-wide control whose observer throws on the first storage account it sees.</summary>
    private sealed class ThrowingObserver : IControlEvaluator, IObservingEvaluator, IResourceObserver
    {
        public IReadOnlyList<string> ControlIds => [Baseline.ControlIds.App09];

        public IReadOnlyList<string> Reads => [];

        public IResourceObserver Observer => this;

        public int Calls { get; private set; }

        public int CallsWhenItThrew { get; private set; }

        public void Observe(TenantResource resource, EvaluationContext context)
        {
            Calls++;
            if (resource.Is("Microsoft.Storage/storageAccounts"))
            {
                CallsWhenItThrew = Calls;
                throw new InvalidOperationException("observer bug");
            }
        }

        public IEnumerable<ControlResult> Evaluate(EvaluationContext context) => [];
    }

    [Fact]
    public async Task AnObserverThatThrows_IsAnErrorOfItsControl_AndReadingGoesOn()
    {
        var observer = new ThrowingObserver();
        var evaluators = new Dictionary<string, IControlEvaluator>(EvaluatorRegistry.ByControlId) { [ControlIds.App09] = observer };
        var assessment = await new BaselineAssessor(timeProvider: TestSupport.Clock()) { Evaluators = evaluators }.AssessAsync([Samples]);

        var app09 = Assert.Single(assessment.Results, r => r.ControlId == ControlIds.App09);
        Assert.Equal(ControlStatus.Error, app09.Status);
        Assert.Contains("observer bug", app09.Evidence, StringComparison.Ordinal);
        Assert.Contains(assessment.Notifications, n => n.Id == "baseline/evaluator-failed" && n.RuleId == ControlIds.App09);
        // It was not called again after it failed (the samples hold many resources after the first storage account),
        // and everything else was assessed.
        Assert.True(observer.CallsWhenItThrew > 0);
        Assert.Equal(observer.CallsWhenItThrew, observer.Calls);
        Assert.Contains(assessment.Results, r => r.ControlId == ControlIds.Sto02 && r.Status is ControlStatus.Pass or ControlStatus.Fail);
        Assert.Contains(assessment.Results, r => r.ControlId == ControlIds.Net07 && r.Status != ControlStatus.Error);
    }

    [Fact]
    public async Task ResultsStreamToTheJsonWriter_AndOnlyTheChosenOnesAreKept()
    {
        var expected = await new BaselineAssessor(timeProvider: TestSupport.Clock()).AssessAsync([Samples]);
        using var output = new MemoryStream();
        Assessment streamed;
        await using (var writer = new AssessmentJsonWriter(output))
        {
            streamed = await new BaselineAssessor(timeProvider: TestSupport.Clock()).AssessAsync([Samples], writer.Sink(r => r.Status == ControlStatus.Fail));
            writer.Complete(streamed);
        }

        Assert.All(streamed.Results, r => Assert.Equal(ControlStatus.Fail, r.Status));
        Assert.Equal(expected.Failures.Select(Key), streamed.Results.Select(Key));
        Assert.Equal(expected.Tally.Total, streamed.Tally.Total);
        Assert.Equal(expected.HasFailureAtOrAbove(Core.Severity.High), streamed.HasFailureAtOrAbove(Core.Severity.High));

        // The same results as the document written from memory, in production order rather than catalogue order.
        var written = JsonNode.Parse(output.ToArray())!.AsObject();
        var fromMemory = AssessmentJson.ToJson(expected);
        static string[] Sorted(JsonNode? results) => [.. results!.AsArray().Select(r => r!.ToJsonString()).Order(StringComparer.Ordinal)];
        Assert.Equal(Sorted(fromMemory["results"]), Sorted(written["results"]));
        Assert.Equal(fromMemory["inputs"]!.ToJsonString(), written["inputs"]!.ToJsonString());
        Assert.Equal(expected.Tally.Total, written["results"]!.AsArray().Count);

        // What diff reads back is the same assessment.
        output.Position = 0;
        var reread = AssessmentJson.Read(output, "streamed.json");
        Assert.Equal(expected.Results.Count, reread.Results.Count);
    }

    [Fact]
    public async Task ACollectionIsAssessedWhileItsFileIsRead_AndACutFileStillNamesWhereItBreaks()
    {
        // A 2 GB az resource list export must not be held whole: its resources reach the assessment as they are read.
        // Proof: a collection whose tail is malformed. Its first resources were handed over before the error.
        using var dir = new TempDirectory();
        var account = """{"type":"Microsoft.Storage/storageAccounts","id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/sa{0}","name":"sa{0}","location":"westeurope","properties":{"allowBlobPublicAccess":true}}""";
        var good = string.Join(",\n", Enumerable.Range(1, 3).Select(i => account.Replace("{0}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "cut.json"), "[\n" + good + ",\n{\"type\": \"Microsoft.Storage/storageAccounts\", \"id\": ");
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "whole.json"), "{\"value\": [\n" + good.Replace("/sa", "/whole", StringComparison.Ordinal).Replace("\"sa", "\"whole", StringComparison.Ordinal) + "\n]}");

        var seen = new List<string>();
        var error = await Assert.ThrowsAsync<InputException>(() => SnapshotReader.ReadAsync([Path.Combine(dir.Path, "cut.json")], r => { seen.Add(r.Id); return false; }));
        Assert.Equal(3, seen.Count);
        Assert.Matches(@"cut\.json:\d+:\d+", error.Message);

        // Given a directory, the cut file is a notification naming file and line, its resources read so far are
        // assessed, and the other file is assessed whole.
        var assessment = await new BaselineAssessor(timeProvider: TestSupport.Clock()).AssessAsync([dir.Path], new HashSet<string> { ControlIds.Sto01 });
        var input = Assert.Single(assessment.Notifications, n => n.Id == "baseline/input");
        Assert.Equal("cut.json", input.Path);
        Assert.NotNull(input.Region);
        var failed = assessment.Results.Where(r => r.Status == ControlStatus.Fail).Select(r => r.Resource.Name).ToList();
        Assert.Equal(["sa1", "sa2", "sa3", "whole1", "whole2", "whole3"], failed.Order(StringComparer.Ordinal));
        Assert.Equal(3, Assert.Single(assessment.Files).ResourceCount);
    }
}
