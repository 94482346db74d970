namespace SecureFuture.Core.Tests;

public class HashChainTests
{
    private sealed record Entry(long Sequence, string Value, string PreviousHash, string Hash);

    private static List<Entry> Chain(params string[] values)
    {
        var entries = new List<Entry>();
        var previous = HashChain.GenesisHash;
        foreach (var value in values)
        {
            var sequence = entries.Count + 1;
            var hash = HashChain.Link(previous, sequence, json => json.WriteStringValue(value));
            entries.Add(new Entry(sequence, value, previous, hash));
            previous = hash;
        }

        return entries;
    }

    private static IReadOnlyList<string> Verify(IEnumerable<Entry> entries)
        => HashChain.Verify(entries, e => new ChainLink(e.Sequence, e.PreviousHash, e.Hash, HashChain.Link(e.PreviousHash, e.Sequence, json => json.WriteStringValue(e.Value))), e => e.Value);

    [Fact]
    public void Link_is_sha256_over_the_compact_json_array_of_previous_hash_sequence_and_fields()
    {
        // The key audit's format since its first release (sha256 of the JSON text, computed independently in Python):
        // stored audit logs must keep verifying.
        var hash = HashChain.Link(HashChain.GenesisHash, 1, json =>
        {
            json.WriteNumberValue(1700000000000);
            json.WriteStringValue("alice");
            json.WriteStringValue("key.created");
            json.WriteStringValue("default");
            json.WriteStringValue("kid-1");
            json.WriteStringValue("{}");
        });
        Assert.Equal("285df7733c231cbfe7109780df71a50792f9bc2bb4242b2a990ad745fb38621a", hash);
    }

    [Fact]
    public void An_intact_chain_verifies()
        => Assert.Empty(Verify(Chain("a", "b", "c")));

    [Fact]
    public void An_edited_record_is_named()
    {
        var chain = Chain("a", "b", "c");
        chain[1] = chain[1] with { Value = "B" };
        Assert.Equal(["record 2 edited: its hash does not match its contents (B)"], Verify(chain));
    }

    [Fact]
    public void A_removed_record_is_named_even_when_the_rest_is_rehashed_from_the_gap()
    {
        var chain = Chain("a", "b", "c", "d");
        chain.RemoveAt(1);
        Assert.Equal(
            ["record 2 removed (the sequence jumps from 1 to 3)", "record 3 does not follow the record before it (reordered, or a record before it was removed or rewritten)"],
            Verify(chain));
    }

    [Fact]
    public void Reordered_records_are_named()
    {
        var chain = Chain("a", "b", "c");
        (chain[1], chain[2]) = (chain[2], chain[1]);
        Assert.Contains("record 2 out of order (expected 4)", Verify(chain));
    }
}
