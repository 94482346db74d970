using SecureFuture.Findings.Ingest;
using static SecureFuture.Findings.Tests.Ingest.Sarif;

namespace SecureFuture.Findings.Tests.Ingest;

public class IdentityTests
{
    [Fact]
    public void A_result_repeated_in_one_log_is_ingested_once_and_counted()
    {
        var result = Result(extra: Q("'partialFingerprints':{'primaryLocationLineHash':'9f3b2c1d0e4a5b6c:1'}"));
        var log = Read(Log(Tool(), Results(result, result, Result(line: 9, extra: Q("'partialFingerprints':{'primaryLocationLineHash':'1111222233334444:1'}")))));

        Assert.Equal(2, log.Results.Count);
        Assert.Equal(1, log.Run.DuplicateCount);
        Assert.Equal(2, log.Run.ResultCount);
    }

    [Fact]
    public void Equal_snippets_at_different_lines_are_different_findings_and_keep_their_identities_when_moved()
    {
        static List<IngestedResult> At(int first, int second) => Read(Log(Tool(), Results(
            Result(path: "a.cs", line: first, snippet: "MD5.Create()"),
            Result(path: "a.cs", line: second, snippet: "  MD5.Create( )")))).Results;

        var before = At(10, 20);
        var moved = At(13, 31);

        Assert.Equal(2, before.Count);
        Assert.NotEqual(before[0].Identity, before[1].Identity);
        Assert.Equal(before.Select(r => r.Identity), moved.Select(r => r.Identity));
        Assert.All(before, r => Assert.Equal("snippet", r.IdentitySource));
    }

    [Fact]
    public void Results_without_a_location_are_accepted_and_identified_by_rule_and_message()
    {
        var log = Read(Log(Tool(), Results(
            """{"ruleId":"TENANT-01","message":{"text":"Public blob access is enabled."}}""",
            """{"ruleId":"TENANT-01","message":{"text":"Public  blob access is enabled. "}}""",
            """{"ruleId":"TENANT-01","message":{"text":"Shared key access is enabled."}}""")));

        Assert.Equal(2, log.Results.Count);
        Assert.All(log.Results, r => Assert.Null(r.Path));
        Assert.All(log.Results, r => Assert.Null(r.StartLine));
        Assert.All(log.Results, r => Assert.Equal("message", r.IdentitySource));
        Assert.Equal(1, log.Run.DuplicateCount);
    }

    [Fact]
    public void A_logical_location_identifies_a_result_without_a_file()
    {
        var at = Q("'locations':[{'logicalLocations':[{'fullyQualifiedName':'RESOURCE','kind':'resource'}]}]");
        var log = Read(Log(Tool(), Results(
            """{"ruleId":"STO-01","message":{"text":"m"},""" + at.Replace("RESOURCE", "/subscriptions/1/storageAccounts/a", StringComparison.Ordinal) + "}",
            """{"ruleId":"STO-01","message":{"text":"m"},""" + at.Replace("RESOURCE", "/subscriptions/1/storageAccounts/b", StringComparison.Ordinal) + "}")));

        Assert.Equal(2, log.Results.Count);
        Assert.NotEqual(log.Results[0].Identity, log.Results[1].Identity);
        Assert.All(log.Results, r => Assert.Equal("location", r.IdentitySource));
    }

    [Fact]
    public void A_placeholder_fingerprint_shared_by_every_result_is_not_trusted_as_an_identity()
    {
        // Semgrep without a login writes "requires login" as every result's matchBasedId/v1.
        var placeholder = Q("'fingerprints':{'matchBasedId/v1':'requires login'}");
        var log = Read(Log(Tool(), Results(
            Result(path: "a.py", line: 3, snippet: "eval(a)", extra: placeholder),
            Result(path: "a.py", line: 8, snippet: "eval(b)", extra: placeholder))));

        Assert.Equal(2, log.Results.Count);
        Assert.All(log.Results, r => Assert.Equal("snippet", r.IdentitySource));
        Assert.Equal(0, log.Run.DuplicateCount);
    }

    [Fact]
    public void Tool_fingerprints_are_read_in_key_order_whatever_order_the_log_has()
    {
        var ab = Read(Log(Tool(), Results(Result(extra: Q("'partialFingerprints':{'a/v1':'0123456789','b/v1':'abcdefghij'}"))))).Single;
        var ba = Read(Log(Tool(), Results(Result(line: 50, extra: Q("'partialFingerprints':{'b/v1':'abcdefghij','a/v1':'0123456789'}"))))).Single;

        Assert.Equal("partialFingerprints", ab.IdentitySource);
        Assert.Equal(ab.Identity, ba.Identity);
    }

    [Fact]
    public void GitHubs_line_hash_comes_before_the_tools_own_fingerprints()
    {
        var both = Read(Log(Tool(), Results(Result(extra: Q("'fingerprints':{'x/v1':'0123456789'},'partialFingerprints':{'primaryLocationLineHash':'aaaabbbbccccdddd:1'}"))))).Single;
        var fingerprintChanged = Read(Log(Tool(), Results(Result(extra: Q("'fingerprints':{'x/v1':'9999999999'},'partialFingerprints':{'primaryLocationLineHash':'aaaabbbbccccdddd:1'}"))))).Single;

        Assert.Equal(FindingIdentity.LineHashKey, both.IdentitySource);
        Assert.Equal(both.Identity, fingerprintChanged.Identity);
    }

    [Fact]
    public void The_same_line_hash_in_another_file_or_rule_is_another_finding()
    {
        var hash = Q("'partialFingerprints':{'primaryLocationLineHash':'aaaabbbbccccdddd:1'}");
        var log = Read(Log(Tool(), Results(
            Result("R1", "a.cs", extra: hash), Result("R1", "b.cs", extra: hash), Result("R2", "a.cs", extra: hash))));

        Assert.Equal(3, log.Results.Select(r => r.Identity).Distinct().Count());
    }
}
