using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using WebApp.Data;

namespace WebApp.Services;

public sealed class CatalogueService(ProductRepository products, ILogger<CatalogueService> logger)
{
    /// <summary>Second hop of the search flow; the term goes on to the repository unchanged but for trimming.</summary>
    public Task<List<Product>> SearchAsync(string term, string sort)
    {
        var (trimmed, order) = (term.Trim(), sort.ToLowerInvariant());
        return products.FindByNameAsync(trimmed, order);
    }

    public Task<List<Product>> SearchSafelyAsync(string term) => products.FindByNameSafelyAsync(term.Trim());

    /// <summary>The ETag of a catalogue export: MD5 as a content checksum, not for anything secret.</summary>
    public string ETagOf(byte[] export)
    {
        var hash = MD5.HashData(export); // SAFE: weak-password-hash
        logger.LogDebug("Catalogue export of {Length} bytes", export.Length);
        return "\"" + Convert.ToHexString(hash) + "\"";
    }
}
