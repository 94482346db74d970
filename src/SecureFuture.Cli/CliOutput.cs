using System.Text;

namespace SecureFuture.Cli;

/// <summary>Where a report goes: standard output, or a file written atomically (nothing half-written on failure).</summary>
internal static class CliOutput
{
    public static async Task EmitAsync(string? output, TextWriter stdout, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        if (output is null)
        {
            using var buffer = new MemoryStream();
            await write(buffer, cancellationToken);
            await stdout.WriteAsync(Encoding.UTF8.GetString(buffer.ToArray()));
            await stdout.FlushAsync(cancellationToken);
        }
        else
        {
            await Core.AtomicFile.WriteAsync(output, write, cancellationToken);
        }
    }

    /// <summary>UTF-8 without a byte-order mark.</summary>
    public static async Task WriteTextAsync(Stream stream, string text, CancellationToken cancellationToken)
        => await stream.WriteAsync(new UTF8Encoding(false).GetBytes(text), cancellationToken);
}
