using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Dependencies.Advisories;

/// <summary>An import refused: the source is unusable, and the previous index is kept as it was.</summary>
public sealed class AdvisoryImportException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Bounds that keep a hostile archive from exhausting memory or disk: a zip bomb declares (or inflates to) far more than
/// OSV's largest records, with a compression ratio no JSON record has.
/// </summary>
public sealed record ImportLimits(long MaxRecordBytes = 64L << 20, long MaxTotalBytes = 16L << 30, int MaxEntries = 5_000_000, int MaxCompressionRatio = 200)
{
    public static ImportLimits Default { get; } = new();
}

/// <summary>What an import produced.</summary>
public sealed record ImportResult(IndexInfo Info, string IndexPath, int RecordsRead, int Duplicates);

/// <summary>
/// <c>sfi advisories update</c>: reads OSV records from per-ecosystem <c>all.zip</c> archives (files or URLs), directories
/// of <c>.json</c>/<c>.yaml</c> records, or single record files; builds the whole index in memory; and only then
/// replaces the index in the data directory atomically. Any fault (a truncated or corrupt archive, a record that is not
/// an OSV record, an entry that escapes the archive, a zip bomb) refuses the whole import and leaves the previous
/// index as it was: a partial database would report "no vulnerabilities" for everything it lost.
/// </summary>
public static class AdvisoryImporter
{
    /// <summary>OSV's published per-ecosystem archives of the six ecosystems, the default sources.</summary>
    public static IReadOnlyList<string> DefaultSources { get; } =
        [.. new[] { Ecosystems.NuGet, Ecosystems.Npm, Ecosystems.PyPI, Ecosystems.Maven, Ecosystems.Go, Ecosystems.Cargo }
            .Select(e => $"https://osv-vulnerabilities.storage.googleapis.com/{Uri.EscapeDataString(e)}/all.zip")];

    public static async Task<ImportResult> ImportAsync(
        IReadOnlyList<string> sources, string dataDirectory, TimeProvider clock, HttpClient? http = null, ImportLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentNullException.ThrowIfNull(clock);
        limits ??= ImportLimits.Default;
        Directory.CreateDirectory(dataDirectory);

        var byId = new Dictionary<string, OsvRecord>(StringComparer.Ordinal);
        var read = 0;
        var duplicates = 0;
        void Add(OsvRecord record)
        {
            read++;
            if (byId.TryGetValue(record.Id, out var existing))
            {
                duplicates++;
                if ((record.Modified ?? DateTimeOffset.MinValue) <= (existing.Modified ?? DateTimeOffset.MinValue))
                {
                    return; // the newest version of a record wins
                }
            }

            byId[record.Id] = record;
        }

        foreach (var source in sources)
        {
            if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            {
                var download = Path.Combine(dataDirectory, $".download-{Guid.NewGuid():N}.zip");
                try
                {
                    await DownloadAsync(http ?? throw new AdvisoryImportException($"{source}: downloads are not available here"), uri, download, limits, cancellationToken);
                    ReadArchive(download, source, limits, Add, cancellationToken);
                }
                finally
                {
                    File.Delete(download);
                }
            }
            else if (Directory.Exists(source))
            {
                // Hidden files and folders (.git, .github workflows of a cloned advisory repository) are no records.
                foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                    .Where(f => IsRecordFile(f) && !Path.GetRelativePath(source, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                    .Order(StringComparer.Ordinal))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    ReadRecords(File.ReadAllBytes(file), file, file, Add);
                }
            }
            else if (File.Exists(source))
            {
                if (IsZip(source))
                {
                    ReadArchive(source, source, limits, Add, cancellationToken);
                }
                else
                {
                    ReadRecords(File.ReadAllBytes(source), source, source, Add);
                }
            }
            else
            {
                throw new AdvisoryImportException($"{source}: no such file, directory or http(s) URL");
            }
        }

        var path = AdvisoryDatabase.IndexPath(dataDirectory);
        IndexInfo? info = null;
        await AtomicFile.WriteAsync(path, (stream, ct) =>
        {
            info = AdvisoryIndex.Write(byId.Values.OrderBy(r => r.Id, StringComparer.Ordinal), clock.GetUtcNow(), [.. sources], stream);
            return Task.CompletedTask;
        }, cancellationToken);
        return new ImportResult(info!, path, read, duplicates);
    }

    /// <summary>Reads a CISA KEV catalogue (file or URL) and replaces the data directory's copy atomically.</summary>
    public static async Task<KevCatalog> ImportKevAsync(string source, string dataDirectory, HttpClient? http = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        byte[] bytes;
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            bytes = await (http ?? throw new AdvisoryImportException($"{source}: downloads are not available here")).GetByteArrayAsync(uri, cancellationToken);
        }
        else if (File.Exists(source))
        {
            bytes = await File.ReadAllBytesAsync(source, cancellationToken);
        }
        else
        {
            throw new AdvisoryImportException($"{source}: no such file or http(s) URL");
        }

        KevCatalog catalog;
        try
        {
            catalog = KevCatalog.Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new AdvisoryImportException($"{source}: {e.Message}", e);
        }

        Directory.CreateDirectory(dataDirectory);
        await AtomicFile.WriteAsync(AdvisoryDatabase.KevPath(dataDirectory), async (stream, ct) =>
            await JsonSerializer.SerializeAsync(stream, new KevFile(catalog.CatalogVersion, [.. catalog.CveIds]), KevFileContext.Default.KevFile, ct), cancellationToken);
        return catalog;
    }

    private static bool IsRecordFile(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static bool IsZip(string path)
    {
        if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        return stream.Read(head) == 2 && head[0] == (byte)'P' && head[1] == (byte)'K';
    }

    private static async Task DownloadAsync(HttpClient http, Uri uri, string path, ImportLimits limits, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new AdvisoryImportException($"{uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var file = File.Create(path);
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if ((total += n) > limits.MaxTotalBytes)
                {
                    throw new AdvisoryImportException($"{uri}: larger than {limits.MaxTotalBytes} bytes; refused");
                }

                await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            }
        }
        catch (HttpRequestException e)
        {
            throw new AdvisoryImportException($"{uri}: cannot download: {e.Message}", e);
        }
    }

    private static void ReadArchive(string path, string source, ImportLimits limits, Action<OsvRecord> add, CancellationToken cancellationToken)
    {
        try
        {
            using var archive = ZipFile.OpenRead(path);
            if (archive.Entries.Count > limits.MaxEntries)
            {
                throw new AdvisoryImportException($"{source}: {archive.Entries.Count} entries, more than the {limits.MaxEntries} allowed; refused");
            }

            long total = 0;
            foreach (var entry in archive.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = entry.FullName;
                // Nothing is extracted to disk, but an entry that would escape its directory marks a crafted archive.
                if (name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('/') || name.Contains(':', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal)
                    || name.Split('/').Any(part => part == ".."))
                {
                    throw new AdvisoryImportException($"{source}: entry '{name}' points outside the archive (path traversal); refused");
                }

                if (name.EndsWith('/') || !IsRecordFile(name))
                {
                    continue;
                }

                if (entry.Length > limits.MaxRecordBytes || (total += entry.Length) > limits.MaxTotalBytes
                    || (entry.Length > 1 << 20 && entry.Length > entry.CompressedLength * limits.MaxCompressionRatio))
                {
                    throw new AdvisoryImportException($"{source}!{name}: expands to {entry.Length} bytes from {entry.CompressedLength} (a zip bomb?); refused");
                }

                ReadRecords(ReadBounded(entry, source), $"{source}!{name}", name, add);
            }
        }
        catch (InvalidDataException e)
        {
            throw new AdvisoryImportException($"{source}: the archive is corrupt or truncated ({e.Message}); refused", e);
        }
    }

    // The declared size is the header's word: never read more than it, nor more than the limit.
    private static byte[] ReadBounded(ZipArchiveEntry entry, string source)
    {
        using var stream = entry.Open();
        var buffer = new byte[entry.Length];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0)
        {
            read += n;
        }

        if (read != buffer.Length)
        {
            throw new AdvisoryImportException($"{source}!{entry.FullName}: the entry is truncated ({read} of {entry.Length} bytes); refused");
        }

        if (stream.ReadByte() >= 0)
        {
            throw new AdvisoryImportException($"{source}!{entry.FullName}: inflates past its declared {entry.Length} bytes (a zip bomb?); refused");
        }

        return buffer;
    }

    private static void ReadRecords(byte[] bytes, string where, string name, Action<OsvRecord> add)
    {
        try
        {
            if (name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            {
                add(OsvReader.ReadYaml(Encoding.UTF8.GetString(bytes)));
                return;
            }

            // One record, or an array of records.
            var span = bytes.AsSpan().TrimStart(" \t\r\n\uFEFF"u8);
            if (span.Length > 0 && span[0] == (byte)'[')
            {
                using var document = JsonDocument.Parse(bytes);
                foreach (var element in document.RootElement.EnumerateArray())
                {
                    add(OsvReader.Read(element));
                }
            }
            else
            {
                add(OsvReader.ReadJson(bytes));
            }
        }
        catch (OsvFormatException e)
        {
            var at = e.Line is null ? "" : e.Column is null ? $":{e.Line}" : $":{e.Line}:{e.Column}";
            throw new AdvisoryImportException($"{where}{at}: {e.Message}; refused", e);
        }
        catch (JsonException e)
        {
            throw new AdvisoryImportException($"{where}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not JSON: {e.Message}; refused", e);
        }
    }
}
