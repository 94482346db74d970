namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// Allow-list comparisons as sanitisers: a value checked against a fixed set before the sink, by the application's own
/// boolean validator (<c>if (!IsValidReturnUrl(url)) return BadRequest();</c>) or by comparison with constants, is not
/// reported; a check that proves nothing about the value (its length, a copy of it) leaves the flow reported.
/// </summary>
public sealed class AllowListGuardTests
{
    private const string Redirect = "SFI-CODE-005";
    private const string Sql = "SFI-CODE-001";

    private const string Account = """
        using System.Collections.Generic;
        using Microsoft.AspNetCore.Mvc;

        public class AccountController : Controller
        {
            private static readonly HashSet<string> AllowedReturnUrls = ["/", "/orders"];

            private static bool IsValidReturnUrl(string url) => AllowedReturnUrls.Contains(url);

            private bool IsLocalOrAllowed(string url)
            {
                if (string.IsNullOrEmpty(url))
                {
                    return false;
                }

                return Url.IsLocalUrl(url) || AllowedReturnUrls.Contains(url);
            }

            private static bool LooksValid(string url) => url.Length < 200;

            private static bool CheckedCopy(string url)
            {
                url = url.Trim();
                return AllowedReturnUrls.Contains(url);
            }

            private static bool ValidatedTwice(string url) => IsValidReturnUrl(url);

            public IActionResult Allowed(string returnUrl)
            {
                if (!IsValidReturnUrl(returnUrl))
                {
                    return BadRequest();
                }

                return Redirect(returnUrl); // SAFE
            }

            public IActionResult Either(string returnUrl)
            {
                if (!IsLocalOrAllowed(returnUrl)) return BadRequest();
                return Redirect(returnUrl); // SAFE
            }

            public IActionResult Chosen(string returnUrl) => ValidatedTwice(returnUrl) ? Redirect(returnUrl) : Redirect("/"); // SAFE

            public IActionResult Length(string returnUrl)
            {
                if (!LooksValid(returnUrl)) return BadRequest();
                return Redirect(returnUrl); // VULN
            }

            public IActionResult Copy(string returnUrl)
            {
                if (!CheckedCopy(returnUrl)) return BadRequest();
                return Redirect(returnUrl); // VULN
            }
        }
        """;

    private const string Orders = """
        using System.Data.Common;
        using Microsoft.AspNetCore.Mvc;

        public class OrdersController(DbConnection db) : ControllerBase
        {
            private const string ByDate = "created";

            public object Sorted(string sort)
            {
                using var cmd = db.CreateCommand();
                if (sort == "name" || sort == ByDate)
                {
                    cmd.CommandText = "SELECT * FROM Orders ORDER BY " + sort; // SAFE
                }

                if (sort != "name" && sort != "price")
                {
                    return BadRequest();
                }

                cmd.CommandText = "SELECT * FROM Orders ORDER BY " + sort; // SAFE
                return Ok(cmd.ExecuteScalar());
            }

            public object Unchecked(string sort, string other)
            {
                using var cmd = db.CreateCommand();
                if (sort != "")
                {
                    cmd.CommandText = "SELECT * FROM Orders ORDER BY " + sort; // VULN
                }

                if (sort == "name" || other == "price")
                {
                    cmd.CommandText = "SELECT * FROM Orders ORDER BY " + sort; // VULN
                }

                return Ok(cmd.ExecuteScalar());
            }
        }
        """;

    private static int[] Lines(string code, string marker) =>
        [.. code.Split('\n').Select((l, i) => (l, i + 1)).Where(x => x.l.TrimEnd().EndsWith("// " + marker, StringComparison.Ordinal)).Select(x => x.Item2)];

    private static int[] Reported(RecordingSink sink, string rule, string code) =>
        [.. sink.Of(rule).Select(d => code[..d.Detection.Start].Count(c => c == '\n') + 1).Distinct().Order()];

    [Fact]
    public void A_value_checked_by_the_applications_own_allow_list_validator_is_not_reported_and_a_check_that_proves_nothing_is()
    {
        var sink = RecordingSink.Analyze(("Controllers/AccountController.cs", Account));

        Assert.Equal(Lines(Account, "VULN"), Reported(sink, Redirect, Account));
    }

    [Fact]
    public void A_value_compared_with_constants_is_an_allow_list_only_when_every_branch_compares_it()
    {
        var sink = RecordingSink.Analyze(("Controllers/OrdersController.cs", Orders));

        Assert.Equal(Lines(Orders, "VULN"), Reported(sink, Sql, Orders));
    }
}
