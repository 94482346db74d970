using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Keys.Audit;
using SecureFuture.Keys.Storage;
using SecureFuture.Testing;

namespace SecureFuture.Keys.Tests;

public sealed partial class KeyRingServiceTests
{
    [Fact]
    public async Task A_failing_ring_is_in_the_audit_log_before_readyz_shows_it_unhealthy_and_before_it_shows_it_recovered()
    {
        // An operator who sees a degraded ring in /readyz (UnhealthyRings) must find the audit record of why: the
        // store below notes what UnhealthyRings shows at the moment each ring record is about to be written.
        var factory = await TestStores.CreateAsync(TestStores.Sqlite);
        var clock = new FakeTimeProvider(Start);
        var ring = Ring("ordered");
        using var failing = new FailingCustodian(hsm.Custodian, $"/{ring}/");
        KeyRingService? service = null;
        var shownAsWritten = new List<(string Action, bool ShownUnhealthy)>();
        await using var store = AuditWatchingStore.Wrap(factory(), entry =>
        {
            if (entry.Ring == ring && service is not null)
            {
                shownAsWritten.Add((entry.Action, service.UnhealthyRings.ContainsKey(ring)));
            }
        });
        service = await StartServiceAsync(store, failing, clock);
        await service.CreateRingAsync(new KeyRingRequest { Name = ring, RotationPeriod = "PT1H", PrePublication = "PT10M" }, "admin", false, default);

        failing.Failing = true;
        clock.Advance(TimeSpan.FromMinutes(55));
        await service.TickAsync(default);
        Assert.True(service.UnhealthyRings.ContainsKey(ring));

        failing.Failing = false;
        await service.TickAsync(default);
        Assert.False(service.UnhealthyRings.ContainsKey(ring));

        // Each record was written while /readyz still showed the state before it (was: marked first, recorded after).
        Assert.Contains(("ring.unhealthy", false), shownAsWritten);
        Assert.Contains(("ring.recovered", true), shownAsWritten);
        Assert.DoesNotContain(shownAsWritten, w => w.Action == "ring.unhealthy" && w.ShownUnhealthy);
    }
}

/// <summary>A real store passed through, calling a test's callback just before each audit record is appended.</summary>
#pragma warning disable CA1852 // DispatchProxy derives from this type at run time, so it cannot be sealed
internal class AuditWatchingStore : DispatchProxy
#pragma warning restore CA1852
{
    private IKeyStore _inner = null!;
    private Action<AuditEntry> _beforeAppend = null!;

    public static IKeyStore Wrap(IKeyStore inner, Action<AuditEntry> beforeAppend)
    {
        var store = Create<IKeyStore, AuditWatchingStore>();
        var watcher = (AuditWatchingStore)(object)store;
        watcher._inner = inner;
        watcher._beforeAppend = beforeAppend;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IKeyStore.AppendAuditAsync))
        {
            _beforeAppend((AuditEntry)args![0]!);
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
