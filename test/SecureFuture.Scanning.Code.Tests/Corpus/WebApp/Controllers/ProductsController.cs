using Microsoft.AspNetCore.Mvc;
using WebApp.Data;
using WebApp.Services;

namespace WebApp.Controllers;

[ApiController]
[Route("api/products")]
public sealed class ProductsController(CatalogueService catalogue, ProductRepository products) : ControllerBase
{
    /// <summary>First hop of the search flow: q goes to CatalogueService.SearchAsync, then ProductRepository.FindByNameAsync.</summary>
    [HttpGet("search")]
    public async Task<ActionResult<List<Product>>> Search(string q, string sort = "name") =>
        await catalogue.SearchAsync(q, sort);

    [HttpGet("search/v2")]
    public async Task<ActionResult<List<Product>>> SearchV2(string q) =>
        await catalogue.SearchSafelyAsync(q);

    [HttpGet("category/{category}")]
    public Task<List<Product>> InCategory(string category) => products.InCategoryAsync(category);

    [HttpGet("v2/category/{category}")]
    public Task<List<Product>> InCategoryV2(string category) => products.InCategorySafelyAsync(category);

    [HttpGet("supplier")]
    public IEnumerable<Product> BySupplier([FromQuery] string name) => products.BySupplier(name);

    [HttpGet("v2/supplier")]
    public IEnumerable<Product> BySupplierV2([FromQuery] string name) => products.BySupplierSafely(name);

    [HttpGet("batch")]
    public IEnumerable<Product> Batch([FromQuery] int[] ids) => products.ByIds(ids);
}
