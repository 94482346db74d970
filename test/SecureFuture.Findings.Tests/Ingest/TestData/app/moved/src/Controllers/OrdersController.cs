using System.Data.SqlClient;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using System.Text;

namespace Shop.Controllers;

[ApiController]
[Route("orders")]
public sealed class OrdersController(SqlConnection connection) : ControllerBase
{
    [HttpGet("count")]
    public IActionResult Count() => Ok(42);

    [HttpGet]
    public IActionResult Find([FromQuery] string customer)
    {
        var command = new SqlCommand("SELECT * FROM Orders WHERE Customer = '" + customer + "'", connection);
        return Ok(command.ExecuteScalar());
    }

    [HttpGet("digest")]
    public IActionResult Digest([FromQuery] string text) => Ok(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
