using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SecureFuture.Identity.Clients;
using SecureFuture.Keys;
using SecureFuture.WebConsole.Auth;
using SecureFuture.WebConsole.People;

namespace SecureFuture.WebConsole.Pages;

/// <summary>OAuth clients with their binding and scopes; disabling or enabling one is a sensitive action (step-up).</summary>
public sealed class ClientsModel : ConsolePage
{
    public IReadOnlyList<OAuthClient>? Clients { get; private set; }

    private ClientService? Service => HttpContext.RequestServices.GetService<ClientService>();

    public async Task OnGetAsync(CancellationToken cancellationToken)
        => Clients = Service is { } service ? await service.ListAsync(cancellationToken) : null;

    [Requires(Capability.ManageClients, StepUp = true)]
    public Task<IActionResult> OnPostDisableAsync(string client, CancellationToken cancellationToken) => SetAsync(client, false, cancellationToken);

    [Requires(Capability.ManageClients, StepUp = true)]
    public Task<IActionResult> OnPostEnableAsync(string client, CancellationToken cancellationToken) => SetAsync(client, true, cancellationToken);

    private async Task<IActionResult> SetAsync(string client, bool enabled, CancellationToken cancellationToken)
    {
        if (Service is not { } service)
        {
            return Problem(404, "the token service is off");
        }

        try
        {
            // The client service records the change as a security event (continuous access evaluation acts on it).
            await service.SetEnabledAsync(client, enabled, Actor, "from the web console", cancellationToken);
        }
        catch (KeyServiceException e) when (e.Kind is KeyErrorKind.NotFound)
        {
            return Problem(404, "no such client");
        }

        await AuditLog.RecordAsync(Actor, enabled ? "console.client-enabled" : "console.client-disabled", new Dictionary<string, string> { ["client"] = client }, cancellationToken);
        Flash = $"Client {client} {(enabled ? "enabled" : "disabled")}.";
        return Redirect("/clients");
    }
}
