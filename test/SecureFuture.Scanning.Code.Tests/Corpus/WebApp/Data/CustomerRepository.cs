using Microsoft.EntityFrameworkCore;

namespace WebApp.Data;

public sealed class CustomerRepository(ShopDbContext db)
{
    public Task<Customer?> FindByEmailAsync(string email) =>
        db.Customers.SingleOrDefaultAsync(c => c.Email == email);

    /// <summary>Entra ID: the object id is unique and immutable only together with the tenant id.</summary>
    public Task<Customer?> FindByObjectIdAsync(string objectId, string tenantId) =>
        db.Customers.SingleOrDefaultAsync(c => c.ObjectId == objectId && c.TenantId == tenantId);
}
