using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SecureFuture.Keys;
using SecureFuture.Keys.Audit;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>One key on a timeline: when it signs and until when its signatures verify.</summary>
public sealed record TimelineRow(int Version, DateTimeOffset SignFrom, DateTimeOffset SignUntil, DateTimeOffset VerifyUntil);

/// <summary>A ring's rotation timeline as server-rendered SVG, scaled between its earliest shown key and its latest end.</summary>
public sealed record Timeline(string Id, string Ring, IReadOnlyList<TimelineRow> Rows, DateTimeOffset Now)
{
    public const int Width = 480;
    public const int RowHeight = 18;
    private const int Left = 40;

    public int Height => Math.Max(1, Rows.Count) * RowHeight + 16;

    private DateTimeOffset Start => Rows.Count == 0 ? Now : Rows.Min(r => r.SignFrom);

    private DateTimeOffset End => Rows.Count == 0 ? Now.AddDays(1) : new[] { Rows.Max(r => r.VerifyUntil), Now }.Max();

    public string X(DateTimeOffset at)
    {
        var total = Math.Max(1, (End - Start).TotalSeconds);
        return (Left + Math.Clamp((at - Start).TotalSeconds / total, 0, 1) * (Width - Left)).ToString("0.#", CultureInfo.InvariantCulture);
    }

    public string Span(DateTimeOffset from, DateTimeOffset until)
        => Math.Max(0, double.Parse(X(until), CultureInfo.InvariantCulture) - double.Parse(X(from), CultureInfo.InvariantCulture)).ToString("0.#", CultureInfo.InvariantCulture);

    public string Description => string.Join("; ", Rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"version {r.Version} signs {r.SignFrom:yyyy-MM-dd HH:mm} to {r.SignUntil:yyyy-MM-dd HH:mm}, verifies until {r.VerifyUntil:yyyy-MM-dd HH:mm}")));
}

/// <summary>Key rings: each key's state, the rotation timeline, the audit chain's status; emergency rotation (step-up).</summary>
public sealed class KeysModel : ConsolePage
{
    public IReadOnlyList<(KeyRing Ring, IReadOnlyList<KeyVersion> Versions)> Rings { get; private set; } = [];

    public AuditVerification Audit { get; private set; } = null!;

    public IReadOnlyDictionary<string, string> Unhealthy { get; private set; } = new Dictionary<string, string>();

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var keys = Setup.Keys;
        var rings = new List<(KeyRing, IReadOnlyList<KeyVersion>)>();
        foreach (var ring in await keys.ListRingsAsync(cancellationToken))
        {
            rings.Add(await keys.GetRingAsync(ring.Name, cancellationToken));
        }

        Rings = rings;
        Audit = await keys.VerifyAuditAsync(cancellationToken);
        Unhealthy = keys.UnhealthyRings;
    }

    public Timeline Timeline(string ring, IReadOnlyList<KeyVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var now = Setup.Clock.GetUtcNow();
        var rows = versions.Where(v => v.State != KeyState.Destroyed).OrderBy(v => v.Version).TakeLast(6).Select(v =>
        {
            var from = v.ActivatedAt ?? v.ActivateAt;
            var until = v.DeactivatedAt ?? v.ExpiresAt ?? from;
            return new TimelineRow(v.Version, from, until, v.VerifyUntil ?? until);
        }).ToList();
        return new Timeline("timeline-" + ring, ring, rows, now);
    }

    [Requires(Capability.OperateKeys, StepUp = true)]
    public async Task<IActionResult> OnPostRotateAsync(string ring, string? reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 200)
        {
            return Problem(400, "an emergency rotation needs a reason of at most 200 characters");
        }

        try
        {
            var key = await Setup.Keys.RotateAsync(ring, Actor, reason, retireImmediately: false, cancellationToken);
            Flash = $"Ring {ring} rotated: {key.Kid} signs from now on.";
        }
        catch (KeyServiceException e) when (e.Kind is KeyErrorKind.NotFound)
        {
            return Problem(404, "no such key ring");
        }

        return Redirect("/keys");
    }
}
