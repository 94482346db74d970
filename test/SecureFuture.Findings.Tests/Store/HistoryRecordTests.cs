using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Tests.Store;

public class HistoryRecordTests
{
    [Fact]
    public void The_hash_covers_every_field_in_a_fixed_canonical_form()
    {
        // sha256 of ["<genesis>",1,"web",1700000000000,"f1","opened","open","ci","{\u0022analysis\u0022:\u0022a1\u0022}"],
        // computed independently: a change to the format would break every stored chain, so it is pinned.
        var record = HistoryRecord.Create("web", 1, DateTimeOffset.FromUnixTimeMilliseconds(1700000000000), "f1", Transitions.Actions.Opened, FindingState.Open, "ci",
            new Dictionary<string, string> { ["analysis"] = "a1" }, HashChain.GenesisHash);
        Assert.Equal("6b0b60142eaa29c5808d0e01b7c04f0c1a420b6cb6877b8a184f5bfca61255f2", record.Hash);
        Assert.NotEqual(record.Hash, (record with { State = FindingState.Fixed }).RecomputeHash());
        Assert.NotEqual(record.Hash, (record with { Project = "api" }).RecomputeHash());
    }
}
