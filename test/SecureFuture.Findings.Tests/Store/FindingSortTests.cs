using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;
using static SecureFuture.Findings.Tests.Store.TestStores;

namespace SecureFuture.Findings.Tests.Store;

/// <summary>Sorting is the store's, across every page (not one page re-ordered), and its cursor pages stay stable.</summary>
[Trait("Category", "Integration")]
public sealed class FindingSortTests
{
    private static readonly Project Web = new("web", "team-web", Criticality.High, ["secrets"]);

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task Every_sort_orders_the_whole_listing_across_pages_of_two(string kind)
    {
        var (store, newest) = await SeedAsync(kind);
        await using var _ = store;
        int Age(FindingRecord f) => newest.FindIndex(n => n.Id == f.Id); // 0 is the last stored: the listing key, descending

        var expected = new Dictionary<FindingSort, IEnumerable<FindingRecord>>
        {
            [FindingSort.Newest] = newest,
            [FindingSort.Severity] = newest.OrderByDescending(f => f.Severity).ThenBy(Age),
            [FindingSort.FirstSeen] = newest.OrderBy(f => f.FirstSeen).ThenByDescending(Age),
            [FindingSort.Due] = newest.OrderBy(f => f.DueAt ?? DateTimeOffset.MaxValue).ThenByDescending(Age),
            [FindingSort.State] = newest.OrderBy(f => StateRank(f.State)).ThenByDescending(Age),
        };
        foreach (var (sort, order) in expected)
        {
            var paged = await AllPagesAsync(store, new FindingQuery { Project = "web", Sort = sort, Limit = 2 });
            Assert.Equal(order.Select(f => f.Id), paged.Select(f => f.Id));
        }

        // The other direction is the exact reverse of the default one, ties included, across pages too.
        foreach (var (sort, order) in expected)
        {
            var reverse = sort.DefaultDirection() == SortDirection.Ascending ? SortDirection.Descending : SortDirection.Ascending;
            var paged = await AllPagesAsync(store, new FindingQuery { Project = "web", Sort = sort, Direction = reverse, Limit = 2 });
            Assert.Equal(order.Reverse().Select(f => f.Id), paged.Select(f => f.Id));
            var asked = await AllPagesAsync(store, new FindingQuery { Project = "web", Sort = sort, Direction = sort.DefaultDirection(), Limit = 3 });
            Assert.Equal(order.Select(f => f.Id), asked.Select(f => f.Id));
        }

        // The orders are the whole listing's: the two critical findings, pages apart newest first, lead the first page.
        var first = await store.ListFindingsAsync(new FindingQuery { Project = "web", Sort = FindingSort.Severity, Limit = 2 });
        Assert.All(first.Items, f => Assert.Equal(Severity.Critical, f.Severity));
        Assert.True(newest.FindIndex(f => f.Severity == Severity.Critical && f.FirstSeen == Start) >= 2);

        // Filters still apply with a sort.
        var open = await AllPagesAsync(store, new FindingQuery { Project = "web", State = FindingState.Open, Sort = FindingSort.Due, Limit = 2 });
        Assert.Equal(newest.Count(f => f.State == FindingState.Open), open.Count);
    }

    [Theory]
    [MemberData(nameof(Kinds), MemberType = typeof(TestStores))]
    public async Task A_sorted_cursor_neither_repeats_nor_skips_when_findings_arrive_between_pages_and_is_refused_for_another_sort(string kind)
    {
        var (store, newest) = await SeedAsync(kind);
        await using var _ = store;
        var query = new FindingQuery { Project = "web", Sort = FindingSort.Severity, Limit = 3 };
        var page = await store.ListFindingsAsync(query);
        var seen = page.Items.Select(f => f.Id).ToList();

        // A new critical finding sorts before the cursor: the next pages go on from where the first stopped.
        await store.IngestAsync(Upload("web", Start.AddDays(3)), [.. newest.Where(f => f.State != FindingState.Fixed).Select(f => Result(f.Message["message for ".Length..], f.Severity)), Result("late", Severity.Critical)]);
        while (page.NextCursor is { } cursor)
        {
            page = await store.ListFindingsAsync(query with { Cursor = cursor });
            seen.AddRange(page.Items.Select(f => f.Id));
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(newest.Select(f => f.Id).Order(), seen.Order());

        var severityCursor = (await store.ListFindingsAsync(query)).NextCursor!;
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListFindingsAsync(query with { Sort = FindingSort.Due, Cursor = severityCursor }));
        var newestCursor = (await store.ListFindingsAsync(query with { Sort = FindingSort.Newest })).NextCursor!;
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListFindingsAsync(query with { Cursor = newestCursor }));

        // Nor does a cursor continue the same sort in the other direction (it would skip or repeat findings silently).
        foreach (var sort in Enum.GetValues<FindingSort>())
        {
            var ascending = (await store.ListFindingsAsync(query with { Sort = sort, Direction = SortDirection.Ascending })).NextCursor!;
            var descending = (await store.ListFindingsAsync(query with { Sort = sort, Direction = SortDirection.Descending })).NextCursor!;
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => store.ListFindingsAsync(query with { Sort = sort, Direction = SortDirection.Descending, Cursor = ascending }));
            Assert.StartsWith("cursor: a cursor of another sort or order", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentException>(() => store.ListFindingsAsync(query with { Sort = sort, Direction = SortDirection.Ascending, Cursor = descending }));
            Assert.NotEmpty((await store.ListFindingsAsync(query with { Sort = sort, Direction = SortDirection.Descending, Cursor = descending })).Items);
        }
    }

    /// <summary>
    /// Seven findings of every severity, first seen on two days, in every state: a and c..e first, f and g a day later;
    /// b dismissed, e accepted, d fixed by a later complete analysis. Returns them newest first (the listing key).
    /// </summary>
    private static async Task<(SqlFindingStore Store, List<FindingRecord> Newest)> SeedAsync(string kind)
    {
        var clock = Clock();
        var store = await OpenAsync(kind, clock);
        await store.UpsertProjectAsync(Web);
        Severity[] first = [Severity.Critical, Severity.High, Severity.Low, Severity.Note, Severity.Medium];
        var names = new[] { "a", "b", "c", "d", "e" };
        await store.IngestAsync(Upload("web", Start), [.. names.Select((n, i) => Result(n, first[i]))]);
        var later = names.Select((n, i) => Result(n, first[i])).Append(Result("f", Severity.High)).Append(Result("g", Severity.Critical)).ToList();
        await store.IngestAsync(Upload("web", Start.AddDays(1)), later);
        await store.IngestAsync(Upload("web", Start.AddDays(2)), [.. later.Where(r => r.Identity != "d")]);
        var all = (await store.ListFindingsAsync(new FindingQuery { Project = "web" })).Items;
        Assert.Equal(StateChangeOutcome.Changed, (await store.DismissAsync(Id(all, "b"), DismissReason.FalsePositive, "alice", "fixture")).Outcome);
        Assert.Equal(StateChangeOutcome.Changed, (await store.AcceptAsync(Id(all, "e"), "bob", Start.AddDays(60), "alice", "compensating control")).Outcome);
        var newest = (await store.ListFindingsAsync(new FindingQuery { Project = "web" })).Items.ToList();
        Assert.Equal(7, newest.Count);
        Assert.Equal(4, newest.Select(f => f.State).Distinct().Count()); // open, dismissed, accepted, fixed
        return (store, newest);
    }

    private static string Id(IReadOnlyList<FindingRecord> findings, string name) => findings.Single(f => f.Message == "message for " + name).Id;

    private static int StateRank(FindingState state) => state switch
    {
        FindingState.Open => 0,
        FindingState.Reopened => 1,
        FindingState.Accepted => 2,
        FindingState.Dismissed => 3,
        _ => 4,
    };

    private static async Task<List<FindingRecord>> AllPagesAsync(SqlFindingStore store, FindingQuery query)
    {
        var all = new List<FindingRecord>();
        var page = await store.ListFindingsAsync(query);
        all.AddRange(page.Items);
        while (page.NextCursor is { } cursor)
        {
            page = await store.ListFindingsAsync(query with { Cursor = cursor });
            all.AddRange(page.Items);
        }

        return all;
    }
}
