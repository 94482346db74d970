using Microsoft.AspNetCore.Mvc;
using WebApp.Services;

namespace WebApp.Controllers;

public sealed class ExportRequest
{
    public string Title { get; set; } = "";

    public string Template { get; set; } = "invoice";
}

[ApiController]
[Route("api/reports")]
public sealed class ReportsController(ReportRenderer renderer) : ControllerBase
{
    /// <summary>First hop of the export flow: request.Title goes to ReportRenderer.RenderAsync, then RunAsync.</summary>
    [HttpPost("export")]
    public async Task<IActionResult> Export(ExportRequest request) => Ok(await renderer.RenderAsync(request.Title, request.Template));

    [HttpPost("v2/export")]
    public async Task<IActionResult> ExportV2(ExportRequest request) => Ok(await renderer.RenderSafelyAsync(request.Title, request.Template));

    [HttpPost("archive/{folder}")]
    public IActionResult Archive(string folder)
    {
        ReportRenderer.Archive(folder);
        return Accepted();
    }

    [HttpPost("archive/{year:int}/{month:int}")]
    public IActionResult ArchiveMonth(int year, int month)
    {
        ReportRenderer.ArchiveMonth(year, month);
        return Accepted();
    }
}
