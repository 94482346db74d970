using SecureFuture.Core;

namespace SecureFuture.Baseline.Tests;

public sealed class ExceptionsTests
{
    private static IReadOnlyList<ExceptionEntry> Parse(string yaml) => BaselineExceptions.Parse(new StringReader(yaml), "exceptions.yaml");

    private static TenantSnapshot PublicStorage() => TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "STO-01", "fail.arm.json"));

    [Fact]
    public void LiveException_CoversTheFailure_WhichStaysAFailure()
    {
        var exceptions = Parse("""
            exceptions:
              - control: STO-01
                resource: "*/storageAccounts/stsfidata"
                owner: web-team@contoso.example
                reason: Serves public static assets
                expires: 2026-12-31
            """);
        var result = Assert.Single(TestSupport.Assess(PublicStorage(), null, exceptions, ControlIds.Sto01).Results);
        Assert.Equal(ControlStatus.Fail, result.Status);
        Assert.True(result.IsExcepted);
        Assert.Equal("web-team@contoso.example", result.Exception!.Owner);
    }

    [Fact]
    public void ExpiredException_StopsApplying_AndIsReported()
    {
        var exceptions = Parse("""
            exceptions:
              - control: STO-01
                resource: "*stsfidata"
                owner: web-team@contoso.example
                reason: Temporary
                expires: 2026-05-31
            """);
        var assessment = TestSupport.Assess(PublicStorage(), null, exceptions, ControlIds.Sto01);
        var result = Assert.Single(assessment.Results);
        Assert.False(result.IsExcepted);
        Assert.NotNull(result.ExpiredException);
        Assert.Single(assessment.ExpiredExceptions);
        var note = Assert.Single(assessment.Notifications, n => n.Id == "baseline/exception-expired");
        Assert.Contains("expired on 2026-05-31", note.Message, StringComparison.Ordinal);
        Assert.Equal(2, note.Region!.StartLine);
    }

    [Fact]
    public void ExceptionOnTheLastDay_StillApplies()
    {
        var exceptions = Parse("[{control: STO-01, resource: '*', owner: o, reason: r, expires: 2026-06-01}]");
        Assert.True(Assert.Single(TestSupport.Assess(PublicStorage(), null, exceptions, ControlIds.Sto01).Results).IsExcepted);
    }

    [Fact]
    public void ExceptionForAnotherResource_DoesNotApply()
    {
        var exceptions = Parse("[{control: STO-01, resource: '*/storageAccounts/other', owner: o, reason: r, expires: 2027-01-01}]");
        Assert.False(Assert.Single(TestSupport.Assess(PublicStorage(), null, exceptions, ControlIds.Sto01).Results).IsExcepted);
    }

    [Fact]
    public void UnknownControlId_IsAnErrorWithLineAndColumn()
    {
        var ex = Assert.Throws<InputException>(() => Parse("""
            exceptions:
              - control: STO-99
                resource: "*"
                owner: o
                reason: r
                expires: 2026-12-31
            """));
        Assert.Equal("exceptions.yaml", ex.FilePath);
        Assert.Equal(2, ex.Line);
        Assert.Equal(14, ex.Column);
        Assert.Contains("unknown control id 'STO-99'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadDate_IsAnErrorWithLineAndColumn()
    {
        var ex = Assert.Throws<InputException>(() => Parse("""
            exceptions:
              - control: STO-01
                resource: "*"
                owner: o
                reason: r
                expires: 31/12/2026
            """));
        Assert.Equal(6, ex.Line);
        Assert.Equal(14, ex.Column);
        Assert.Contains("bad date '31/12/2026'", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("exceptions.yaml:6:14:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingField_IsAnError()
    {
        var ex = Assert.Throws<InputException>(() => Parse("[{control: STO-01, resource: '*', reason: r, expires: 2026-12-31}]"));
        Assert.Contains("no 'owner'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedYaml_IsAnErrorWithLine()
    {
        var ex = Assert.Throws<InputException>(() => Parse("exceptions:\n  - control: [STO-01\n"));
        Assert.NotNull(ex.Line);
    }
}

public sealed class ConfigurationTests
{
    [Fact]
    public void Defaults_ComeFromTheCatalogue()
    {
        Assert.Equal(180, BaselineConfiguration.Default.Threshold("secretLifetimeDays"));
        Assert.Equal(730, BaselineConfiguration.Default.Threshold("logRetentionDays"));
    }

    [Fact]
    public void Threshold_CanBeOverridden_AndChangesTheVerdict()
    {
        var config = BaselineConfiguration.Parse(new StringReader("thresholds:\n  logRetentionDays: 1000\n"), "baseline.yaml");
        var snapshot = TestSupport.Snapshot(Path.Combine(TestSupport.TestData, "LOG-11", "pass.arm.json"));
        Assert.Equal(ControlStatus.Pass, Assert.Single(TestSupport.Assess(snapshot, controls: ControlIds.Log11).Results).Status);
        Assert.Equal(ControlStatus.Fail, Assert.Single(TestSupport.Assess(snapshot, config, controls: ControlIds.Log11).Results).Status);
    }

    [Fact]
    public void UnknownThreshold_IsAnErrorWithLineAndColumn()
    {
        var ex = Assert.Throws<InputException>(() => BaselineConfiguration.Parse(new StringReader("thresholds:\n  secretLifetime: 90\n"), "baseline.yaml"));
        Assert.Equal(2, ex.Line);
        Assert.Equal(3, ex.Column);
        Assert.Contains("unknown threshold 'secretLifetime'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonNumericThreshold_IsAnError()
    {
        var ex = Assert.Throws<InputException>(() => BaselineConfiguration.Parse(new StringReader("thresholds:\n  secretLifetimeDays: soon\n"), "baseline.yaml"));
        Assert.Contains("non-negative number", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class FileErrorTests
{
    [Fact]
    public void MissingConfigurationOrExceptionsFile_IsAnInputError()
    {
        Assert.Throws<Core.InputException>(() => BaselineConfiguration.Load("/nonexistent/sfi/baseline.yaml"));
        Assert.Throws<Core.InputException>(() => BaselineExceptions.Load("/nonexistent/sfi/exceptions.yaml"));
    }

    [Fact]
    public void ComplexYamlKey_IsAnInputError_NotACrash()
    {
        var ex = Assert.Throws<Core.InputException>(() => BaselineExceptions.Parse(new StringReader("exceptions:\n  - ? [a, b]\n    : x\n"), "e.yaml"));
        Assert.Equal(2, ex.Line);
    }
}
