using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Routing;
using Microsoft.AspNetCore.Routing;
using SecureFuture.WebConsole.Pages;

namespace SecureFuture.WebConsole.Tests;

/// <summary>Where the console sends someone back after sign-in: a local path, never another site.</summary>
public sealed class ReturnUrlTests
{
    private static readonly UrlHelper Url = new(new ActionContext(new DefaultHttpContext(), new RouteData(), new ActionDescriptor()));

    [Theory]
    [InlineData("/findings?state=open")]
    [InlineData("/")]
    [InlineData("/keys#ring")]
    public void A_local_path_is_kept(string path) => Assert.Equal(path, ConsolePage.LocalOrHome(Url, path));

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    [InlineData("/\r\n/evil.example/")]
    [InlineData("/\n/evil.example/")]
    [InlineData("/findings\u007f")]
    [InlineData("findings")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_goes_to_the_overview(string? path) => Assert.Equal("/", ConsolePage.LocalOrHome(Url, path));
}
