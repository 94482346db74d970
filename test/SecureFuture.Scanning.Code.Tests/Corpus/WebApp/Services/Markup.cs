using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace WebApp.Services;

/// <summary>HTML fragments for the search page.</summary>
public static class Markup
{
    /// <summary>Called from Pages/Search.cshtml.cs with the search term from the query string.</summary>
    public static IHtmlContent Highlight(string text, string term) =>
        new HtmlString(text.Replace(term, "<mark>" + term + "</mark>", StringComparison.OrdinalIgnoreCase)); // VULN: xss

    public static IHtmlContent HighlightEncoded(string text, string term)
    {
        var encodedText = HtmlEncoder.Default.Encode(text);
        var encodedTerm = HtmlEncoder.Default.Encode(term);
        return new HtmlString(encodedText.Replace(encodedTerm, "<mark>" + encodedTerm + "</mark>", StringComparison.OrdinalIgnoreCase)); // SAFE: xss
    }
}
