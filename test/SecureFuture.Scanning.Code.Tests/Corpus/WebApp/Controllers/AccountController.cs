using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using WebApp.Data;
using WebApp.Security;

namespace WebApp.Controllers;

public sealed class LoginForm
{
    public string Email { get; set; } = "";

    public string Password { get; set; } = "";

    public bool RememberMe { get; set; }
}

/// <summary>What a customer may change about themselves: no IsAdmin, no CreditLimit.</summary>
public sealed class ProfileForm
{
    public string DisplayName { get; set; } = "";

    public string? Phone { get; set; }
}

[Authorize]
public sealed class AccountController(ShopDbContext db, CustomerRepository customers) : Controller
{
    [AllowAnonymous]
    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> Login(LoginForm form, string? returnUrl)
    {
        var customer = await customers.FindByEmailAsync(form.Email);
        if (customer is null || !PasswordHashing.Verify(form.Password, customer))
        {
            return View(form);
        }

        if (form.RememberMe)
        {
            var token = TokenGenerator.NewRememberMeToken();
            Response.Cookies.Append("remember-me", token, new CookieOptions { HttpOnly = false, Secure = false, Expires = DateTimeOffset.UtcNow.AddDays(30) }); // VULN: insecure-cookie
        }

        Response.Cookies.Append("signed-in-hint", "1", new CookieOptions { HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax }); // SAFE: insecure-cookie
        return Redirect(returnUrl ?? "/"); // VULN: open-redirect
    }

    [AllowAnonymous]
    [HttpGet]
    public IActionResult Continue(string returnUrl)
    {
        if (Url.IsLocalUrl(returnUrl))
        {
            return Redirect(returnUrl); // SAFE: open-redirect
        }

        return RedirectToAction(nameof(HomeController.Index), "Home");
    }

    [AllowAnonymous]
    [HttpGet]
    public IActionResult Back(string returnUrl) => LocalRedirect(returnUrl); // SAFE: open-redirect

    [HttpGet]
    public async Task<IActionResult> Orders()
    {
        var customer = await customers.FindByEmailAsync(User.FindFirst(ClaimTypes.Email)!.Value); // VULN: email-claim-identity
        return View(customer);
    }

    [HttpGet]
    public async Task<IActionResult> OrdersV2()
    {
        var customer = await customers.FindByObjectIdAsync(User.FindFirst("oid")!.Value, User.FindFirst("tid")!.Value);
        ViewData["SignedInAs"] = User.FindFirst(ClaimTypes.Email)?.Value; // SAFE: email-claim-identity
        return View("Orders", customer);
    }

    [HttpPost] // VULN: missing-antiforgery
    public async Task<IActionResult> ChangeEmail(string newEmail)
    {
        var customer = await CurrentAsync();
        customer.Email = newEmail;
        await db.SaveChangesAsync();
        return RedirectToAction(nameof(Orders));
    }

    [HttpPost] // SAFE: missing-antiforgery
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> ChangeDisplayName(string displayName)
    {
        var customer = await CurrentAsync();
        customer.DisplayName = displayName;
        await db.SaveChangesAsync();
        return RedirectToAction(nameof(Orders));
    }

    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> EditProfile(Customer customer)
    {
        db.Customers.Update(customer); // VULN: mass-assignment
        await db.SaveChangesAsync();
        return RedirectToAction(nameof(Orders));
    }

    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> EditProfileV2(ProfileForm form) // SAFE: mass-assignment
    {
        var customer = await CurrentAsync();
        customer.DisplayName = form.DisplayName;
        customer.Phone = form.Phone;
        await db.SaveChangesAsync();
        return RedirectToAction(nameof(Orders));
    }

    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> EditPhone([Bind(nameof(Customer.Phone))] Customer update) // SAFE: mass-assignment
    {
        var customer = await CurrentAsync();
        customer.Phone = update.Phone;
        await db.SaveChangesAsync();
        return RedirectToAction(nameof(Orders));
    }

    private async Task<Customer> CurrentAsync() =>
        await customers.FindByObjectIdAsync(User.FindFirst("oid")!.Value, User.FindFirst("tid")!.Value)
        ?? throw new InvalidOperationException("signed-in customer not found");
}
