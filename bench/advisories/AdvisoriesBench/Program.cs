// AdvisoriesBench: generate an OSV all.zip of N advisories, time an import, time matching N packages.
//   generate OUT.zip N          N advisories across the six ecosystems, laid out like OSV's all.zip
//   import DATADIR SOURCE...    AdvisoryImporter.ImportAsync (what `sfi advisories update --source` runs)
//   match DATADIR N             AdvisoryDatabase.Open + AdvisoryMatcher.Match over N generated packages
// Each prints one line of key=value pairs.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using SecureFuture.Scanning.Dependencies;
using SecureFuture.Scanning.Dependencies.Advisories;

var ecosystems = new[] { Ecosystems.NuGet, Ecosystems.Npm, Ecosystems.PyPI, Ecosystems.Maven, Ecosystems.Go, Ecosystems.Cargo };
const int NamesPerEcosystem = 10_000;

string Name(string ecosystem, int i) => ecosystem switch
{
    Ecosystems.Maven => $"org.example.gen{i % 97}:artifact-{i}",
    Ecosystems.Go => $"example.com/gen/module{i}",
    Ecosystems.NuGet => $"Example.Generated.Package{i}",
    _ => $"generated-package-{i}",
};

string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

void Range(Utf8JsonWriter w, params (string Kind, string Version)[] events)
{
    w.WriteStartObject();
    w.WriteString("type", "ECOSYSTEM");
    w.WriteStartArray("events");
    foreach (var (kind, version) in events)
    {
        w.WriteStartObject();
        w.WriteString(kind, version);
        w.WriteEndObject();
    }

    w.WriteEndArray();
    w.WriteEndObject();
}

switch (args.FirstOrDefault())
{
    case "generate":
        {
            var output = args[1];
            var count = int.Parse(args[2], CultureInfo.InvariantCulture);
            var random = new Random(18);
            var vectors = new[]
            {
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
        };
            using var zip = ZipFile.Open(output, ZipArchiveMode.Create);
            for (var i = 0; i < count; i++)
            {
                var ecosystem = ecosystems[i % ecosystems.Length];
                var name = Name(ecosystem, random.Next(NamesPerEcosystem));
                int major = random.Next(0, 6), minor = random.Next(0, 20);
                var id = Invariant($"GHSA-gen{i:x7}");
                using var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WriteString("schema_version", "1.6.0");
                    w.WriteString("id", id);
                    w.WriteString("modified", "2024-10-01T00:00:00Z");
                    w.WriteString("published", "2024-09-01T00:00:00Z");
                    w.WriteStartArray("aliases");
                    w.WriteStringValue(Invariant($"CVE-2024-{10000 + i}"));
                    w.WriteEndArray();
                    w.WriteString("summary", Invariant($"Generated advisory {i} for {name}"));
                    w.WriteString("details", "A generated advisory for benchmarks.");
                    if (i % 5 != 0)
                    {
                        var vector = vectors[i % vectors.Length];
                        w.WriteStartArray("severity");
                        w.WriteStartObject();
                        w.WriteString("type", vector.StartsWith("CVSS:4", StringComparison.Ordinal) ? "CVSS_V4" : "CVSS_V3");
                        w.WriteString("score", vector);
                        w.WriteEndObject();
                        w.WriteEndArray();
                    }

                    w.WriteStartArray("affected");
                    w.WriteStartObject();
                    w.WriteStartObject("package");
                    w.WriteString("ecosystem", ecosystem);
                    w.WriteString("name", name);
                    w.WriteEndObject();
                    w.WriteStartArray("ranges");
                    Range(w, ("introduced", i % 4 == 0 ? "0" : Invariant($"{major}.{minor}.0")), ("fixed", Invariant($"{major}.{minor}.{random.Next(1, 30)}")));
                    if (i % 3 == 0)
                    {
                        Range(w, ("introduced", Invariant($"{major + 1}.0.0")), ("last_affected", Invariant($"{major + 1}.{minor}.4")));
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteStartObject("database_specific");
                    w.WriteString("severity", "HIGH");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                using var stream = zip.CreateEntry(id + ".json", CompressionLevel.Fastest).Open();
                buffer.Position = 0;
                buffer.CopyTo(stream);
            }

            Console.WriteLine(Invariant($"advisories={count} zip_mb={new FileInfo(output).Length / 1e6:F1}"));
            break;
        }

    case "import":
        {
            var watch = Stopwatch.StartNew();
            var result = await AdvisoryImporter.ImportAsync(args[2..], args[1], TimeProvider.System);
            watch.Stop();
            Console.WriteLine(Invariant($"seconds={watch.Elapsed.TotalSeconds:F2} cpu_seconds={Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F2} records={result.RecordsRead} advisories={result.Info.Advisories} withdrawn={result.Info.Withdrawn} packages={result.Info.Packages} index_mb={new FileInfo(result.IndexPath).Length / 1e6:F1} peak_rss_mb={Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0}"));
            break;
        }

    case "match":
        {
            var count = int.Parse(args[2], CultureInfo.InvariantCulture);
            var random = new Random(20_000);
            // Real PyPI names with versions the PyPA database covers, and generated names of every ecosystem, half of
            // them named by generated advisories; versions across the ranges.
            string[] pypi = ["django", "jinja2", "aiohttp", "pillow", "requests", "urllib3", "cryptography", "pyyaml", "numpy", "tensorflow"];
            var packages = new List<ResolvedPackage>(count);
            for (var i = 0; i < count; i++)
            {
                var version = Invariant($"{random.Next(0, 6)}.{random.Next(0, 20)}.{random.Next(0, 30)}");
                var ecosystem = ecosystems[i % ecosystems.Length];
                var (eco, name) = (i % 10 == 0 && Environment.GetEnvironmentVariable("BENCH_ONLY") != "generated") || Environment.GetEnvironmentVariable("BENCH_ONLY") == "pypa" ? (Ecosystems.PyPI, pypi[random.Next(pypi.Length)])
                    : i % 2 == 0 ? (ecosystem, Name(ecosystem, random.Next(NamesPerEcosystem)))
                    : (ecosystem, Name(ecosystem, NamesPerEcosystem + i));
                if (eco == Ecosystems.Go)
                {
                    version = "v" + version;
                }

                packages.Add(new ResolvedPackage(eco, name, version, i % 3 == 0, i % 3 == 0 ? [] : ["parent"], "lock", i + 1, []));
            }

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var database = AdvisoryDatabase.Open(args[1]);
            var open = watch.Elapsed.TotalSeconds;
            var results = database.Matcher().Match(packages);
            var total = watch.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            // A second pass over the same packages in the same process: what remains once code is compiled and records decoded.
            watch.Restart();
            database.Matcher().Match(packages);
            var warm = watch.Elapsed.TotalSeconds;
            Console.WriteLine(Invariant($"open_seconds={open:F2} match_seconds={total - open:F2} total_seconds={total:F2} cpu_seconds={cpu:F2} warm_match_seconds={warm:F2} packages={count} vulnerable={results.Count(r => r.Advisories.Count > 0)} findings={results.Sum(r => r.Advisories.Count)} with_fix={results.Count(r => r.SmallestFix is not null)} problems={results.Sum(r => r.Problems.Count)} peak_rss_mb={Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0}"));
            break;
        }

    default:
        Console.Error.WriteLine("usage: AdvisoriesBench generate OUT.zip N | import DATADIR SOURCE... | match DATADIR N");
        return 2;
}

return 0;
