namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// A helper that builds a result object and returns it: each member of it carries what was stored into that member,
/// not what any member of the object carries (IdentityServer's consent controller: the redirect URI is set only
/// after the return URL was checked, while the view model beside it carries the unchecked input).
/// </summary>
public sealed class ReturnedObjectTests
{
    private const string OpenRedirect = "SFI-CODE-005";

    private const string Consent = """
        using Microsoft.AspNetCore.Mvc;

        namespace Shop.Web;

        public sealed class ConsentResult
        {
            public string? RedirectUri { get; set; }
            public string? ViewModel { get; set; }
        }

        public sealed class ConsentController : Controller
        {
            [HttpPost]
            [ValidateAntiForgeryToken]
            public IActionResult Index(string returnUrl, string description)
            {
                var result = Process(returnUrl, description);
                if (result.RedirectUri != null)
                {
                    return Redirect(result.RedirectUri);
                }

                return View("Index", result.ViewModel);
            }

            private ConsentResult Process(string returnUrl, string description)
            {
                var result = new ConsentResult();
                if (!Url.IsLocalUrl(returnUrl))
                {
                    result.ViewModel = "Invalid return URL " + returnUrl;
                    return result;
                }

                STORE
                return result;
            }
        }
        """;

    [Fact]
    public void A_member_set_from_a_checked_value_is_safe_although_another_member_carries_request_data()
    {
        var sink = RecordingSink.Analyze(("src/ConsentController.cs", Consent.Replace("STORE", "result.RedirectUri = returnUrl;", StringComparison.Ordinal)));

        Assert.True(sink.Of(OpenRedirect).Count == 0, sink.Describe());
    }

    [Fact]
    public void A_member_set_from_request_data_is_still_reported_with_its_path_through_the_helper()
    {
        var sink = RecordingSink.Analyze(("src/ConsentController.cs", Consent.Replace("STORE", "result.RedirectUri = description;", StringComparison.Ordinal)));

        var (_, detection) = Assert.Single(sink.Of(OpenRedirect));
        Assert.Contains(detection.Flow!, s => s.Message.Contains("'description'", StringComparison.Ordinal));
        Assert.Contains(detection.Flow!, s => s.Message.Contains("returned from 'ConsentController.Process'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Fill(result, description);", "private static void Fill(ConsentResult r, string value) => r.RedirectUri = value;")]
    [InlineData("var alias = result; alias.RedirectUri = description;", "")]
    [InlineData("result.RedirectUri = returnUrl; return description.Length > 0 ? result : new ConsentResult { RedirectUri = description };", "")]
    public void Members_are_not_told_apart_when_the_object_escapes_or_another_object_may_be_returned(string store, string helper)
    {
        // Passed to a helper, aliased, or not the only object returned: the caller falls back to the whole object's taint.
        var text = Consent.Replace("STORE", "result.ViewModel = description; " + store, StringComparison.Ordinal)
            .Replace("    private ConsentResult Process", helper + "\n    private ConsentResult Process", StringComparison.Ordinal);
        var sink = RecordingSink.Analyze(("src/ConsentController.cs", text));

        Assert.True(sink.Of(OpenRedirect).Any(r => r.Detection.Message.Contains("'description'", StringComparison.Ordinal)), sink.Describe());
    }
}
