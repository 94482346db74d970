using System.Data.Common;
using System.Globalization;
using System.Text;
using SecureFuture.Core;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Metrics;
using SecureFuture.Findings.Sla;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Findings.Store;

public sealed partial class SqlFindingStore
{
    private const string CursorPrefix = "f1.";
    private const string SortedCursorPrefix = "f2.";

    public async Task<FindingPage> ListFindingsAsync(FindingQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > FindingQuery.MaxLimit)
        {
            throw new ArgumentException($"limit: must be between 1 and {FindingQuery.MaxLimit}", nameof(query));
        }

        var now = _clock.GetUtcNow();
        var where = new List<string>();
        var parameters = new List<(string, object?)> { ("now", now.ToUnixTimeMilliseconds()), ("limit", (long)query.Limit + 1) };
        void Add(string clause, string name, object? value)
        {
            where.Add(clause);
            parameters.Add((name, value));
        }

        var direction = query.Direction ?? query.Sort.DefaultDirection();
        var order = SortOrder.Of(query.Sort, direction);
        if (query.Cursor is { } cursor)
        {
            // Keyset paging: the rows after the last one of the previous page in (sort key, num) order, which no insert,
            // decision or deletion between the pages can shift.
            var (afterKey, afterNum) = ParseCursor(cursor, query.Sort, direction);
            where.Add(order.After);
            parameters.Add(("afterKey", afterKey));
            parameters.Add(("after", afterNum));
        }

        if (query.Project is { } project)
        {
            Add("f.project = @project", "project", project);
        }

        if (query.Ref is { } gitRef)
        {
            Add("f.ref = @ref", "ref", gitRef);
        }

        if (query.Category is { } category)
        {
            Add("f.category = @category", "category", category);
        }

        if (query.RuleId is { } rule)
        {
            Add("f.rule_id = @rule", "rule", rule);
        }

        if (query.Severity is { } severity)
        {
            Add("f.severity = @severity", "severity", (long)severity);
        }

        if (query.MinAge is { } age)
        {
            Add("f.opened_at <= @openedBefore", "openedBefore", (now - age).ToUnixTimeMilliseconds());
        }

        if (query.State is { } state)
        {
            where.Add(state switch
            {
                FindingState.Open => $"(f.state = {(int)FindingState.Open} OR {ExpiredAcceptance})",
                FindingState.Accepted => $"(f.state = {(int)FindingState.Accepted} AND f.accepted_until > @now)",
                _ => "f.state = " + ((int)state).ToString(CultureInfo.InvariantCulture),
            });
        }

        if (query.Overdue is { } overdue)
        {
            where.Add(overdue ? OverduePredicate : $"NOT {OverduePredicate}");
        }

        // In the sort's order, ties broken by the listing key. The page's keys are chosen first and its rows read after:
        // choosing keys alone lets the planner answer from a (column, num) index without touching the table (PostgreSQL:
        // an index-only scan), where a one-step query walks the primary key backwards filtering rows, slow when the
        // matches are old findings.
        var filter = where.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", where);
        var sql = $"SELECT {FindingsSchema.ListedColumns}, {order.Key} FROM findings f WHERE f.num IN (SELECT f.num FROM findings f {filter} ORDER BY {order.OrderBy} LIMIT @limit) ORDER BY {order.OrderBy}";
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql, [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<FindingRecord>();
        (long Key, long Num) last = default;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (items.Count == query.Limit)
            {
                return new FindingPage(items, Cursor(query.Sort, direction, last.Key, last.Num));
            }

            last = (reader.GetInt64(FindingsSchema.ListedColumnCount), reader.GetInt64(0));
            items.Add(ReadFinding(reader, now));
        }

        return new FindingPage(items, null);
    }

    /// <summary>An acceptance past its expiry: it reads as open.</summary>
    private const string ExpiredAcceptance = "(f.state = 4 AND f.accepted_until <= @now)";

    /// <summary>Unresolved (open, reopened, or an expired acceptance) past its due date.</summary>
    private const string OverduePredicate = $"(f.due_at IS NOT NULL AND f.due_at < @now AND (f.state IN (0, 2) OR {ExpiredAcceptance}))";

    /// <summary>
    /// How a <see cref="FindingSort"/> reads in SQL: its key (a never-null integer expression over the row), the full
    /// order, and the keyset predicate for the rows after (<c>@afterKey</c>, <c>@after</c>) in that order.
    /// </summary>
    private sealed record SortOrder(string Key, string OrderBy, string After)
    {
        public static SortOrder Of(FindingSort sort, SortDirection direction)
        {
            var key = sort switch
            {
                FindingSort.Newest => "f.num",
                FindingSort.Severity => "f.severity",
                FindingSort.FirstSeen => "f.first_seen",
                FindingSort.Due => "COALESCE(f.due_at, " + long.MaxValue.ToString(CultureInfo.InvariantCulture) + ")",
                FindingSort.State => $"CASE f.state WHEN {(int)FindingState.Open} THEN 0 WHEN {(int)FindingState.Reopened} THEN 1 WHEN {(int)FindingState.Accepted} THEN 2 WHEN {(int)FindingState.Dismissed} THEN 3 ELSE 4 END",
                _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, null),
            };
            return direction == SortDirection.Descending ? Descending(key) : Ascending(key);
        }

        private static SortOrder Descending(string key) => new(key, $"{key} DESC, f.num DESC", $"({key} < @afterKey OR ({key} = @afterKey AND f.num < @after))");

        private static SortOrder Ascending(string key) => new(key, $"{key} ASC, f.num ASC", $"({key} > @afterKey OR ({key} = @afterKey AND f.num > @after))");
    }

    /// <summary>
    /// The cursor is the sort, its direction and the (sort key, listing key) of the last finding of a page; opaque to
    /// clients, checked when read back. The default newest-first cursor keeps its first form (<c>f1.NUM</c>), and a sort in
    /// its default direction its second (<c>f2.SORT.KEY.NUM</c>), which earlier pages handed out; a sort in the other
    /// direction is <c>f2.SORTr.KEY.NUM</c>.
    /// </summary>
    private static string Cursor(FindingSort sort, SortDirection direction, long key, long num)
        => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(sort == FindingSort.Newest && direction == sort.DefaultDirection()
            ? CursorPrefix + num.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{SortedCursorPrefix}{SortToken(sort, direction)}.{key}.{num}")));

    private static string SortToken(FindingSort sort, SortDirection direction)
        => ((int)sort).ToString(CultureInfo.InvariantCulture) + (direction == sort.DefaultDirection() ? string.Empty : "r");

    private static (long Key, long Num) ParseCursor(string cursor, FindingSort sort, SortDirection direction)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw new ArgumentException("cursor: not a cursor from a previous page", nameof(cursor));
        }

        var defaultNewest = sort == FindingSort.Newest && direction == sort.DefaultDirection();
        if (text.StartsWith(CursorPrefix, StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var newest) && newest > 0)
        {
            return defaultNewest ? (newest, newest) : throw AnotherOrder();
        }

        if (text.StartsWith(SortedCursorPrefix, StringComparison.Ordinal) && text[SortedCursorPrefix.Length..].Split('.') is [var token, var k, var n]
            && long.TryParse(k, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var key)
            && long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var num) && num > 0)
        {
            // A keyset position means nothing in another order: following it would skip or repeat findings silently.
            return !defaultNewest && token == SortToken(sort, direction) ? (key, num) : throw AnotherOrder();
        }

        throw new ArgumentException("cursor: not a cursor from a previous page", nameof(cursor));

        static ArgumentException AnotherOrder() => new("cursor: a cursor of another sort or order (a cursor continues the listing of the page that handed it out)", nameof(cursor));
    }

    private static FindingRecord ReadFinding(DbDataReader r, DateTimeOffset now)
    {
        var stored = (FindingState)r.GetInt64(14);
        var acceptedUntil = Time(r, 24);
        var state = Transitions.Effective(stored, acceptedUntil, now);
        var due = Time(r, 18);
        return new FindingRecord(
            Id: r.GetString(1), Project: r.GetString(2), Ref: r.GetString(3), Category: r.GetString(4), Tool: r.GetString(5), RuleId: r.GetString(6),
            Severity: (Severity)r.GetInt64(7), Message: r.GetString(8), Path: r.IsDBNull(9) ? null : r.GetString(9),
            StartLine: r.IsDBNull(10) ? null : (int)r.GetInt64(10), EndLine: r.IsDBNull(11) ? null : (int)r.GetInt64(11), IdentitySource: r.GetString(12),
            Cves: r.GetString(13).Split(' ', StringSplitOptions.RemoveEmptyEntries), State: state,
            FirstSeen: Time(r, 15)!.Value, OpenedAt: Time(r, 16)!.Value, FixedAt: Time(r, 17), DueAt: due, Kev: r.GetInt64(19) != 0,
            Overdue: state.IsUnresolved() && due is { } d && d < now,
            DismissReason: r.IsDBNull(20) ? null : (DismissReason)r.GetInt64(20), DecidedBy: r.IsDBNull(21) ? null : r.GetString(21),
            DecisionComment: r.IsDBNull(22) ? null : r.GetString(22), RiskOwner: r.IsDBNull(23) ? null : r.GetString(23), AcceptedUntil: acceptedUntil);
    }

    public async Task<FindingDetail?> GetFindingAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var now = _clock.GetUtcNow();
        FindingRecord finding;
        string? flow;
        await using (var command = Command(connection, null, $"SELECT {FindingsSchema.ListedColumns}, f.flow FROM findings f WHERE f.id = @id", ("id", id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            finding = ReadFinding(reader, now);
            flow = reader.IsDBNull(25) ? null : reader.GetString(25);
        }

        var history = await QueryHistoryAsync(connection, "WHERE finding_id = @id ORDER BY seq", cancellationToken, ("id", id));
        return new FindingDetail(finding, flow, history);
    }

    private async Task<FindingRecord?> ReadFindingAsync(DbConnection connection, DbTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {FindingsSchema.ListedColumns} FROM findings f WHERE f.id = @id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadFinding(reader, _clock.GetUtcNow()) : null;
    }

    // ---- decisions ----

    public Task<StateChange> DismissAsync(string id, DismissReason reason, string by, string? comment, CancellationToken cancellationToken = default)
        => DecideAsync(id, by, Transitions.CanDecide, FindingState.Dismissed, Transitions.Actions.Dismissed,
            "dismiss_reason = @reason, decided_by = @by, decision_comment = @comment, risk_owner = NULL, accepted_until = NULL",
            [("reason", (long)reason), ("by", by), ("comment", comment)],
            new Dictionary<string, string> { ["reason"] = reason.ToToken(), ["comment"] = comment ?? string.Empty }, cancellationToken);

    public Task<StateChange> AcceptAsync(string id, string riskOwner, DateTimeOffset until, string by, string? comment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(riskOwner);
        if (until <= _clock.GetUtcNow())
        {
            throw new ArgumentException("until: an acceptance must expire in the future", nameof(until));
        }

        return DecideAsync(id, by, Transitions.CanDecide, FindingState.Accepted, Transitions.Actions.Accepted,
            "dismiss_reason = NULL, decided_by = @by, decision_comment = @comment, risk_owner = @owner, accepted_until = @until",
            [("by", by), ("comment", comment), ("owner", riskOwner), ("until", until.ToUnixTimeMilliseconds())],
            new Dictionary<string, string> { ["owner"] = riskOwner, ["until"] = until.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), ["comment"] = comment ?? string.Empty },
            cancellationToken);
    }

    public Task<StateChange> ReopenAsync(string id, string by, string? comment, CancellationToken cancellationToken = default)
        => DecideAsync(id, by, Transitions.CanReopen, FindingState.Open, Transitions.Actions.ReopenedByUser,
            "dismiss_reason = NULL, decided_by = @by, decision_comment = @comment, risk_owner = NULL, accepted_until = NULL",
            [("by", by), ("comment", comment)],
            new Dictionary<string, string> { ["comment"] = comment ?? string.Empty }, cancellationToken);

    private async Task<StateChange> DecideAsync(string id, string by, Func<FindingState, bool> allowed, FindingState to, string action, string set,
        (string, object?)[] values, Dictionary<string, string> details, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        string? project;
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var command = Command(connection, null, "SELECT project FROM findings WHERE id = @id", ("id", id)))
        {
            project = await command.ExecuteScalarAsync(cancellationToken) as string;
        }

        if (project is null)
        {
            return new StateChange(StateChangeOutcome.NotFound, null);
        }

        return await WriteAsync(project, async (connection, transaction) =>
        {
            var now = _clock.GetUtcNow();
            var chain = await OpenChainAsync(connection, transaction, project, cancellationToken);
            await ExpireAsync(connection, transaction, project, chain, now, cancellationToken);
            await FlushChainAsync(connection, transaction, chain, cancellationToken);
            var current = (await ReadFindingAsync(connection, transaction, id, cancellationToken))!;
            if (!allowed(current.State))
            {
                return new StateChange(StateChangeOutcome.NotAllowed, current);
            }

            await ExecuteAsync(connection, transaction, $"UPDATE findings SET state = @state, {set} WHERE id = @id", cancellationToken,
                [("state", (long)to), ("id", id), .. values]);
            chain.Append(now, id, action, to, by, HistoryRecord.CanonicalDetails(details));
            await FlushChainAsync(connection, transaction, chain, cancellationToken);
            return new StateChange(StateChangeOutcome.Changed, await ReadFindingAsync(connection, transaction, id, cancellationToken));
        }, cancellationToken);
    }

    // ---- deadlines ----

    public async Task ApplySlaAsync(SlaPolicy policy, KevCatalog kev, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(kev);
        _sla = policy;
        _kev = kev;
        foreach (var project in await ListProjectsAsync(cancellationToken))
        {
            await WriteAsync(project.Id, async (connection, transaction) =>
            {
                await RecomputeDeadlinesAsync(connection, transaction, project.Id, cancellationToken);
                return 0;
            }, cancellationToken);
        }
    }

    /// <summary>Recomputes the deadline and KEV flag of the project's findings that are not fixed or dismissed.</summary>
    private async Task RecomputeDeadlinesAsync(DbConnection connection, DbTransaction transaction, string projectId, CancellationToken cancellationToken)
    {
        var project = (await ReadProjectAsync(connection, transaction, projectId, cancellationToken))!;
        var rows = new List<object?[]>();
        await using (var command = Command(connection, transaction,
            "SELECT id, severity, cves, opened_at, due_at, kev FROM findings WHERE project = @project AND state IN (0, 2, 4)", ("project", projectId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var deadline = Deadlines.For((Severity)reader.GetInt64(1), project.Criticality, reader.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries),
                    Time(reader, 3)!.Value, _sla, _kev);
                if (Ms(deadline.DueAt) != (reader.IsDBNull(4) ? null : reader.GetInt64(4)) || deadline.Kev != (reader.GetInt64(5) != 0))
                {
                    rows.Add([reader.GetString(0), Ms(deadline.DueAt), deadline.Kev ? 1L : 0L]);
                }
            }
        }

        await _dialect.ExecuteManyAsync(connection, transaction, "UPDATE findings SET due_at = @p1, kev = @p2 WHERE id = @p0", rows, cancellationToken);
    }

    // ---- history ----

    public async Task<IReadOnlyList<HistoryRecord>> ReadHistoryAsync(string? project, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return project is null
            ? await QueryHistoryAsync(connection, "ORDER BY project, seq", cancellationToken)
            : await QueryHistoryAsync(connection, "WHERE project = @project ORDER BY seq", cancellationToken, ("project", project));
    }

    public async Task<HistoryVerification> VerifyHistoryAsync(CancellationToken cancellationToken = default)
    {
        var records = await ReadHistoryAsync(null, cancellationToken);
        var problems = new List<string>();
        var projects = 0;
        foreach (var chain in records.GroupBy(r => r.Project, StringComparer.Ordinal))
        {
            projects++;
            problems.AddRange(HashChain.Verify(chain, r => new ChainLink(r.Sequence, r.PreviousHash, r.Hash, r.RecomputeHash()), r => $"{r.Action} {r.FindingId} by {r.Actor}")
                .Select(p => $"project {chain.Key}: {p}"));
        }

        return new HistoryVerification(records.Count, projects, problems);
    }

    private static async Task<IReadOnlyList<HistoryRecord>> QueryHistoryAsync(DbConnection connection, string suffix, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, null, "SELECT project, seq, at, finding_id, action, state, actor, details, prev_hash, hash FROM findings_history " + suffix, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<HistoryRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new HistoryRecord(reader.GetString(0), reader.GetInt64(1), Time(reader, 2)!.Value, reader.GetString(3), reader.GetString(4),
                (FindingState)reader.GetInt64(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9)));
        }

        return records;
    }

    // ---- metrics ----

    public async Task<MetricsReport> ComputeMetricsAsync(MetricsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _clock.GetUtcNow();
        await using var connection = await OpenAsync(cancellationToken);
        var facts = new List<FindingFacts>();
        await using (var command = Command(connection, null,
            "SELECT project, category, severity, state, first_seen, opened_at, fixed_at, due_at, accepted_until FROM findings" + (request.Project is null ? string.Empty : " WHERE project = @project"),
            ("project", request.Project)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                facts.Add(new FindingFacts(reader.GetString(0), reader.GetString(1), (Severity)reader.GetInt64(2),
                    Transitions.Effective((FindingState)reader.GetInt64(3), Time(reader, 8), now), Time(reader, 4)!.Value, Time(reader, 5)!.Value, Time(reader, 6), Time(reader, 7)));
            }
        }

        var latest = new Dictionary<(string, string), DateTimeOffset>();
        await using (var command = Command(connection, null, "SELECT project, category, MAX(latest_at) FROM findings_analyses WHERE complete = 1 GROUP BY project, category"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                latest[(reader.GetString(0), reader.GetString(1))] = Time(reader, 2)!.Value;
            }
        }

        var coverage = MetricsCalculator.Coverage(await QueryProjectsAsync(connection, null, string.Empty, cancellationToken), latest, request.CoverageWindow, now);
        return MetricsCalculator.Compute(facts, coverage, now);
    }
}
