using Microsoft.Extensions.DependencyInjection;
using SecureFuture.Identity.Clients;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>The console's own security events and the token service's (client changes, revocations, refused attempts).</summary>
public sealed class EventsModel : ConsolePage
{
    public const int Shown = 200;

    public IReadOnlyList<ConsoleEvent> Console { get; private set; } = [];

    public IReadOnlyList<SecurityEvent>? Identity { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Console = await HttpContext.RequestServices.GetRequiredService<ConsoleStore>().ListEventsAsync(Shown, cancellationToken);
        if (HttpContext.RequestServices.GetService<ClientService>() is { } clients)
        {
            Identity = await clients.Store.ReadLatestEventsAsync(Shown, cancellationToken);
        }
    }
}
