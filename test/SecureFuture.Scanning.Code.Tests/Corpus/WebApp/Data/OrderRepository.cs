using Microsoft.EntityFrameworkCore;

namespace WebApp.Data;

public sealed class OrderRepository(ShopDbContext db)
{
    public Task<int> AddNoteAsync(int orderId, string note) =>
        db.Database.ExecuteSqlRawAsync("UPDATE Orders SET Note = '" + note + "' WHERE Id = " + orderId); // VULN: sql-injection

    public Task<int> AddNoteSafelyAsync(int orderId, string note) =>
        db.Database.ExecuteSqlAsync($"UPDATE Orders SET Note = {note} WHERE Id = {orderId}"); // SAFE: sql-injection

    public Task<int> MarkAsync(IEnumerable<string> statuses, int customerId)
    {
        var list = string.Join(", ", statuses.Select(s => $"'{s.Trim()}'"));
        return db.Database.ExecuteSqlRawAsync($"UPDATE Orders SET Status = 'archived' WHERE CustomerId = {customerId} AND Status IN ({list})"); // VULN: sql-injection
    }
}
