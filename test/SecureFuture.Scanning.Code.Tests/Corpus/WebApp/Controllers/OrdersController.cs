using Microsoft.AspNetCore.Mvc;
using WebApp.Data;
using WebApp.Services;

namespace WebApp.Controllers;

public sealed record OrderNoteRequest(string Note, string? Author);

[ApiController]
[Route("api/orders")]
public sealed class OrdersController(OrderRepository orders, ImportService import) : ControllerBase
{
    [HttpPost("{id:int}/notes")]
    public async Task<IActionResult> AddNote(int id, OrderNoteRequest request)
    {
        await orders.AddNoteAsync(id, request.Note);
        return NoContent();
    }

    [HttpPost("v2/{id:int}/notes")]
    public async Task<IActionResult> AddNoteV2(int id, OrderNoteRequest request)
    {
        await orders.AddNoteSafelyAsync(id, request.Note);
        return NoContent();
    }

    [HttpPost("archive")]
    public Task<int> Archive([FromQuery] string[] status, [FromQuery] int customer) => orders.MarkAsync(status, customer);

    [HttpPost("import/legacy")]
    public IActionResult ImportLegacy() => Ok(import.LoadLegacyOrders(Request.Body));

    [HttpPost("import/json")]
    public async Task<IActionResult> ImportJson()
    {
        using var reader = new StreamReader(Request.Body);
        var json = await reader.ReadToEndAsync();
        return Ok(import.LoadPolymorphicOrders(json));
    }

    [HttpPost("import/v2/json")]
    public async Task<IActionResult> ImportJsonV2()
    {
        using var reader = new StreamReader(Request.Body);
        var json = await reader.ReadToEndAsync();
        return Ok(new { newtonsoft = import.LoadOrders(json)?.Count, stj = import.LoadOrdersWithSystemTextJson(json)?.Count });
    }
}
