using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using WebApp.Services;

namespace WebApp.Controllers;

[ApiController]
[Route("api/files")]
public sealed class FilesController(FileStorage storage, IWebHostEnvironment environment) : ControllerBase
{
    private static readonly HashSet<string> Languages = new(StringComparer.Ordinal) { "en", "de", "fr" };

    [HttpGet("invoices/{folder}/{name}")]
    public IActionResult Invoice(string folder, string name)
    {
        Response.Headers["Content-Disposition"] = "attachment; filename=" + name; // VULN: header-injection
        return File(storage.OpenInvoice(folder, name), "application/pdf");
    }

    [HttpGet("v2/invoices/{folder}/{name}")]
    public IActionResult InvoiceV2(string folder, string name, [FromQuery] string lang = "en")
    {
        Response.Headers.ContentLanguage = Languages.Contains(lang) ? lang : "en"; // SAFE: header-injection
        return File(storage.OpenInvoiceSafely(folder, name), "application/pdf");
    }

    [HttpGet("manuals")]
    public IActionResult Manual([FromQuery] string name) =>
        PhysicalFile(Path.Combine(environment.ContentRootPath, "manuals", name), "application/pdf"); // VULN: path-traversal

    [HttpGet("manuals/{id:int}")]
    public IActionResult ManualById(int id) =>
        PhysicalFile(Path.Combine(environment.ContentRootPath, "manuals", $"manual-{id}.pdf"), "application/pdf"); // SAFE: path-traversal

    [HttpPost("uploads")]
    public async Task<IActionResult> Upload(IFormFile file)
    {
        await storage.SaveUploadAsync(file);
        return NoContent();
    }

    [HttpPost("v2/uploads")]
    public async Task<IActionResult> UploadV2(IFormFile file) => Ok(await storage.SaveUploadSafelyAsync(file));

    [HttpDelete("drafts/{draft}")]
    public IActionResult DeleteDraft(string draft)
    {
        storage.DeleteDraft(draft);
        return NoContent();
    }
}
