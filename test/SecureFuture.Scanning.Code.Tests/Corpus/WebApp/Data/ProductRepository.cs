using System.Data.Common;
using System.Text;
using Dapper;
using Microsoft.EntityFrameworkCore;

namespace WebApp.Data;

public sealed class ProductRepository(ShopDbContext db, DbConnection connection)
{
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["name"] = "Name",
        ["price"] = "Price",
    };

    /// <summary>Third hop of the search: ProductsController.Search, CatalogueService.SearchAsync, then here.</summary>
    public async Task<List<Product>> FindByNameAsync(string name, string sort)
    {
        var sql = new StringBuilder("SELECT Id, Name, Category, Supplier, Price FROM Products WHERE Name LIKE '%");
        sql.Append(name).Append("%' ORDER BY ").Append(SortColumns.GetValueOrDefault(sort, "Name"));
        await using var command = connection.CreateCommand();
        command.CommandText = sql.ToString(); // VULN: sql-injection
        return await ReadAsync(command);
    }

    public async Task<List<Product>> FindByNameSafelyAsync(string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Id, Name, Category, Supplier, Price FROM Products WHERE Name LIKE @pattern"; // SAFE: sql-injection
        var pattern = command.CreateParameter();
        pattern.ParameterName = "@pattern";
        pattern.Value = "%" + name + "%";
        command.Parameters.Add(pattern);
        return await ReadAsync(command);
    }

    public Task<List<Product>> InCategoryAsync(string category) =>
        db.Products.FromSqlRaw("SELECT * FROM Products WHERE Category = '" + category + "'").ToListAsync(); // VULN: sql-injection

    public Task<List<Product>> InCategorySafelyAsync(string category) =>
        db.Products.FromSqlInterpolated($"SELECT * FROM Products WHERE Category = {category}").ToListAsync(); // SAFE: sql-injection

    public IEnumerable<Product> BySupplier(string supplier) =>
        connection.Query<Product>($"SELECT * FROM Products WHERE Supplier = '{supplier}'"); // VULN: sql-injection

    public IEnumerable<Product> BySupplierSafely(string supplier) =>
        connection.Query<Product>("SELECT * FROM Products WHERE Supplier = @supplier", new { supplier }); // SAFE: sql-injection

    public IEnumerable<Product> ByIds(IReadOnlyList<int> ids) =>
        connection.Query<Product>("SELECT * FROM Products WHERE Id IN (" + string.Join(",", ids) + ")"); // SAFE: sql-injection

    private static async Task<List<Product>> ReadAsync(DbCommand command)
    {
        var products = new List<Product>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            products.Add(new Product
            {
                Id = reader.GetInt32(0),
                Name = reader.GetString(1),
                Category = reader.GetString(2),
                Supplier = reader.GetString(3),
                Price = reader.GetDecimal(4),
            });
        }

        return products;
    }
}
