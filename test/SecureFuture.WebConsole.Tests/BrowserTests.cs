using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
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

    /// <summary>How long a page action, or a wait for a page, may take (ms); assertions have their own, shorter default.</summary>
    private const float PageTimeout = 15_000;

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
        await ArrivedAsync(owner, server.Origin + "/");
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
        await ArrivedAsync(owner, server.Origin + "/signin");
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
        await ArrivedAsync(owner, server.Origin + "/");

        // The reader enrols on another browser, sees the pages, and is offered no owner action.
        await using var readerContext = await chromium.Browser.NewContextAsync();
        var reader = await NewPageAsync(readerContext, dialogs);
        await reader.GotoAsync(link);
        await reader.ClickAsync("#enrol");
        await ArrivedAsync(reader, server.Origin + "/");
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

    [Fact]
    public async Task Totp_is_an_owner_opt_in_besides_a_passkey_shown_as_weaker_single_use_and_refused_once_turned_off()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ConsoleTestServer.StartAsync(hsm.Custodian, clock);
        var dialogs = new List<string>();
        await using var ownerContext = await chromium.Browser.NewContextAsync();
        var owner = await NewPageAsync(ownerContext, dialogs);
        await owner.GotoAsync(server.FirstOwnerLink);
        await owner.ClickAsync("#enrol");
        await ArrivedAsync(owner, server.Origin + "/");

        // Off by default: no TOTP form at sign-in, nothing to add.
        await owner.GotoAsync(server.Origin + "/account");
        Assert.Equal(0, await owner.Locator("#add-totp").CountAsync());
        await owner.GotoAsync(server.Origin + "/people");
        Assert.Contains("TOTP is off", await owner.InnerTextAsync("#totp-setting"), StringComparison.Ordinal);

        // The owner turns it on (fresh passkey verification: the enrolment a moment ago).
        await owner.ClickAsync("#toggle-totp");
        await owner.WaitForSelectorAsync("text=TOTP sign-in is on");
        await CheckPageAsync(owner, "people-totp-on");

        // The owner adds an authenticator besides the passkey: the secret is shown once, confirmed with a code.
        await owner.GotoAsync(server.Origin + "/account");
        await owner.ClickAsync("#add-totp");
        var secret = await owner.InnerTextAsync("#totp-secret");
        await CheckPageAsync(owner, "account-totp-secret");
        var authenticator = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(secret));
        await owner.FillAsync("#confirm-code", authenticator.ComputeTotp(clock.GetUtcNow().UtcDateTime));
        await owner.ClickAsync("#confirm-totp");
        await owner.WaitForSelectorAsync("text=Your TOTP authenticator was added");
        Assert.Equal(0, await owner.Locator("#totp-secret").CountAsync());
        Assert.DoesNotContain(secret, await owner.ContentAsync(), StringComparison.Ordinal);
        await owner.GotoAsync(server.Origin + "/people");
        Assert.Equal("1 passkey, TOTP (weaker)", (await owner.InnerTextAsync("td.factors")).Trim());
        Assert.DoesNotContain(secret, await owner.ContentAsync(), StringComparison.Ordinal);
        await owner.ClickAsync("text=Sign out");
        await ArrivedAsync(owner, server.Origin + "/signin");

        // Another browser, no passkey: signs in with name and code, labelled weaker.
        clock.Advance(TimeSpan.FromSeconds(30));
        var code = authenticator.ComputeTotp(clock.GetUtcNow().UtcDateTime);
        await using var phoneContext = await chromium.Browser.NewContextAsync();
        var phone = await phoneContext.NewPageAsync();
        phone.SetDefaultTimeout(PageTimeout);
        await phone.GotoAsync(server.Origin + "/signin");
        Assert.Contains("weaker", await phone.InnerTextAsync("#totp-heading"), StringComparison.Ordinal);
        await CheckPageAsync(phone, "signin-with-totp");
        await phone.FillAsync("#totp-name", "first owner");
        await phone.FillAsync("#totp-code", code);
        await phone.ClickAsync("#totp-signin");
        await ArrivedAsync(phone, server.Origin + "/");
        Assert.Equal("signed in with TOTP (weaker)", await phone.InnerTextAsync("#signed-in-factor"));
        await CheckPageAsync(phone, "overview-signed-in-with-totp");

        // A TOTP sign-in is never a step-up: the owner's sensitive action asks for the passkey, and offers no code form.
        await phone.GotoAsync(server.Origin + "/people");
        await phone.ClickAsync("#toggle-totp");
        await ArrivedAsync(phone, new System.Text.RegularExpressions.Regex("/signin\\?stepup=1"));
        Assert.Equal("Confirm it is you", await phone.InnerTextAsync("h1"));
        Assert.Equal(0, await phone.Locator("#totp-signin").CountAsync());
        await phone.GotoAsync(server.Origin + "/people");
        Assert.Contains("TOTP is on", await phone.InnerTextAsync("#totp-setting"), StringComparison.Ordinal);

        // The same code again, after signing out: refused.
        await phone.ClickAsync("text=Sign out");
        await ArrivedAsync(phone, server.Origin + "/signin");
        await phone.FillAsync("#totp-name", "first owner");
        await phone.FillAsync("#totp-code", code);
        var replay = phone.WaitForResponseAsync(r => r.Url.Contains("handler=Totp", StringComparison.Ordinal));
        await phone.ClickAsync("#totp-signin");
        Assert.Equal(401, (await replay).Status);
        Assert.Contains("works once", await phone.InnerTextAsync("#signin-refusal"), StringComparison.Ordinal);

        // The owner, with the passkey, turns TOTP off: a new, valid code is refused, and no form is offered.
        await owner.ClickAsync("#signin");
        await ArrivedAsync(owner, server.Origin + "/");
        await owner.GotoAsync(server.Origin + "/people");
        await owner.ClickAsync("#toggle-totp");
        await owner.WaitForSelectorAsync("text=TOTP sign-in is off");
        clock.Advance(TimeSpan.FromSeconds(30));
        await phone.GotoAsync(server.Origin + "/signin");
        Assert.Equal(0, await phone.Locator("#totp-signin").CountAsync());
        using var direct = new ConsoleBrowser(server);
        await direct.GetAsync("/signin");
        using var refused = await direct.PostFormAsync("/signin?handler=Totp", [new("name", "first owner"), new("code", authenticator.ComputeTotp(clock.GetUtcNow().UtcDateTime))]);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(direct.Cookies.ContainsKey("__Host-sfi-session"));

        var events = await PasskeyTests.ConsoleStoreOf(server).ListEventsAsync(100, CancellationToken.None);
        Assert.Equal(2, events.Where(e => e.Type == "totp.refused").Sum(e => e.Count)); // the replay and the post after turning off
        var audit = await server.AuditAsync();
        Assert.Contains(audit, r => r.Action == "console.totp-enabled" && r.Actor.StartsWith("person:", StringComparison.Ordinal));
        Assert.Contains(audit, r => r.Action == "console.totp-added");
        Assert.Contains(audit, r => r.Action == "console.totp-disabled");
        Assert.Empty(dialogs);
    }

    private static async Task<IPage> NewPageAsync(IBrowserContext context, List<string> dialogs)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(PageTimeout);
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

    /// <summary>
    /// Waits until <paramref name="page"/> shows <paramref name="url"/> and its document has loaded. Not
    /// <c>IPage.WaitForURLAsync</c>: it checks the page's load state and then subscribes to its events, and a load event
    /// delivered in between is lost, so it can time out on a page that loaded long ago (microsoft/playwright-dotnet#3364;
    /// seen here once in fifteen runs, after signing out). Both waits below poll in the browser instead.
    /// </summary>
    private static async Task ArrivedAsync(IPage page, string url)
    {
        await Assertions.Expect(page).ToHaveURLAsync(url, new() { Timeout = PageTimeout });
        await LoadedAsync(page);
    }

    private static async Task ArrivedAsync(IPage page, System.Text.RegularExpressions.Regex url)
    {
        await Assertions.Expect(page).ToHaveURLAsync(url, new() { Timeout = PageTimeout });
        await LoadedAsync(page);
    }

    /// <summary>Within the page's default timeout (<see cref="PageTimeout"/>, set on every page).</summary>
    private static async Task LoadedAsync(IPage page) => await page.WaitForFunctionAsync("() => document.readyState === 'complete'");

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
