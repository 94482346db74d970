using Microsoft.EntityFrameworkCore;

namespace WebApp.Data;

public sealed class ShopDbContext(DbContextOptions<ShopDbContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();
}

public sealed class Product
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public string Category { get; set; } = "";

    public string Supplier { get; set; } = "";

    public decimal Price { get; set; }
}

public sealed class Customer
{
    public int Id { get; set; }

    public string Email { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string? Phone { get; set; }

    /// <summary>Set by staff only; a form that binds this entity lets anyone set it.</summary>
    public bool IsAdmin { get; set; }

    public decimal CreditLimit { get; set; }

    public string ObjectId { get; set; } = "";

    public string TenantId { get; set; } = "";
}

public sealed class Order
{
    public int Id { get; set; }

    public int CustomerId { get; set; }

    public string Note { get; set; } = "";

    public string Status { get; set; } = "new";
}
