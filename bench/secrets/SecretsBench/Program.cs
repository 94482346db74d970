// The secret analyzer alone (keywords, windows and patterns, encoded values) and the lines-of-code count, over every
// text file of a tree read into memory first, one thread, CPU time per pass. Usage: SecretsBench TREE PASSES.
// Prints one line per pass: "pass N analyze-ms lines-ms detections"; the first pass includes the JIT.
using System.Diagnostics;
using System.Globalization;
using SecureFuture.Core;
using SecureFuture.Scanning;
using SecureFuture.Scanning.Secrets;

if (args.Length != 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var passes) || passes < 1)
{
    Console.Error.WriteLine("usage: SecretsBench TREE PASSES");
    return 2;
}

var root = Path.GetFullPath(args[0]);
var files = new List<(string Path, byte[] Bytes)>();
foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Order(StringComparer.Ordinal))
{
    var bytes = File.ReadAllBytes(file);
    if (bytes.Length > 0 && bytes.Length <= 10 << 20 && TextDecoder.Read(file, bytes) is not null)
    {
        files.Add((Path.GetRelativePath(root, file).Replace('\\', '/'), bytes));
    }
}

var analyzer = new SecretAnalyzer(SecretRuleCatalog.Default);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"files {files.Count} bytes {files.Sum(f => (long)f.Bytes.Length)} non-ascii {files.Count(f => !System.Text.Ascii.IsValid(f.Bytes))}"));
for (var pass = 0; pass < passes; pass++)
{
    var sink = new CountingSink();
    var start = CpuTime();
    foreach (var (path, bytes) in files)
    {
        analyzer.Analyze(TextDecoder.Read(path, bytes)!, sink, CancellationToken.None);
    }

    var analyzed = CpuTime();
    long lines = 0;
    foreach (var (path, bytes) in files)
    {
        LanguageInventory.Count(TextDecoder.Read(path, bytes)!, (_, value) => lines += value);
    }

    var counted = CpuTime();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"pass {pass} {(analyzed - start).TotalMilliseconds:F0} {(counted - analyzed).TotalMilliseconds:F0} {sink.Detections} {lines}"));
}

return 0;

static TimeSpan CpuTime() => Process.GetCurrentProcess().TotalProcessorTime;

internal sealed class CountingSink : IDetectionSink
{
    public int Detections { get; private set; }

    public void Report(Detection detection) => Detections++;

    public void Notify(Notification notification)
    {
    }
}
