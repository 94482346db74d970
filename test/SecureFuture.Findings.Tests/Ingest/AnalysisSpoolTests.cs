using SecureFuture.Core;
using SecureFuture.Findings.Ingest;

namespace SecureFuture.Findings.Tests.Ingest;

/// <summary>The server keeps a push's results on disk by analysis (tool and category) until the log has been read whole.</summary>
public class AnalysisSpoolTests
{
    [Fact]
    public void Results_come_back_by_tool_and_category_in_order_and_whole_and_the_files_are_gone_after()
    {
        IngestedResult[] code =
        [
            new("CodeQL", "code", "cs/sql-injection", Severity.High, "Query built from user input.", "src/a.cs", 3, 5, "id-1", "primaryLocationLineHash", ["CVE-2021-44228"], "{\"threadFlows\":[]}"),
            new("CodeQL", "code", "cs/log-forging", Severity.Low, "é ✓ multi\nline", null, null, null, "id-2", "message", [], null),
        ];
        var secret = new IngestedResult("sfi", "secrets", "SFI-SEC-001", Severity.Critical, "AWS key.", "config.json", 1, 1, "id-3", "sfiContentFingerprint/v1", [], null);
        var otherTool = secret with { Tool = "gitleaks", Identity = "id-4" };
        // The spool's own files, not a count of the temporary folder: other test processes push findings meanwhile.
        IReadOnlyList<string> files;
        using (var spool = new AnalysisSpool())
        {
            spool.Add(code[0]);
            spool.Add(secret);
            spool.Add(otherTool);
            spool.Add(code[1]);

            Assert.Equal([("CodeQL", "code"), ("sfi", "secrets"), ("gitleaks", "secrets")], spool.Analyses);
            Assert.Equal(code, spool.Read("CodeQL", "code").ToArray(), new ResultComparer());
            Assert.Equal([secret], spool.Read("sfi", "secrets").ToArray(), new ResultComparer());
            Assert.Equal([otherTool], spool.Read("gitleaks", "secrets").ToArray(), new ResultComparer());
            Assert.Empty(spool.Read("sfi", "iac"));
            files = spool.FilePaths;
            Assert.Equal(3, files.Count);
            Assert.All(files, f => Assert.True(File.Exists(f), f));
        }

        Assert.All(files, f => Assert.False(File.Exists(f), f));
    }

    /// <summary>Records compare their CVE lists by reference: this compares them by content.</summary>
    private sealed class ResultComparer : IEqualityComparer<IngestedResult>
    {
        public bool Equals(IngestedResult? x, IngestedResult? y)
            => x is not null && y is not null && x with { Cves = [] } == y with { Cves = [] } && x.Cves.SequenceEqual(y.Cves);

        public int GetHashCode(IngestedResult obj) => obj.Identity.GetHashCode(StringComparison.Ordinal);
    }
}
