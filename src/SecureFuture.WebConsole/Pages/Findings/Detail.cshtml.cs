using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using SecureFuture.Findings.Lifecycle;
using SecureFuture.Findings.Store;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>One step of a SARIF code flow as shown: where, and what the analysis said there.</summary>
public sealed record FlowStep(string Location, string Message);

/// <summary>A finding with its code flow and history; dismiss, accept (a sensitive action: step-up) and reopen.</summary>
public sealed class FindingDetailModel : ConsolePage
{
    public static readonly TimeSpan LongestAcceptance = TimeSpan.FromDays(366);

    public FindingDetail Detail { get; private set; } = null!;

    public IReadOnlyList<FlowStep> Flow { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var detail = await Setup.Findings.GetFindingAsync(id, cancellationToken);
        if (detail is null)
        {
            return Problem(404, "no such finding");
        }

        Detail = detail;
        Flow = ReadFlow(detail.FlowJson);
        return Page();
    }

    [Requires(Capability.DecideFindings)]
    public async Task<IActionResult> OnPostDismissAsync(string id, string? reason, string? comment, CancellationToken cancellationToken)
    {
        if (!FindingStateTokens.TryParseReason(reason, out var parsed) || string.IsNullOrWhiteSpace(comment) || comment.Length > 500)
        {
            return Problem(400, "a dismissal needs a known reason and a comment of at most 500 characters");
        }

        return await DecidedAsync(id, "dismissed", await Setup.Findings.DismissAsync(id, parsed, Actor, comment, cancellationToken), cancellationToken);
    }

    [Requires(Capability.DecideFindings, StepUp = true)]
    public async Task<IActionResult> OnPostAcceptAsync(string id, string? owner, DateOnly? until, string? comment, CancellationToken cancellationToken)
    {
        var now = Setup.Clock.GetUtcNow();
        var expiry = until is { } day ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : (DateTimeOffset?)null;
        if (string.IsNullOrWhiteSpace(owner) || owner.Length > 200 || string.IsNullOrWhiteSpace(comment) || comment.Length > 500 || expiry is null || expiry <= now || expiry > now + LongestAcceptance)
        {
            return Problem(400, "an acceptance needs a risk owner, a reason and an expiry date in the coming year");
        }

        return await DecidedAsync(id, "accepted", await Setup.Findings.AcceptAsync(id, owner, expiry.Value, Actor, comment, cancellationToken), cancellationToken);
    }

    [Requires(Capability.DecideFindings)]
    public async Task<IActionResult> OnPostReopenAsync(string id, string? comment, CancellationToken cancellationToken)
        => await DecidedAsync(id, "reopened", await Setup.Findings.ReopenAsync(id, Actor, comment is { Length: > 500 } ? comment[..500] : comment, cancellationToken), cancellationToken);

    private async Task<IActionResult> DecidedAsync(string id, string what, StateChange change, CancellationToken cancellationToken)
    {
        switch (change.Outcome)
        {
            case StateChangeOutcome.NotFound:
                return Problem(404, "no such finding");
            case StateChangeOutcome.NotAllowed:
                return Problem(409, $"the finding's state does not allow this ({change.Finding?.State.ToToken()})");
            default:
                // Like a decision through the API, this one invalidates the hub's cached /metrics report.
                Setup.FindingsChanged?.Invoke();
                // The findings history chain records the decision with its actor; the console audit records who used the console for it.
                await AuditLog.RecordAsync(Actor, "console.finding-" + what, new Dictionary<string, string> { ["finding"] = id }, cancellationToken);
                Flash = $"The finding was {what}.";
                return Redirect("/findings/" + Uri.EscapeDataString(id));
        }
    }

    /// <summary>The steps of the first thread flow of a SARIF <c>codeFlow</c> (SARIF §3.36, §3.37, §3.38).</summary>
    internal static IReadOnlyList<FlowStep> ReadFlow(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var steps = new List<FlowStep>();
            var flow = document.RootElement;
            if (flow.ValueKind != JsonValueKind.Object || !flow.TryGetProperty("threadFlows", out var threads) || threads.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            foreach (var thread in threads.EnumerateArray().Take(1))
            {
                if (thread.ValueKind != JsonValueKind.Object || !thread.TryGetProperty("locations", out var locations) || locations.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (var step in locations.EnumerateArray().Take(200))
                {
                    var location = Member(step, "location");
                    var physical = Member(location, "physicalLocation");
                    var uri = Member(Member(physical, "artifactLocation"), "uri");
                    var line = Member(Member(physical, "region"), "startLine");
                    var message = Member(Member(location, "message"), "text");
                    steps.Add(new FlowStep(
                        (uri?.ValueKind == JsonValueKind.String ? uri.Value.GetString() : "?") + (line?.ValueKind == JsonValueKind.Number ? ":" + line.Value.GetRawText() : string.Empty),
                        message?.ValueKind == JsonValueKind.String ? message.Value.GetString() ?? string.Empty : string.Empty));
                }
            }

            return steps;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static JsonElement? Member(JsonElement? element, string name)
        => element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) ? value : null;
}
