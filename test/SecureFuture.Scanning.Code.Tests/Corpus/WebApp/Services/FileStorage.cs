using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace WebApp.Services;

public sealed class FileStorage(IWebHostEnvironment environment)
{
    private string Root => Path.Combine(environment.ContentRootPath, "storage");

    /// <summary>Called by FilesController.Invoice with the file name from the route.</summary>
    public Stream OpenInvoice(string customerFolder, string fileName)
    {
        var path = Path.Combine(Root, "invoices", customerFolder, fileName);
        return File.OpenRead(path); // VULN: path-traversal
    }

    public Stream OpenInvoiceSafely(string customerFolder, string fileName)
    {
        var root = Path.GetFullPath(Path.Combine(Root, "invoices", Path.GetFileName(customerFolder)));
        var path = Path.GetFullPath(Path.Combine(root, Path.GetFileName(fileName)));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new UnauthorizedAccessException("outside the invoice folder");
        }

        return File.OpenRead(path); // SAFE: path-traversal
    }

    public async Task SaveUploadAsync(IFormFile upload)
    {
        await using var target = new FileStream(Path.Combine(Root, "uploads", upload.FileName), FileMode.Create); // VULN: path-traversal
        await upload.CopyToAsync(target);
    }

    public async Task<string> SaveUploadSafelyAsync(IFormFile upload)
    {
        var name = Guid.NewGuid().ToString("N") + ".upload";
        await using var target = new FileStream(Path.Combine(Root, "uploads", name), FileMode.CreateNew); // SAFE: path-traversal
        await upload.CopyToAsync(target);
        return name;
    }

    public void DeleteDraft(string draft) => Directory.Delete(Path.Combine(Root, "drafts", draft), recursive: true); // VULN: path-traversal
}
