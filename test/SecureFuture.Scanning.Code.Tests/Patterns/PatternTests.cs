using SecureFuture.Core;
using SecureFuture.Scanning.Code.Patterns;

namespace SecureFuture.Scanning.Code.Tests.Patterns;

/// <summary>The tricky cases of the pattern rules, beyond each rule's own examples.</summary>
public sealed class PatternTests
{
    private const string TokenValidationDisabled = "SFI-CODE-107";
    private const string SigningKeyResolverUnfiltered = "SFI-CODE-109";
    private const string InsecureRandomForSecret = "SFI-CODE-105";
    private const string MissingAntiforgery = "SFI-CODE-113";
    private const string DeveloperExceptionPageUnguarded = "SFI-CODE-114";

    private const string Controller = """
        using Microsoft.AspNetCore.Mvc;

        public sealed class AccountController : Controller
        {
            [HttpPost]
            public IActionResult Close() => RedirectToAction("Index");
        }
        """;

    [Theory]
    [InlineData("(token, securityToken, kid, parameters) => keys", true)]
    [InlineData("(token, securityToken, kid, parameters) => parameters.IssuerSigningKeys", true)]
    [InlineData("(token, securityToken, kid, parameters) => { Console.WriteLine(kid); return keys; }", true)]
    [InlineData("(token, securityToken, kid, parameters) => keys.Where(k => k.KeyId == kid)", false)]
    [InlineData("(token, securityToken, kid, parameters) => { var matching = keys.FindAll(k => k.KeyId == kid); return matching; }", false)]
    [InlineData("(token, securityToken, kid, parameters) => securityToken.Issuer == Issuer ? keys : []", false)]
    [InlineData("(token, securityToken, kid, parameters) => { if (kid != KeyId) throw new SecurityTokenException(); return keys; }", false)]
    public void Signing_key_resolver_is_reported_only_when_what_it_returns_ignores_kid_and_issuer(string resolver, bool reported)
    {
        var scan = PatternScan.Run($$"""
            using Microsoft.IdentityModel.Tokens;

            public sealed class Keys(List<SecurityKey> keys)
            {
                private const string Issuer = "https://issuer.example";
                private const string KeyId = "2024-01";

                public TokenValidationParameters Parameters() => new()
                {
                    IssuerSigningKeyResolver = {{resolver}},
                };
            }
            """);

        Assert.Equal(reported, scan.Of(SigningKeyResolverUnfiltered).Any());
    }

    [Theory]
    [InlineData("if (env.IsDevelopment()) { app.UseDeveloperExceptionPage(); }", false)]
    [InlineData("if (env.IsDevelopment() && verbose) app.UseDeveloperExceptionPage();", false)]
    [InlineData("if (!env.IsDevelopment()) { app.UseExceptionHandler(\"/error\"); } else { app.UseDeveloperExceptionPage(); }", false)]
    [InlineData("if (env.IsEnvironment(\"Development\")) app.UseDeveloperExceptionPage();", false)]
    [InlineData("if (!env.IsDevelopment()) return; app.UseDeveloperExceptionPage();", false)]
    [InlineData("if (env.IsDevelopment() || env.EnvironmentName == \"Docker\") app.UseDeveloperExceptionPage();", false)]
    [InlineData("if (env.IsDevelopment() || verbose) app.UseDeveloperExceptionPage();", true)]
    [InlineData("if (env.IsDevelopment() || env.IsEnvironment(\"Production\")) app.UseDeveloperExceptionPage();", true)]
    [InlineData("app.UseDeveloperExceptionPage();", true)]
    [InlineData("if (verbose) app.UseDeveloperExceptionPage();", true)]
    [InlineData("if (env.IsDevelopment()) { app.UseHsts(); } else { app.UseDeveloperExceptionPage(); }", true)]
    [InlineData("if (!env.IsProduction()) app.UseDeveloperExceptionPage();", true)] // Staging is not Development
    public void Developer_exception_page_needs_a_Development_guard(string body, bool reported)
    {
        var scan = PatternScan.Run($$"""
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Hosting;
            using Microsoft.Extensions.Hosting;

            public static class Pipeline
            {
                public static void Configure(IApplicationBuilder app, IWebHostEnvironment env, bool verbose)
                {
                    {{body}}
                }
            }
            """);

        Assert.Equal(reported, scan.Of(DeveloperExceptionPageUnguarded).Any());
    }

    [Theory]
    [InlineData("o.Filters.Add(new AutoValidateAntiforgeryTokenAttribute())")]
    [InlineData("o.Filters.Add<AutoValidateAntiforgeryTokenAttribute>()")]
    [InlineData("o.Filters.Add(typeof(AutoValidateAntiforgeryTokenAttribute))")]
    public void A_global_antiforgery_filter_anywhere_in_the_project_makes_controller_actions_safe(string registration)
    {
        var program = $$"""
            using Microsoft.AspNetCore.Builder;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.Extensions.DependencyInjection;

            var builder = WebApplication.CreateBuilder(args);
            builder.Services.AddControllersWithViews(o => {{registration}});
            builder.Build().Run();
            """;

        var alone = PatternScan.Run(("web/Web.csproj", "<Project />"), ("web/Controllers/AccountController.cs", Controller));
        var withFilter = PatternScan.Run(("web/Web.csproj", "<Project />"), ("web/Controllers/AccountController.cs", Controller), ("web/Program.cs", program));
        var otherProject = PatternScan.Run(
            ("web/Web.csproj", "<Project />"), ("web/Controllers/AccountController.cs", Controller),
            ("admin/Admin.csproj", "<Project />"), ("admin/Program.cs", program));

        Assert.Single(alone.Of(MissingAntiforgery));
        Assert.Empty(withFilter.Of(MissingAntiforgery));
        Assert.Single(otherProject.Of(MissingAntiforgery)); // a filter in another project protects nothing here
    }

    [Theory]
    [InlineData("public sealed class AccountController : Controller", "", true)] // the control: same code, no opt-out
    [InlineData("[ApiController] public sealed class AccountController : Controller", "", false)]
    [InlineData("[ApiController] public abstract class ApiBase : Controller { } public sealed class AccountController : ApiBase", "", false)]
    [InlineData("public sealed class AccountController : Controller", "[assembly: ApiController]", false)]
    [InlineData("[IgnoreAntiforgeryToken] public sealed class AccountController : Controller", "", false)]
    [InlineData("public sealed class AccountController : ControllerBase", "", false)]
    public void Api_controllers_and_explicit_opt_outs_need_no_antiforgery(string declaration, string assembly, bool reported)
    {
        var scan = PatternScan.Run($$"""
            using Microsoft.AspNetCore.Mvc;
            {{assembly}}

            {{declaration}}
            {
                [HttpPost]
                public IActionResult Close() => Ok();
            }

            public sealed class HomeController : Controller
            {
                public IActionResult Index() => View();
            }
            """);

        Assert.Equal(reported, scan.Of(MissingAntiforgery).Any());
    }

    [Fact]
    public void Json_body_actions_and_bearer_only_projects_need_no_antiforgery_but_cookie_authenticated_ones_do()
    {
        const string json = """
            using Microsoft.AspNetCore.Mvc;
            public sealed class ProfileController : Controller
            {
                [HttpPut]
                public IActionResult Save([FromBody] Profile profile) => Ok();
            }

            public sealed record Profile(string Name);
            public sealed class HomeController : Controller { public IActionResult Index() => View(); }
            """;
        static string Startup(string scheme) => $$"""
            using Microsoft.AspNetCore.Builder;
            using Microsoft.Extensions.DependencyInjection;
            var builder = WebApplication.CreateBuilder(args);
            builder.Services.AddAuthentication(){{scheme}};
            builder.Build().Run();
            """;

        Assert.Empty(PatternScan.Run(json).Of(MissingAntiforgery));
        Assert.Single(PatternScan.Run(json.Replace("[FromBody] ", "", StringComparison.Ordinal)).Of(MissingAntiforgery));
        Assert.Empty(PatternScan.Run(("Controllers/A.cs", Controller), ("Program.cs", Startup(".AddJwtBearer()"))).Of(MissingAntiforgery));
        Assert.Single(PatternScan.Run(("Controllers/A.cs", Controller), ("Program.cs", Startup(".AddJwtBearer().AddCookie()"))).Of(MissingAntiforgery));
        Assert.Single(PatternScan.Run(("Controllers/A.cs", Controller), ("Program.cs", Startup(".AddNegotiate()"))).Of(MissingAntiforgery));
    }

    [Fact]
    public void Controllers_of_a_project_that_serves_no_browser_need_no_antiforgery()
    {
        const string api = """
            using Microsoft.AspNetCore.Mvc;
            public sealed class SyncController : Controller
            {
                [HttpPost("sync")]
                public IActionResult Sync(string since) => Json(new { since });
            }
            """;
        const string page = """
            using Microsoft.AspNetCore.Mvc;
            public sealed class HomeController : Controller
            {
                public IActionResult Index() => View();
            }
            """;

        Assert.Empty(PatternScan.Run(("Controllers/SyncController.cs", api)).Of(MissingAntiforgery));
        Assert.Single(PatternScan.Run(("Controllers/SyncController.cs", api), ("Controllers/HomeController.cs", page)).Of(MissingAntiforgery));
    }

    [Fact]
    public void Missing_antiforgery_points_at_the_verb_attribute_of_the_action()
    {
        var result = Assert.Single(PatternScan.Run(Controller).Of(MissingAntiforgery));

        Assert.Equal("HttpPost", result.Text);
        Assert.Equal(5, result.Line);
        Assert.Contains("AccountController.Close", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public static string NewToken() => Rng.Next().ToString();", true)]
    [InlineData("public static string Make() { var resetCode = Rng.Next(1000000).ToString(\"D6\"); return resetCode; }", true)]
    [InlineData("public static void Fill(byte[] nonce) => Rng.NextBytes(nonce);", true)]
    [InlineData("public static void Shuffle(int[] items) { for (var i = items.Length - 1; i > 0; i--) { var j = Rng.Next(i + 1); (items[i], items[j]) = (items[j], items[i]); } }", false)]
    [InlineData("public static List<string> Sample(List<string> tokens) => tokens.OrderBy(_ => Rng.Next()).Take(3).ToList();", false)]
    [InlineData("public static Task Delay(CancellationToken cancellationToken) => Task.Delay(Rng.Next(100), cancellationToken);", false)]
    [InlineData("public static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));", false)]
    public void Random_is_reported_only_where_its_value_becomes_a_secret(string member, bool reported)
    {
        var scan = PatternScan.Run($$"""
            using System;
            using System.Security.Cryptography;

            public static class Generator
            {
                private static readonly Random Rng = new();

                {{member}}
            }
            """);

        Assert.Equal(reported, scan.Of(InsecureRandomForSecret).Any());
    }

    [Theory]
    [InlineData("resetToken", true)]
    [InlineData("API_KEY", true)]
    [InlineData("apiKey", true)]
    [InlineData("userPassword", true)]
    [InlineData("Salt", true)]
    [InlineData("key", true)]
    [InlineData("cancellationToken", false)]
    [InlineData("keyboardLayout", false)]
    [InlineData("cacheKey", false)]
    [InlineData("tokenizer", false)]
    [InlineData("Shuffle", false)]
    public void Secret_names_are_judged_by_whole_words(string identifier, bool secret) =>
        Assert.Equal(secret, SecretNames.IsSecret(identifier));

    [Fact]
    public void Token_validation_is_judged_by_names_when_the_IdentityModel_package_is_not_restored()
    {
        // Microsoft.IdentityModel.Tokens is a NuGet package, not in the SDK reference packs: nothing here resolves.
        var scan = PatternScan.Run("""
            using Microsoft.AspNetCore.Authentication.JwtBearer;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.IdentityModel.Tokens;

            public static class Auth
            {
                public static void Add(IServiceCollection services) =>
                    services.AddAuthentication().AddJwtBearer(options =>
                    {
                        options.TokenValidationParameters = new() { ValidateAudience = false };
                        options.TokenValidationParameters.ValidateIssuer = false;
                    });

                public static TokenValidationParameters Loose()
                {
                    var p = new TokenValidationParameters();
                    p.RequireSignedTokens = false;
                    return p;
                }
            }
            """);

        Assert.Equal(
            ["ValidateAudience = false", "options.TokenValidationParameters.ValidateIssuer = false", "p.RequireSignedTokens = false"],
            scan.Of(TokenValidationDisabled).Select(r => r.Text));
        var note = Assert.Single(scan.Notifications, n => n.Id == "code-pattern-names-only");
        Assert.Contains("3 pattern result(s)", note.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_validation_is_judged_on_symbols_when_the_type_resolves()
    {
        const string stub = """
            namespace Microsoft.IdentityModel.Tokens
            {
                public class TokenValidationParameters { public bool ValidateIssuer { get; set; } = true; }
            }
            """;
        const string own = """
            namespace MyApp
            {
                // The application's own type with the same name: not IdentityModel's, not reported.
                public sealed class TokenValidationParameters { public bool ValidateIssuer { get; set; } }
                public static class Import { public static TokenValidationParameters Make() => new() { ValidateIssuer = false }; }
            }
            """;
        const string use = """
            using Microsoft.IdentityModel.Tokens;
            public static class Auth { public static TokenValidationParameters Make() => new() { ValidateIssuer = false }; }
            """;

        var scan = PatternScan.Run(("src/Stub.cs", stub), ("src/Own.cs", own), ("src/Auth.cs", use));

        var result = Assert.Single(scan.Of(TokenValidationDisabled));
        Assert.Equal("src/Auth.cs", result.Path);
        Assert.DoesNotContain(scan.Notifications, n => n.Id == "code-pattern-names-only");
    }

    [Fact]
    public void Deeply_nested_code_neither_overflows_the_stack_nor_stops_the_other_rules()
    {
        var condition = string.Join(" && ", Enumerable.Repeat("verbose", 100_000));
        var scan = PatternScan.Run($$"""
            using Microsoft.AspNetCore.Builder;
            using System.Security.Cryptography;

            public static class Pipeline
            {
                public static void Configure(IApplicationBuilder app, bool verbose)
                {
                    if ({{condition}}) app.UseDeveloperExceptionPage();
                }

                public static RSA Key() => RSA.Create(1024);
            }
            """);

        Assert.Single(scan.Of("SFI-CODE-104"));
        Assert.True(
            scan.Of(DeveloperExceptionPageUnguarded).Count() == 1 || scan.Notifications.Any(n => n.Id == "code-pattern-failed" && n.RuleId == DeveloperExceptionPageUnguarded),
            "the unguarded call is either reported or the rule says it gave up");
    }

    [Theory]
    [InlineData("SFI-CODE-103", "if (aes.Mode == CipherMode.ECB) throw new CryptographicException();", "aes.Mode = CipherMode.ECB;")]
    [InlineData("SFI-CODE-111", "if (cookie.SecurePolicy == CookieSecurePolicy.None) throw new InvalidOperationException();", "cookie.SecurePolicy = CookieSecurePolicy.None;")]
    [InlineData("SFI-CODE-106", "if (handler.ServerCertificateCustomValidationCallback == HttpClientHandler.DangerousAcceptAnyServerCertificateValidator) throw new InvalidOperationException();", "handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;")]
    public void A_weak_setting_is_reported_where_it_is_set_not_where_code_checks_for_it(string rule, string check, string set)
    {
        static string Source(string statement) => $$"""
            using System;
            using System.Net.Http;
            using System.Security.Cryptography;
            using Microsoft.AspNetCore.Http;

            public static class Guard
            {
                public static void Run(Aes aes, CookieBuilder cookie, HttpClientHandler handler)
                {
                    {{statement}}
                }
            }
            """;

        Assert.Empty(PatternScan.Run(Source(check)).Of(rule));
        Assert.Single(PatternScan.Run(Source(set)).Of(rule));
    }

    [Fact]
    public void Evidence_key_names_the_rule_member_and_expression_and_survives_line_moves()
    {
        const string source = """
            using Microsoft.IdentityModel.Tokens;
            public static class Auth
            {
                public static TokenValidationParameters A() => new() { ValidateIssuer = false };
                public static TokenValidationParameters B() => new() { ValidateIssuer = false };
            }
            """;

        var before = PatternScan.Run(source).Of(TokenValidationDisabled).ToList();
        var after = PatternScan.Run("// a header comment\n\n" + source.Replace("new() { ValidateIssuer", "new()\n    {\n        ValidateIssuer", StringComparison.Ordinal)).Of(TokenValidationDisabled).ToList();

        Assert.Equal(["SFI-CODE-107|Auth.A|ValidateIssuer = false", "SFI-CODE-107|Auth.B|ValidateIssuer = false"], before.Select(r => r.EvidenceKey));
        Assert.Equal(before.Select(r => r.EvidenceKey), after.Select(r => r.EvidenceKey));
        Assert.NotEqual(before.Select(r => r.Line), after.Select(r => r.Line));
    }

    [Fact]
    public void Email_claim_reaching_a_user_lookup_through_a_local_is_reported_but_the_subject_claim_is_not()
    {
        var scan = PatternScan.Run("""
            using System.Linq;
            using System.Security.Claims;

            public sealed record Account(string Email, string Subject);

            public static class Accounts
            {
                public static Account? ByEmail(IQueryable<Account> accounts, ClaimsPrincipal user)
                {
                    var email = user.Claims.First(c => c.Type == ClaimTypes.Email).Value.ToLowerInvariant();
                    return accounts.FirstOrDefault(a => a.Email == email);
                }

                public static Account? BySubject(IQueryable<Account> accounts, ClaimsPrincipal user)
                {
                    var subject = user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
                    return accounts.FirstOrDefault(a => a.Subject == subject);
                }
            }
            """);

        var result = Assert.Single(scan.Of("SFI-CODE-110"));
        Assert.Equal(11, result.Line);
        Assert.Equal("accounts.FirstOrDefault(a => a.Email == email)", result.Text);
    }

    [Fact]
    public void A_rule_naming_a_pattern_that_does_not_exist_is_rejected_with_its_file()
    {
        var rule = File.ReadAllText(RuleFile("SFI-CODE-107.TokenValidationDisabled.yaml"))
            .Replace("pattern: TokenValidationDisabled", "pattern: TokenValidationDisabledd", StringComparison.Ordinal);

        var error = Assert.Throws<InputException>(() => CodeRuleCatalog.Load([("custom/SFI-CODE-107.yaml", rule)]));

        Assert.Contains("custom/SFI-CODE-107.yaml: pattern TokenValidationDisabledd is not implemented", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pattern_check_runs_rules_loaded_from_a_user_catalogue()
    {
        var yaml = File.ReadAllText(RuleFile("SFI-CODE-114.DeveloperExceptionPageUnguarded.yaml"))
            .Replace("id: SFI-CODE-114", "id: SFI-CODE-190", StringComparison.Ordinal)
            .Replace("name: DeveloperExceptionPageUnguarded", "name: OrgDevPage", StringComparison.Ordinal);
        var check = new PatternCheck(CodeRuleCatalog.Load([("org/SFI-CODE-190.OrgDevPage.yaml", yaml)]));
        var analyzer = new CodeAnalyzer([check]);

        var scan = PatternScan.Run(analyzer, ("Program.cs", "app.UseDeveloperExceptionPage();"));

        Assert.Equal(["SFI-CODE-190"], analyzer.Rules.Select(r => r.Id));
        Assert.Equal("SFI-CODE-190", Assert.Single(scan.Results).RuleId);
    }

    [Fact]
    public void A_pattern_that_throws_is_switched_off_with_a_notification_and_the_other_rules_still_run()
    {
        var check = new PatternCheck(CodeRuleCatalog.Default, name => name == "WeakRsaKeySize" ? new ThrowingPattern() : PatternCatalog.Find(name));
        var analyzer = new CodeAnalyzer([check]);

        var scan = PatternScan.Run(analyzer, ("src/Keys.cs", """
            using System.Security.Cryptography;
            public static class Keys
            {
                public static RSA A() => RSA.Create(1024);
                public static RSA B() => RSA.Create(512);
                public static byte[] C(byte[] d) => MD5.HashData(d);
            }
            """));

        var failure = Assert.Single(scan.Notifications, n => n.Id == "code-pattern-failed");
        Assert.Equal(NotificationLevel.Error, failure.Level);
        Assert.Equal("SFI-CODE-104", failure.RuleId);
        Assert.StartsWith("src/Keys.cs:4:", failure.Message, StringComparison.Ordinal);
        Assert.Empty(scan.Of("SFI-CODE-104"));
        Assert.Single(scan.Of("SFI-CODE-102"));
    }

    private sealed class ThrowingPattern : CodePattern
    {
        public override IReadOnlyCollection<string> Triggers { get; } = ["RSA"];

        public override void Inspect(Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax name, PatternContext context) =>
            throw new InvalidOperationException("pattern bug");
    }

    private static string RuleFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "rules", "code", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(name);
    }
}
