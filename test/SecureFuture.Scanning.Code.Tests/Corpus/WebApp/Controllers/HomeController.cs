using System.Net;
using Microsoft.AspNetCore.Mvc;

namespace WebApp.Controllers;

public sealed class HomeController : Controller
{
    public IActionResult Index() => View();

    public IActionResult Profile() => View();

    public IActionResult Welcome(string name) =>
        Content("<h1>Welcome back, " + name + "</h1>", "text/html"); // VULN: xss

    public IActionResult WelcomeEncoded(string name) =>
        Content("<h1>Welcome back, " + WebUtility.HtmlEncode(name) + "</h1>", "text/html"); // SAFE: xss

    public IActionResult WelcomeText(string name) =>
        Content($"Welcome back, {name}", "text/plain"); // SAFE: xss
}
