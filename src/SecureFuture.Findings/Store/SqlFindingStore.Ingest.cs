using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Sla;
using static SecureFuture.Core.Storage.SqlCommands;

namespace SecureFuture.Findings.Store;

public sealed partial class SqlFindingStore
{
    private const string UpdateContent =
        "UPDATE findings SET tool = @p1, rule_id = @p2, severity = @p3, message = @p4, path = @p5, start_line = @p6, end_line = @p7, identity_source = @p8, " +
        "cves = @p9, flow = @p10, content_hash = @p11, due_at = @p12, kev = @p13 WHERE id = @p0";

    private const string Reopen =
        "UPDATE findings SET tool = @p1, rule_id = @p2, severity = @p3, message = @p4, path = @p5, start_line = @p6, end_line = @p7, identity_source = @p8, " +
        "cves = @p9, flow = @p10, content_hash = @p11, due_at = @p12, kev = @p13, state = @p14, opened_at = @p15, fixed_at = NULL, " +
        "dismiss_reason = NULL, decided_by = NULL, decision_comment = NULL, risk_owner = NULL, accepted_until = NULL WHERE id = @p0";

    private const string Fix = "UPDATE findings SET state = @p1, fixed_at = @p2 WHERE id = @p0";

    /// <summary>A finding of the analysed scope as stored: its id (found by its identity), state and content.</summary>
    private sealed record Existing(string Id, FindingState State, string ContentHash, long OpenedAt);

    public async Task<IngestOutcome> IngestAsync(AnalysisUpload upload, IEnumerable<IngestedResult> results, CancellationToken cancellationToken = default)
        => (await IngestAsync([new PushedAnalysis(upload, results)], cancellationToken))[0];

    public async Task<IReadOnlyList<IngestOutcome>> IngestAsync(IReadOnlyList<PushedAnalysis> analyses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(analyses);
        if (analyses.Count == 0)
        {
            throw new ArgumentException("at least one analysis is required", nameof(analyses));
        }

        var scopes = new HashSet<(string, string, string)>();
        foreach (var (upload, results) in analyses)
        {
            ArgumentNullException.ThrowIfNull(upload);
            ArgumentNullException.ThrowIfNull(results);
            ArgumentException.ThrowIfNullOrWhiteSpace(upload.Ref);
            ArgumentException.ThrowIfNullOrWhiteSpace(upload.Category);
            ArgumentException.ThrowIfNullOrWhiteSpace(upload.Tool);
            ArgumentException.ThrowIfNullOrWhiteSpace(upload.PushedBy);
            if (upload.Project != analyses[0].Upload.Project)
            {
                throw new ArgumentException($"one log is of one project: '{upload.Project}' and '{analyses[0].Upload.Project}'", nameof(analyses));
            }

            if (!scopes.Add((upload.Ref, upload.Tool, upload.Category)))
            {
                throw new ArgumentException($"two analyses of ref '{upload.Ref}', tool '{upload.Tool}' and category '{upload.Category}' in one log", nameof(analyses));
            }
        }

        var projectId = analyses[0].Upload.Project;
        return await WriteAsync(projectId, async (connection, transaction) =>
        {
            var project = await ReadProjectAsync(connection, transaction, projectId, cancellationToken) ?? throw new UnknownProjectException(projectId);
            var chain = await OpenChainAsync(connection, transaction, projectId, cancellationToken);
            await ExpireAsync(connection, transaction, projectId, chain, _clock.GetUtcNow(), cancellationToken);
            await FlushChainAsync(connection, transaction, chain, cancellationToken);

            var outcomes = new List<IngestOutcome>(analyses.Count);
            foreach (var (upload, results) in analyses)
            {
                // A duplicate analysis is undone up to here while the log's other analyses are kept.
                const string Savepoint = "sfi_analysis";
                await transaction.SaveAsync(Savepoint, cancellationToken);
                var mark = chain.Mark();
                var outcome = await IngestOneAsync(connection, transaction, project, chain, upload, results, cancellationToken);
                if (outcome.Duplicate)
                {
                    await transaction.RollbackAsync(Savepoint, cancellationToken);
                    chain.Restore(mark);

                    // A repeated scan still proves the project was analysed at its time: coverage counts the latest.
                    await ExecuteAsync(connection, transaction, "UPDATE findings_analyses SET latest_at = @at WHERE id = @id AND latest_at < @at", cancellationToken,
                        ("id", outcome.AnalysisId), ("at", upload.At.ToUnixTimeMilliseconds()));
                }
                else
                {
                    await transaction.ReleaseAsync(Savepoint, cancellationToken);
                }

                outcomes.Add(outcome);
            }

            return (IReadOnlyList<IngestOutcome>)outcomes;
        }, cancellationToken);
    }

    /// <summary>
    /// Applies one analysis to the findings of its project, ref, tool and category, and records it (unless it is a
    /// duplicate of the latest analysis of that scope, which the caller undoes).
    /// </summary>
    private async Task<IngestOutcome> IngestOneAsync(DbConnection connection, DbTransaction transaction, Project project, Chain chain, AnalysisUpload upload,
        IEnumerable<IngestedResult> results, CancellationToken cancellationToken)
    {
        var sla = _sla;
        var kev = _kev;
        var latest = await LatestAnalysisAsync(connection, transaction, upload, cancellationToken);

        // An analysis older than the latest of its scope arrived late: it may open findings, but it cannot fix or reopen
        // any (the newer analysis already decided those).
        var stale = latest is { } l && upload.At.ToUnixTimeMilliseconds() < l.At;
        var existing = await ReadScopeAsync(connection, transaction, upload, cancellationToken);
        var at = upload.At.ToUnixTimeMilliseconds();
        var analysisId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var actor = upload.PushedBy;
        var details = HistoryRecord.CanonicalDetails(new Dictionary<string, string> { ["analysis"] = analysisId, ["ref"] = upload.Ref, ["category"] = upload.Category });
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendDigest(digest, "sfi-analysis/v1", upload.Project, upload.Ref, upload.Category, upload.Tool, upload.Complete ? "complete" : "partial");

        var seen = new HashSet<string>(StringComparer.Ordinal); // identities
        // New findings are written as they are found (PostgreSQL indexes them meanwhile); changes to known findings and the
        // history records wait for the batch's end, when the connection is free of the insert again.
        await using var inserts = _dialect.BeginInsert(connection, transaction, FindingsSchema.Findings);
        var updates = new List<object?[]>();
        var reopens = new List<object?[]>();
        int count = 0, opened = 0, reopened = 0, updated = 0, batch = 0;

        async Task FlushAsync()
        {
            await inserts.CompleteAsync(cancellationToken);
            await _dialect.ExecuteManyAsync(connection, transaction, UpdateContent, updates, cancellationToken);
            await _dialect.ExecuteManyAsync(connection, transaction, Reopen, reopens, cancellationToken);
            await FlushChainAsync(connection, transaction, chain, cancellationToken);
            updates.Clear();
            reopens.Clear();
            batch = 0;
            if (AfterIngestBatch is { } fault)
            {
                await fault(connection, cancellationToken);
            }
        }

        foreach (var result in results)
        {
            count++;
            if (!string.Equals(result.Tool, upload.Tool, StringComparison.Ordinal))
            {
                throw new ArgumentException($"a result of tool '{result.Tool}' in an analysis of tool '{upload.Tool}'", nameof(results));
            }

            var contentHash = ContentHash(result);
            AppendDigest(digest, result.Identity, contentHash);
            if (!seen.Add(result.Identity))
            {
                continue; // the same finding twice in one analysis (two runs of one tool): the first one stands
            }

            var cves = string.Join(' ', result.Cves);
            if (!existing.TryGetValue(result.Identity, out var known))
            {
                var id = FindingId(upload.Project, upload.Ref, upload.Tool, upload.Category, result.Identity);
                var deadline = Deadlines.For(result.Severity, project.Criticality, result.Cves, upload.At, sla, kev);
                await inserts.WriteAsync([id, upload.Project, upload.Ref, upload.Category, result.Identity, result.IdentitySource, result.Tool, result.RuleId,
                    (long)result.Severity, result.Message, result.Path, result.StartLine, result.EndLine, cves, result.FlowJson, contentHash,
                    (long)FindingState.Open, at, at, Ms(deadline.DueAt), deadline.Kev ? 1L : 0L], cancellationToken);
                chain.Append(upload.At, id, Transitions.Actions.Opened, FindingState.Open, actor, details);
                opened++;
                batch++;
            }
            else if (!stale && Transitions.OnReported(known.State) is FindingState next)
            {
                var deadline = Deadlines.For(result.Severity, project.Criticality, result.Cves, upload.At, sla, kev);
                reopens.Add([.. ContentRow(known.Id, result, cves, contentHash, deadline), (long)next, at]);
                chain.Append(upload.At, known.Id, Transitions.Actions.Reopened, next, actor, details);
                reopened++;
            }
            else if (known.ContentHash != contentHash)
            {
                // Moved, reworded or re-rated: the same finding, its deadline still counted from when it was opened.
                var deadline = Deadlines.For(result.Severity, project.Criticality, result.Cves, DateTimeOffset.FromUnixTimeMilliseconds(known.OpenedAt), sla, kev);
                updates.Add(ContentRow(known.Id, result, cves, contentHash, deadline));
                updated++;
            }

            if (batch + updates.Count + reopens.Count >= FlushEvery)
            {
                await FlushAsync();
            }
        }

        await FlushAsync();
        var fixes = new List<object?[]>();
        if (upload.Complete && !stale)
        {
            foreach (var (identity, known) in existing)
            {
                if (!seen.Contains(identity) && Transitions.OnMissingFromCompleteAnalysis(known.State) is FindingState next)
                {
                    fixes.Add([known.Id, (long)next, at]);
                    chain.Append(upload.At, known.Id, Transitions.Actions.Fixed, next, actor, details);
                }
            }
        }

        await _dialect.ExecuteManyAsync(connection, transaction, Fix, fixes, cancellationToken);
        await FlushChainAsync(connection, transaction, chain, cancellationToken);

        var contentDigest = Convert.ToHexStringLower(digest.GetHashAndReset());
        if (latest is { } previous && previous.Digest == contentDigest)
        {
            // The same content as the latest analysis of this scope (a retried or repeated push): the same analysis.
            return new IngestOutcome(previous.Id, Duplicate: true, count, 0, 0, 0, 0);
        }

        await ExecuteAsync(connection, transaction,
            "INSERT INTO findings_analyses (id, project, ref, category, tool, at, complete, digest, results, pushed_by, received_at, latest_at) " +
            "VALUES (@id, @project, @ref, @category, @tool, @at, @complete, @digest, @results, @by, @received, @at)",
            cancellationToken,
            ("id", analysisId), ("project", upload.Project), ("ref", upload.Ref), ("category", upload.Category), ("tool", upload.Tool), ("at", at),
            ("complete", upload.Complete ? 1L : 0L), ("digest", contentDigest), ("results", (long)count), ("by", actor), ("received", _clock.GetUtcNow().ToUnixTimeMilliseconds()));
        return new IngestOutcome(analysisId, Duplicate: false, count, opened, reopened, fixes.Count, updated);
    }

    private static object?[] ContentRow(string id, IngestedResult result, string cves, string contentHash, Deadline deadline)
        => [id, result.Tool, result.RuleId, (long)result.Severity, result.Message, result.Path, result.StartLine, result.EndLine, result.IdentitySource,
            cves, result.FlowJson, contentHash, Ms(deadline.DueAt), deadline.Kev ? 1L : 0L];

    private static async Task<(string Id, long At, string Digest)?> LatestAnalysisAsync(DbConnection connection, DbTransaction transaction, AnalysisUpload upload, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT id, at, digest FROM findings_analyses WHERE project = @project AND ref = @ref AND category = @category AND tool = @tool ORDER BY at DESC, received_at DESC LIMIT 1",
            ("project", upload.Project), ("ref", upload.Ref), ("category", upload.Category), ("tool", upload.Tool));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetInt64(1), reader.GetString(2)) : null;
    }

    /// <summary>The findings of the analysis's scope (project, ref, tool, category), by identity.</summary>
    private static async Task<Dictionary<string, Existing>> ReadScopeAsync(DbConnection connection, DbTransaction transaction, AnalysisUpload upload, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT identity, id, state, content_hash, opened_at FROM findings WHERE project = @project AND ref = @ref AND category = @category AND tool = @tool",
            ("project", upload.Project), ("ref", upload.Ref), ("category", upload.Category), ("tool", upload.Tool));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var existing = new Dictionary<string, Existing>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            existing[reader.GetString(0)] = new Existing(reader.GetString(1), (FindingState)reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4));
        }

        return existing;
    }

    /// <summary>What identifies a result's content (everything but its identity): a change is recorded as an update.</summary>
    private static string ContentHash(IngestedResult r)
    {
        var text = string.Join('\u001f', r.Tool, r.RuleId, r.Severity.ToString(), r.Message, r.Path ?? "\u0000", r.StartLine?.ToString(CultureInfo.InvariantCulture) ?? "",
            r.EndLine?.ToString(CultureInfo.InvariantCulture) ?? "", r.IdentitySource, string.Join(' ', r.Cves), r.FlowJson ?? "\u0000");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
    }

    private static void AppendDigest(IncrementalHash digest, params string[] parts)
    {
        foreach (var part in parts)
        {
            digest.AppendData(Encoding.UTF8.GetBytes(part));
            digest.AppendData([0x1f]);
        }

        digest.AppendData([0x1e]);
    }
}
