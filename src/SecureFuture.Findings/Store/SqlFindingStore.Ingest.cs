using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Sla;

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

    private sealed record Existing(FindingState State, string ContentHash, long OpenedAt);

    public async Task<IngestOutcome> IngestAsync(AnalysisUpload upload, IEnumerable<IngestedResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentException.ThrowIfNullOrWhiteSpace(upload.Ref);
        ArgumentException.ThrowIfNullOrWhiteSpace(upload.Category);
        ArgumentException.ThrowIfNullOrWhiteSpace(upload.Tool);
        ArgumentException.ThrowIfNullOrWhiteSpace(upload.PushedBy);
        var sla = _sla;
        var kev = _kev;
        var outcome = await WriteAsync(upload.Project, async (connection, transaction) =>
        {
            var project = await ReadProjectAsync(connection, transaction, upload.Project, cancellationToken) ?? throw new UnknownProjectException(upload.Project);
            var chain = await OpenChainAsync(connection, transaction, upload.Project, cancellationToken);
            await ExpireAsync(connection, transaction, upload.Project, chain, _clock.GetUtcNow(), cancellationToken);
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

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var inserts = new List<object?[]>();
            var updates = new List<object?[]>();
            var reopens = new List<object?[]>();
            int count = 0, opened = 0, reopened = 0, updated = 0;

            async Task FlushAsync()
            {
                await _dialect.InsertAsync(connection, transaction, FindingsSchema.Findings, inserts, cancellationToken);
                await _dialect.ExecuteManyAsync(connection, transaction, UpdateContent, updates, cancellationToken);
                await _dialect.ExecuteManyAsync(connection, transaction, Reopen, reopens, cancellationToken);
                await FlushChainAsync(connection, transaction, chain, cancellationToken);
                inserts.Clear();
                updates.Clear();
                reopens.Clear();
                if (AfterIngestBatch is { } fault)
                {
                    await fault(connection, cancellationToken);
                }
            }

            foreach (var result in results)
            {
                count++;
                var id = FindingId(upload.Project, upload.Ref, upload.Category, result.Identity);
                var contentHash = ContentHash(result);
                AppendDigest(digest, result.Identity, contentHash);
                if (!seen.Add(id))
                {
                    continue; // the same finding twice in one analysis (two runs of one tool): the first one stands
                }

                var cves = string.Join(' ', result.Cves);
                if (!existing.TryGetValue(id, out var known))
                {
                    var deadline = Deadlines.For(result.Severity, project.Criticality, result.Cves, upload.At, sla, kev);
                    inserts.Add([id, upload.Project, upload.Ref, upload.Category, result.Identity, result.IdentitySource, result.Tool, result.RuleId,
                        (long)result.Severity, result.Message, result.Path, result.StartLine, result.EndLine, cves, result.FlowJson, contentHash,
                        (long)FindingState.Open, at, at, Ms(deadline.DueAt), deadline.Kev ? 1L : 0L]);
                    chain.Append(upload.At, id, Transitions.Actions.Opened, FindingState.Open, actor, details);
                    opened++;
                }
                else if (!stale && Transitions.OnReported(known.State) is FindingState next)
                {
                    var deadline = Deadlines.For(result.Severity, project.Criticality, result.Cves, upload.At, sla, kev);
                    reopens.Add([.. ContentRow(id, result, cves, contentHash, deadline), (long)next, at]);
                    chain.Append(upload.At, id, Transitions.Actions.Reopened, next, actor, details);
                    reopened++;
                }
                else if (known.ContentHash != contentHash)
                {
                    // Moved, reworded or re-rated: the same finding, its deadline still counted from when it was opened.
                    var deadline = Deadlines.For(result.Severity, project.Criticality, result.Cves, DateTimeOffset.FromUnixTimeMilliseconds(known.OpenedAt), sla, kev);
                    updates.Add(ContentRow(id, result, cves, contentHash, deadline));
                    updated++;
                }

                if (inserts.Count + updates.Count + reopens.Count >= FlushEvery)
                {
                    await FlushAsync();
                }
            }

            var fixes = new List<object?[]>();
            if (upload.Complete && !stale)
            {
                foreach (var (id, known) in existing)
                {
                    if (!seen.Contains(id) && Transitions.OnMissingFromCompleteAnalysis(known.State) is FindingState next)
                    {
                        fixes.Add([id, (long)next, at]);
                        chain.Append(upload.At, id, Transitions.Actions.Fixed, next, actor, details);
                    }
                }
            }

            await _dialect.ExecuteManyAsync(connection, transaction, Fix, fixes, cancellationToken);
            await FlushAsync();

            var contentDigest = Convert.ToHexStringLower(digest.GetHashAndReset());
            if (latest is { } previous && previous.Digest == contentDigest)
            {
                // The same content as the latest analysis of this scope (a retried or repeated push): the same analysis.
                return (new IngestOutcome(previous.Id, Duplicate: true, count, 0, 0, 0, 0), false);
            }

            await ExecuteAsync(connection, transaction,
                "INSERT INTO findings_analyses (id, project, ref, category, tool, at, complete, digest, results, pushed_by, received_at, latest_at) " +
                "VALUES (@id, @project, @ref, @category, @tool, @at, @complete, @digest, @results, @by, @received, @at)",
                cancellationToken,
                ("id", analysisId), ("project", upload.Project), ("ref", upload.Ref), ("category", upload.Category), ("tool", upload.Tool), ("at", at),
                ("complete", upload.Complete ? 1L : 0L), ("digest", contentDigest), ("results", (long)count), ("by", actor), ("received", _clock.GetUtcNow().ToUnixTimeMilliseconds()));
            return (new IngestOutcome(analysisId, Duplicate: false, count, opened, reopened, fixes.Count, updated), true);
        }, cancellationToken);

        if (outcome.Duplicate)
        {
            // A repeated scan still proves the project was analysed at its time: coverage counts the latest.
            await WriteAsync(upload.Project, (connection, transaction) => ExecuteAsync(connection, transaction,
                "UPDATE findings_analyses SET latest_at = @at WHERE id = @id AND latest_at < @at", cancellationToken,
                ("id", outcome.AnalysisId), ("at", upload.At.ToUnixTimeMilliseconds())), cancellationToken);
        }

        return outcome;
    }

    private static object?[] ContentRow(string id, IngestedResult result, string cves, string contentHash, Deadline deadline)
        => [id, result.Tool, result.RuleId, (long)result.Severity, result.Message, result.Path, result.StartLine, result.EndLine, result.IdentitySource,
            cves, result.FlowJson, contentHash, Ms(deadline.DueAt), deadline.Kev ? 1L : 0L];

    private static async Task<(string Id, long At, string Digest)?> LatestAnalysisAsync(DbConnection connection, DbTransaction transaction, AnalysisUpload upload, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT id, at, digest FROM findings_analyses WHERE project = @project AND ref = @ref AND category = @category ORDER BY at DESC, received_at DESC LIMIT 1",
            ("project", upload.Project), ("ref", upload.Ref), ("category", upload.Category));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetInt64(1), reader.GetString(2)) : null;
    }

    private static async Task<Dictionary<string, Existing>> ReadScopeAsync(DbConnection connection, DbTransaction transaction, AnalysisUpload upload, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT id, state, content_hash, opened_at FROM findings WHERE project = @project AND ref = @ref AND category = @category",
            ("project", upload.Project), ("ref", upload.Ref), ("category", upload.Category));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var existing = new Dictionary<string, Existing>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            existing[reader.GetString(0)] = new Existing((FindingState)reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3));
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
