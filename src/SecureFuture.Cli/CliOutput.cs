using System.Text;
using SecureFuture.Core;

namespace SecureFuture.Cli;

/// <summary>
/// Where a report goes: standard output (no <c>--output</c>, or <c>--output -</c>), or a file written atomically
/// (nothing half-written on failure; devices and FIFOs written through, see <see cref="AtomicFile"/>).
/// </summary>
internal static class CliOutput
{
    /// <summary>Whether <c>--output</c> names standard output.</summary>
    public static bool IsStandardOutput(string? output) => output is null or "-";

    public static async Task EmitAsync(string? output, TextWriter stdout, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        if (IsStandardOutput(output))
        {
            using var buffer = new MemoryStream();
            await write(buffer, cancellationToken);
            await stdout.WriteAsync(Encoding.UTF8.GetString(buffer.ToArray()));
            await stdout.FlushAsync(cancellationToken);
        }
        else
        {
            await AtomicFile.WriteAsync(output!, write, cancellationToken);
        }
    }

    /// <summary>UTF-8 without a byte-order mark.</summary>
    public static async Task WriteTextAsync(Stream stream, string text, CancellationToken cancellationToken)
        => await stream.WriteAsync(new UTF8Encoding(false).GetBytes(text), cancellationToken);
}
