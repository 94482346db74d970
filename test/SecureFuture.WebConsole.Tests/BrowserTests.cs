using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SecureFuture.Testing;

namespace SecureFuture.WebConsole.Tests;

/// <summary>
/// Debian's Chromium, driven by Playwright over its own executable (no browser is downloaded), with one browser for the
/// class. Passkeys come from the DevTools protocol's virtual authenticator, so the real WebAuthn code path of the
/// browser and of the console's script runs.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var executable = Environment.GetEnvironmentVariable("SFI_CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(executable), $"{executable} is missing: ./test.sh installs Debian's chromium package");
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}

[Collection(ConsoleGroup.Name)]
[Trait("Category", "Integration")]
public sealed class BrowserTests(HsmFixture hsm, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly HubSarif.Result Injection = new("SFI-CODE-001", "src/Shop/Orders.cs", 42, "aaaa0000bbbb1111:1", Message: "SQL built from <script>alert('sarif')</script><img src=x onerror=alert('img')> input");
    private static readonly HubSarif.Result Secret = new("SFI-SEC-001", "config/app.env", 3, "cccc2222dddd3333:1", Level: "warning");

    [Fact]
    public async Task Owner_enrols_invites_a_reader_decides_and_signs_out_and_the_reader_cannot_act()
    {
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian);
        await server.SeedFindingsAsync("shop", "<b onmouseover=alert('owner')>team shop</b>", Injection, Secret);
        var dialogs = new List<string>();

        // The first owner enrols with the link the server printed, on a browser with a platform passkey.
        await using var ownerContext = await chromium.Browser.NewContextAsync();
        var owner = await NewPageAsync(ownerContext, dialogs);
        await owner.GotoAsync(server.FirstOwnerLink);
        await CheckPageAsync(owner, "enrol");
        await owner.ClickAsync("#enrol");
        await owner.WaitForURLAsync(server.Origin + "/");
        Assert.Contains("first owner (owner)", await owner.InnerTextAsync("header"), StringComparison.Ordinal);
        Assert.Equal("Admin key: on", await owner.InnerTextAsync("#admin-key-state"));

        foreach (var (path, name) in new[] { ("/", "overview"), ("/findings", "findings"), ("/projects", "projects"), ("/keys", "key-rings"), ("/clients", "clients"), ("/events", "events"), ("/people", "people") })
        {
            var response = await owner.GotoAsync(server.Origin + path);
            Assert.Equal(200, response!.Status);
            await CheckPageAsync(owner, name);
            if (name == "key-rings")
            {
                Assert.Contains("intact", await owner.InnerTextAsync("#audit-status"), StringComparison.Ordinal);
            }
        }

        // Markup from a SARIF message and a project's owner is text on the page, not elements.
        await owner.GotoAsync(server.Origin + "/projects");
        Assert.Equal("<b onmouseover=alert('owner')>team shop</b>", await owner.InnerTextAsync("td.project-owner"));
        Assert.Equal(0, await owner.Locator("td.project-owner b").CountAsync());

        // Dismiss a finding from its page.
        await owner.GotoAsync(server.Origin + "/findings?severity=high");
        await owner.ClickAsync("td a");
        Assert.Contains("<script>alert('sarif')</script>", await owner.InnerTextAsync("#finding-message"), StringComparison.Ordinal);
        Assert.Equal(0, await owner.Locator("#finding-message script, #finding-message img").CountAsync());
        await CheckPageAsync(owner, "finding");
        await owner.SelectOptionAsync("#reason", "false-positive");
        await owner.FillAsync("#dismiss-comment", "the query is parameterised two lines below");
        await owner.ClickAsync("#dismiss");
        await owner.WaitForSelectorAsync("text=The finding was dismissed.");
        Assert.StartsWith("dismissed", await owner.InnerTextAsync("#finding-state"), StringComparison.Ordinal);
        await CheckPageAsync(owner, "finding-dismissed");

        // A page on another site posts the reopen form at the console: refused, nothing changes.
        var findingId = owner.Url.Split('/').Last();
        await owner.RouteAsync("http://attacker.example/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"<html><body><form id=f method=post action='{server.Origin}/findings/{findingId}?handler=Reopen'><input name=comment value=pwned></form><script>document.getElementById('f').submit()</script></body></html>",
        }));
        var crossSite = owner.WaitForResponseAsync(r => r.Url.Contains("handler=Reopen", StringComparison.Ordinal));
        await owner.GotoAsync("http://attacker.example/");
        Assert.Equal(400, (await crossSite).Status);
        Assert.Contains(await server.FindingsAsync("shop"), f => (string)f!["state"]! == "dismissed");

        // Invite a reader.
        await owner.GotoAsync(server.Origin + "/people");
        await owner.FillAsync("#name", "Rita Reader");
        await owner.SelectOptionAsync("#role", "reader");
        await owner.ClickAsync("#invite");
        var link = await owner.InnerTextAsync("#invite-link");
        await CheckPageAsync(owner, "people-invited");

        // Sign out; the cookie the browser had opens nothing afterwards.
        var cookies = await ownerContext.CookiesAsync();
        Assert.Contains(cookies, c => c.Name == "__Host-sfi-session" && c.Secure && c.HttpOnly && c.SameSite == SameSiteAttribute.Strict);
        await owner.ClickAsync("text=Sign out");
        await owner.WaitForURLAsync(server.Origin + "/signin");
        await CheckPageAsync(owner, "signin");
        await using (var replay = await chromium.Browser.NewContextAsync())
        {
            await replay.AddCookiesAsync(cookies.Select(c => new Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Secure = c.Secure, HttpOnly = c.HttpOnly, SameSite = c.SameSite }));
            var page = await replay.NewPageAsync();
            await page.GotoAsync(server.Origin + "/findings");
            Assert.StartsWith(server.Origin + "/signin", page.Url, StringComparison.Ordinal);
        }

        // The owner signs in again with the same passkey.
        await owner.ClickAsync("#signin");
        await owner.WaitForURLAsync(server.Origin + "/");

        // The reader enrols on another browser, sees the pages, and is offered no owner action.
        await using var readerContext = await chromium.Browser.NewContextAsync();
        var reader = await NewPageAsync(readerContext, dialogs);
        await reader.GotoAsync(link);
        await reader.ClickAsync("#enrol");
        await reader.WaitForURLAsync(server.Origin + "/");
        Assert.Contains("Rita Reader (reader)", await reader.InnerTextAsync("header"), StringComparison.Ordinal);
        await reader.GotoAsync(server.Origin + "/findings/" + findingId);
        Assert.Equal(0, await reader.Locator("#dismiss, #reopen, #accept").CountAsync());
        await reader.GotoAsync(server.Origin + "/people");
        Assert.Equal(0, await reader.Locator("#invite").CountAsync());
        await CheckPageAsync(reader, "people-as-reader");
        await reader.GotoAsync(server.Origin + "/keys");
        Assert.Equal(0, await reader.Locator("text=Rotate now").CountAsync());

        // The link worked once.
        await using var thirdContext = await chromium.Browser.NewContextAsync();
        var third = await thirdContext.NewPageAsync();
        var used = await third.GotoAsync(link);
        Assert.Equal(410, used!.Status);
        Assert.Contains("already used", await third.InnerTextAsync("#refusal"), StringComparison.Ordinal);
        await CheckPageAsync(third, "enrol-used");

        Assert.Empty(dialogs); // no script from a finding, a project or an attacker page ever ran in the console
    }

    private static async Task<IPage> NewPageAsync(IBrowserContext context, List<string> dialogs)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        page.Dialog += (_, dialog) =>
        {
            if (dialog.Page?.Url.StartsWith("http://localhost:", StringComparison.Ordinal) == true)
            {
                dialogs.Add(dialog.Message);
            }

            _ = dialog.DismissAsync();
        };
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return page;
    }

    /// <summary>Writes the page's screenshot under artifacts/console/ and fails on any serious or critical axe-core violation.</summary>
    private static async Task CheckPageAsync(IPage page, string name)
    {
        var root = RepositoryRoot();
        var directory = Path.Combine(root, "artifacts", "console");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });

        var axe = Environment.GetEnvironmentVariable("SFI_AXE_SCRIPT") ?? Path.Combine(root, "tools", "axe", "node_modules", "axe-core", "axe.min.js");
        Assert.True(File.Exists(axe), $"{axe} is missing: run 'npm ci' in tools/axe (./test.sh does)");
        // Evaluated through the DevTools protocol: the page's Content-Security-Policy (no inline script) stays as it is.
        await page.EvaluateAsync(await File.ReadAllTextAsync(axe));
        var violations = await page.EvaluateAsync<string>(
            "async () => JSON.stringify((await axe.run(document, { resultTypes: ['violations'] })).violations" +
            ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) })))");
        var found = JsonNode.Parse(violations)!.AsArray();
        Assert.True(found.Count == 0, $"{name}: {found.ToJsonString(new JsonSerializerOptions { WriteIndented = true })}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SecureFuture.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (SecureFuture.slnx) is not above " + AppContext.BaseDirectory);
    }
}
