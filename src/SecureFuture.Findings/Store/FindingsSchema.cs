namespace SecureFuture.Findings.Store;

/// <summary>
/// The findings tables, created at open (<c>IF NOT EXISTS</c>; later columns are added the way the client store does).
/// The history is append-only: triggers refuse any update or delete, and its hash chain detects what a trigger cannot
/// (an edit made by someone able to drop the trigger).
/// </summary>
internal static class FindingsSchema
{
    /// <summary>
    /// The columns of <c>findings</c> written when an analysis first reports a finding, in order (a new finding is open:
    /// the fix and decision columns start null, and are left out so that bulk inserts bind fewer values).
    /// </summary>
    public static readonly BulkTable Findings = new("findings",
    [
        ("id", true), ("project", true), ("ref", true), ("category", true), ("identity", true), ("identity_source", true), ("tool", true), ("rule_id", true),
        ("severity", false), ("message", true), ("path", true), ("start_line", false), ("end_line", false), ("cves", true), ("flow", true), ("content_hash", true),
        ("state", false), ("first_seen", false), ("opened_at", false), ("due_at", false), ("kev", false),
    ]);

    public static readonly BulkTable History = new("findings_history",
    [
        ("project", true), ("seq", false), ("at", false), ("finding_id", true), ("action", true), ("state", false), ("actor", true), ("details", true), ("prev_hash", true), ("hash", true),
    ]);

    /// <summary>The columns a listed finding is read from, in <see cref="SqlFindingStore"/>'s reader order.</summary>
    public const string ListedColumns =
        "f.num, f.id, f.project, f.ref, f.category, f.tool, f.rule_id, f.severity, f.message, f.path, f.start_line, f.end_line, f.identity_source, f.cves, " +
        "f.state, f.first_seen, f.opened_at, f.fixed_at, f.due_at, f.kev, f.dismiss_reason, f.decided_by, f.decision_comment, f.risk_owner, f.accepted_until";

    /// <summary>How many columns <see cref="ListedColumns"/> names; a query's extra columns start at this ordinal.</summary>
    public const int ListedColumnCount = 25;

    public static IEnumerable<string> Statements(SqlDialect dialect)
    {
        yield return "CREATE TABLE IF NOT EXISTS findings_projects (id TEXT PRIMARY KEY, owner TEXT NULL, criticality BIGINT NOT NULL, expected TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)";
        yield return "CREATE TABLE IF NOT EXISTS findings_analyses (id TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES findings_projects(id), ref TEXT NOT NULL, category TEXT NOT NULL, " +
                     "tool TEXT NOT NULL, at BIGINT NOT NULL, complete BIGINT NOT NULL, digest TEXT NOT NULL, results BIGINT NOT NULL, pushed_by TEXT NOT NULL, " +
                     "received_at BIGINT NOT NULL, latest_at BIGINT NOT NULL)";
        yield return "CREATE INDEX IF NOT EXISTS findings_analyses_scope ON findings_analyses (project, ref, category, at)";
        yield return $"CREATE TABLE IF NOT EXISTS findings (num {dialect.SerialKey}, id TEXT NOT NULL UNIQUE, project TEXT NOT NULL REFERENCES findings_projects(id), " +
                     "ref TEXT NOT NULL, category TEXT NOT NULL, identity TEXT NOT NULL, identity_source TEXT NOT NULL, tool TEXT NOT NULL, rule_id TEXT NOT NULL, " +
                     "severity BIGINT NOT NULL, message TEXT NOT NULL, path TEXT NULL, start_line BIGINT NULL, end_line BIGINT NULL, cves TEXT NOT NULL, flow TEXT NULL, " +
                     "content_hash TEXT NOT NULL, state BIGINT NOT NULL, first_seen BIGINT NOT NULL, opened_at BIGINT NOT NULL, fixed_at BIGINT NULL, due_at BIGINT NULL, " +
                     "kev BIGINT NOT NULL, dismiss_reason BIGINT NULL, decided_by TEXT NULL, decision_comment TEXT NULL, risk_owner TEXT NULL, accepted_until BIGINT NULL, " +
                     "CHECK (state BETWEEN 0 AND 4))";
        yield return "CREATE INDEX IF NOT EXISTS findings_scope ON findings (project, ref, category)";
        yield return "CREATE INDEX IF NOT EXISTS findings_project_num ON findings (project, num)";
        yield return "CREATE INDEX IF NOT EXISTS findings_state_num ON findings (state, num)";
        yield return "CREATE INDEX IF NOT EXISTS findings_rule_num ON findings (rule_id, num)";
        yield return "CREATE INDEX IF NOT EXISTS findings_severity_num ON findings (severity, num)";
        yield return "CREATE INDEX IF NOT EXISTS findings_first_seen_num ON findings (first_seen, num)";
        yield return "CREATE TABLE IF NOT EXISTS findings_history (project TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, finding_id TEXT NOT NULL, action TEXT NOT NULL, " +
                     "state BIGINT NOT NULL, actor TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (project, seq))";
        yield return "CREATE INDEX IF NOT EXISTS findings_history_finding ON findings_history (finding_id)";
        if (dialect.IsPostgres)
        {
            yield return """
                CREATE OR REPLACE FUNCTION sfi_findings_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'findings history is append-only'; END $$
                """;
            yield return "DROP TRIGGER IF EXISTS findings_history_append_only ON findings_history";
            yield return "CREATE TRIGGER findings_history_append_only BEFORE UPDATE OR DELETE ON findings_history FOR EACH ROW EXECUTE FUNCTION sfi_findings_history_append_only()";
        }
        else
        {
            yield return "CREATE TRIGGER IF NOT EXISTS findings_history_no_update BEFORE UPDATE ON findings_history BEGIN SELECT RAISE(ABORT, 'findings history is append-only'); END";
            yield return "CREATE TRIGGER IF NOT EXISTS findings_history_no_delete BEFORE DELETE ON findings_history BEGIN SELECT RAISE(ABORT, 'findings history is append-only'); END";
        }
    }
}
