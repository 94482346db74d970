namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// Validators that return the value or a constant (<c>LocalOrHome(url) => Url.IsLocalUrl(url) ? url : "/"</c>, the
/// shape of this repository's own console): a call to one is safe for what its check proves, because every value it
/// can return is either a constant or the parameter it checked. It is not when one return gives the parameter back
/// unchecked, when the check is about something else (the length, another parameter), or when the parameter is
/// reassigned after the check. The checks are the allow-list proofs an <c>if</c> accepts (IsLocalUrl, the application's
/// own boolean validator, comparison with constants), constants written as patterns (<c>path is "/" or "/orders"</c>,
/// <c>"list" or "grid" =&gt; mode</c>, <c>case "list":</c>) and the <c>when</c> clause of a switch arm.
/// </summary>
public sealed class ValidatorMethodTests
{
    private const string Redirect = "SFI-CODE-005";

    private const string Controller = """
        using System.Collections.Generic;
        using Microsoft.AspNetCore.Mvc;

        public class ReturnController : Controller
        {
            private static readonly HashSet<string> Allowed = ["/", "/orders"];

            public static string LocalOrHome(IUrlHelper url, string? path) => path is { Length: > 0 } && path[0] == '/' && url.IsLocalUrl(path) ? path : "/";

            private string LocalOrDefault(string path)
            {
                if (!Url.IsLocalUrl(path))
                {
                    return "/";
                }

                return path;
            }

            private static string Listed(string path) => Allowed.Contains(path) ? path : "/";

            private static string Layout(string mode) => mode == "list" || mode == "grid" ? mode : "list";

            private static string Pattern(string path) => path is "/" or "/orders" ? path : "/";

            private static string Arms(string mode) => mode switch
            {
                "list" or "grid" => mode,
                _ => "list",
            };

            private string WhenLocal(string path) => path switch
            {
                _ when Url.IsLocalUrl(path) => path,
                _ => "/",
            };

            private static string Fallthrough(string mode) => mode switch
            {
                "list" => mode,
                _ => mode,
            };

            private static string NotEmpty(string path) => path is not "" ? path : "/";

            private static string Cases(string mode)
            {
                switch (mode)
                {
                    case "list":
                    case "grid":
                        return mode;
                    default:
                        return "list";
                }
            }

            private static bool IsKnown(string path) => Allowed.Contains(path);

            private static string Known(string path) => IsKnown(path) ? path : "/";

            private string Unguarded(string path)
            {
                if (path.StartsWith("/admin"))
                {
                    return "/";
                }

                if (Url.IsLocalUrl(path))
                {
                    return path;
                }

                return path;
            }

            private static string Short(string path) => path.Length < 200 ? path : "/";

            private string OtherChecked(string path, string other) => Url.IsLocalUrl(other) ? path : "/";

            private string Reassigned(string path, string next)
            {
                if (!Url.IsLocalUrl(path))
                {
                    return "/";
                }

                path = next;
                return path;
            }

            public IActionResult Console(string returnUrl) => Redirect(LocalOrHome(Url, returnUrl)); // SAFE
            public IActionResult Statement(string returnUrl) => Redirect(LocalOrDefault(returnUrl)); // SAFE
            public IActionResult AllowList(string returnUrl) => Redirect(Listed(returnUrl)); // SAFE
            public IActionResult Constants(string mode) => Redirect("/items?layout=" + Layout(mode)); // SAFE
            public IActionResult PatternOfConstants(string returnUrl) => Redirect(Pattern(returnUrl)); // SAFE
            public IActionResult SwitchArms(string mode) => Redirect(Arms(mode)); // SAFE
            public IActionResult SwitchCases(string mode) => Redirect(Cases(mode)); // SAFE
            public IActionResult SwitchWhen(string returnUrl) => Redirect(WhenLocal(returnUrl)); // SAFE
            public IActionResult OwnValidator(string returnUrl) => Redirect(Known(returnUrl)); // SAFE
            public IActionResult UnguardedReturn(string returnUrl) => Redirect(Unguarded(returnUrl)); // VULN
            public IActionResult DiscardArm(string mode) => Redirect(Fallthrough(mode)); // VULN
            public IActionResult NegatedConstant(string returnUrl) => Redirect(NotEmpty(returnUrl)); // VULN
            public IActionResult LengthOnly(string returnUrl) => Redirect(Short(returnUrl)); // VULN
            public IActionResult AnotherValue(string returnUrl, string next) => Redirect(OtherChecked(returnUrl, next)); // VULN
            public IActionResult ReassignedAfterCheck(string returnUrl, string next) => Redirect(Reassigned(returnUrl, next)); // VULN
        }
        """;

    private static int[] Lines(string marker) =>
        [.. Controller.Split('\n').Select((l, i) => (l, i + 1)).Where(x => x.l.TrimEnd().EndsWith("// " + marker, StringComparison.Ordinal)).Select(x => x.Item2)];

    private static int[] Reported(RecordingSink sink) =>
        [.. sink.Of(Redirect).Select(d => Controller[..d.Detection.Start].Count(c => c == '\n') + 1).Distinct().Order()];

    [Fact]
    public void A_validator_returning_the_checked_value_or_a_constant_is_a_sanitiser_and_one_that_can_return_it_unchecked_is_not()
    {
        var sink = RecordingSink.Analyze(("Controllers/ReturnController.cs", Controller));

        Assert.True(Lines("VULN").SequenceEqual(Reported(sink)), sink.Describe());
    }
}
