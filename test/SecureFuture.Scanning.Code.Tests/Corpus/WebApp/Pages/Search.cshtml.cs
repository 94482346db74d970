using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using WebApp.Services;

namespace WebApp.Pages;

public sealed class SearchModel(CatalogueService catalogue) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Q { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public bool Safe { get; set; }

    public List<IHtmlContent> Results { get; } = [];

    public async Task OnGetAsync()
    {
        foreach (var product in await catalogue.SearchSafelyAsync(Q))
        {
            Results.Add(Safe ? Markup.HighlightEncoded(product.Name, Q) : Markup.Highlight(product.Name, Q));
        }
    }
}
