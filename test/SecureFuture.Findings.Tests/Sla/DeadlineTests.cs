using SecureFuture.Core;
using SecureFuture.Findings.Sla;
using SecureFuture.Findings.Store;

namespace SecureFuture.Findings.Tests.Sla;

public class DeadlineTests
{
    private static readonly DateTimeOffset Opened = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static KevCatalog Kev(string json) => KevCatalog.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "kev.json");

    [Theory]
    [InlineData(Severity.Critical, 7)]
    [InlineData(Severity.High, 30)]
    [InlineData(Severity.Medium, 90)]
    [InlineData(Severity.Low, 180)]
    public void Default_windows_run_from_when_the_finding_was_opened(Severity severity, int days)
        => Assert.Equal(new Deadline(Opened.AddDays(days), false), Deadlines.For(severity, Criticality.Medium, [], Opened, SlaPolicy.Default, KevCatalog.Empty));

    [Fact]
    public void A_note_has_no_deadline_unless_its_cve_is_known_exploited()
    {
        var kev = Kev("""{"vulnerabilities":[{"cveID":"CVE-2024-3400"}]}""");
        Assert.Equal(new Deadline(null, false), Deadlines.For(Severity.Note, Criticality.High, ["CVE-2024-0001"], Opened, SlaPolicy.Default, kev));
        Assert.Equal(new Deadline(Opened.AddDays(7), true), Deadlines.For(Severity.Note, Criticality.High, ["CVE-2024-3400"], Opened, SlaPolicy.Default, kev));
    }

    [Fact]
    public void Kev_takes_the_earliest_of_the_window_the_kev_window_and_a_future_cisa_due_date()
    {
        var kev = Kev("""{"catalogVersion":"x","vulnerabilities":[{"cveID":"CVE-2026-0001","dueDate":"2026-03-04"},{"cveID":"cve-2019-0708","dueDate":"2022-05-03"}]}""");
        var policy = SlaPolicy.Default with { KevWindow = TimeSpan.FromDays(5) };
        Assert.Equal(new Deadline(new DateTimeOffset(2026, 3, 5, 0, 0, 0, TimeSpan.Zero), true), Deadlines.For(Severity.Low, Criticality.Low, ["CVE-2026-0001"], Opened, policy, kev));
        // CISA's date had passed before the hub saw the finding: the KEV window (and CVE ids match case-insensitively).
        Assert.Equal(new Deadline(Opened.AddDays(5), true), Deadlines.For(Severity.High, Criticality.Low, ["CVE-2019-0708"], Opened, policy, kev));
        // A critical's own window is shorter than a long KEV window: it stands.
        Assert.Equal(new Deadline(Opened.AddDays(7), true), Deadlines.For(Severity.Critical, Criticality.Low, ["CVE-2019-0708"], Opened, policy with { KevWindow = TimeSpan.FromDays(10) }, kev));
    }

    [Fact]
    public void A_criticality_override_replaces_the_severity_window()
    {
        var policy = SlaPolicy.Default with { Overrides = new Dictionary<(Criticality, Severity), TimeSpan> { [(Criticality.Critical, Severity.Medium)] = TimeSpan.FromDays(30) } };
        Assert.Equal(Opened.AddDays(30), Deadlines.For(Severity.Medium, Criticality.Critical, [], Opened, policy, KevCatalog.Empty).DueAt);
        Assert.Equal(Opened.AddDays(90), Deadlines.For(Severity.Medium, Criticality.High, [], Opened, policy, KevCatalog.Empty).DueAt);
    }

    [Theory]
    [InlineData("""{"vulnerabilities":[{"cveID":"CVE-1"},""", "kev.json:1:")]
    [InlineData("""[]""", "expected an object with a \"vulnerabilities\" array")]
    [InlineData("""{"vulnerabilities":[{"cveID":"GHSA-xxxx"}]}""", "$.vulnerabilities[0].cveID: expected a CVE id")]
    [InlineData("""{"vulnerabilities":[{"cveID":"CVE-2020-1","dueDate":"05/03/2022"}]}""", "$.vulnerabilities[0].dueDate: '05/03/2022' is not a YYYY-MM-DD date")]
    [InlineData("""{"vulnerabilities":[],"vulnerabilities":[]}""", "kev.json: not a KEV catalogue: Duplicate")]
    public void A_malformed_catalogue_is_an_input_error_that_says_where(string json, string expected)
    {
        var error = Assert.Throws<InputException>(() => Kev(json));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
