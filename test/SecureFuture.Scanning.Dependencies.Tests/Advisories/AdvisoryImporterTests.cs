using System.IO.Compression;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Advisories;

namespace SecureFuture.Scanning.Dependencies.Tests.Advisories;

public sealed class AdvisoryImporterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sfi-import-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 10, 12, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>An archive laid out like OSV's per-ecosystem all.zip: one &lt;id&gt;.json per record at the top.</summary>
    private string AllZip(string ecosystemFolder, string name = "all.zip", Action<ZipArchive>? extra = null)
    {
        var path = Path.Combine(_dir, name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(TestData.Ghsa, ecosystemFolder), "*.json"))
            {
                zip.CreateEntryFromFile(file, Path.GetFileName(file));
            }

            extra?.Invoke(zip);
        }

        return path;
    }

    private Task<ImportResult> Import(params string[] sources) => AdvisoryImporter.ImportAsync(sources, DataDir, _clock);

    private byte[] IndexBytes() => File.ReadAllBytes(AdvisoryDatabase.IndexPath(DataDir));

    [Fact]
    public async Task An_osv_all_zip_imports_every_record_and_keeps_the_import_date()
    {
        var result = await Import(AllZip("npm"));
        Assert.Equal(15, result.RecordsRead);
        Assert.Equal(15, result.Info.Advisories);
        var database = AdvisoryDatabase.Open(DataDir);
        Assert.Equal(_clock.GetUtcNow(), database.Index.Info.ImportedAt);
        Assert.NotEmpty(database.Index.For(Ecosystems.Npm, "lodash"));
    }

    [Fact]
    public async Task Directories_of_json_and_yaml_records_import_with_duplicates_counted_once()
    {
        var result = await Import(TestData.Ghsa, TestData.Pypa, Path.Combine(TestData.Ghsa, "npm", "GHSA-c4w7-xm78-47vh.json"));
        Assert.Equal(60 + 22 + 1, result.RecordsRead);
        Assert.Equal(1, result.Duplicates);
        Assert.Equal(60 + 22 - 4, result.Info.Advisories); // 2 GHSA and 2 PyPA records are withdrawn
        Assert.Equal(4, result.Info.Withdrawn);
    }

    [Fact]
    public async Task A_truncated_archive_is_refused_and_the_previous_index_kept()
    {
        await Import(AllZip("nuget"));
        var before = IndexBytes();
        var npm = File.ReadAllBytes(AllZip("npm", "npm.zip"));
        var truncated = Path.Combine(_dir, "truncated.zip");
        File.WriteAllBytes(truncated, npm[..(npm.Length / 2)]);

        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(truncated));
        Assert.Contains("corrupt or truncated", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, IndexBytes());
        Assert.Empty(Directory.EnumerateFiles(DataDir, ".*")); // no temporary file left behind
    }

    [Fact]
    public async Task A_corrupt_entry_is_refused_and_the_previous_index_kept()
    {
        await Import(AllZip("nuget"));
        var before = IndexBytes();
        var bytes = File.ReadAllBytes(AllZip("npm", "npm.zip"));
        // Flip bytes inside the first entry's compressed data (after its 30-byte local header and name).
        for (var i = 200; i < 260; i++)
        {
            bytes[i] ^= 0x5A;
        }

        var corrupt = Path.Combine(_dir, "corrupt.zip");
        File.WriteAllBytes(corrupt, bytes);
        await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(corrupt));
        Assert.Equal(before, IndexBytes());
    }

    [Theory]
    [InlineData("../evil.json")]
    [InlineData("a/../../evil.json")]
    [InlineData("/etc/evil.json")]
    [InlineData("..\\evil.json")]
    [InlineData("C:/evil.json")]
    public async Task Path_traversal_entries_are_refused(string entryName)
    {
        var zip = AllZip("go", extra: z =>
        {
            using var s = z.CreateEntry(entryName).Open();
            s.Write(File.ReadAllBytes(Path.Combine(TestData.Ghsa, "npm", "GHSA-c4w7-xm78-47vh.json")));
        });
        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(zip));
        Assert.Contains("path traversal", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(AdvisoryDatabase.IndexPath(DataDir)));
    }

    [Fact]
    public async Task A_zip_bomb_is_refused_before_it_is_inflated()
    {
        var zip = AllZip("go", extra: z =>
        {
            using var s = z.CreateEntry("GHSA-bomb.json", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 8; i++)
            {
                s.Write(zeros); // 8 MiB that deflate to ~8 KiB (about 1000:1): a ratio no JSON record has
            }
        });
        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(zip));
        Assert.Contains("zip bomb", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_that_inflates_past_its_declared_size_is_refused()
    {
        var zip = AllZip("go", extra: z =>
        {
            using var s = z.CreateEntry("GHSA-liar.json").Open();
            s.Write(new byte[100_000]);
        });
        // Rewrite the entry's uncompressed size (local header offset 22, central directory offset 24) to 1,000 bytes.
        var bytes = File.ReadAllBytes(zip);
        var name = "GHSA-liar.json"u8.ToArray();
        foreach (var (signature, sizeOffset, nameOffset) in new[] { (0x04034b50, 22, 30), (0x02014b50, 24, 46) })
        {
            for (var i = 0; i + nameOffset + name.Length <= bytes.Length; i++)
            {
                if (BitConverter.ToInt32(bytes, i) == signature && bytes.AsSpan(i + nameOffset, name.Length).SequenceEqual(name))
                {
                    BitConverter.GetBytes(1_000).CopyTo(bytes, i + sizeOffset);
                }
            }
        }

        File.WriteAllBytes(zip, bytes);
        await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(zip));
        Assert.False(File.Exists(AdvisoryDatabase.IndexPath(DataDir)));
    }

    [Fact]
    public async Task An_archive_is_downloaded_from_a_url_and_an_http_error_is_refused()
    {
        var zip = File.ReadAllBytes(AllZip("crates.io"));
        using var listener = new System.Net.HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await listener.GetContextAsync();
                if (context.Request.Url!.AbsolutePath == "/crates.io/all.zip")
                {
                    await context.Response.OutputStream.WriteAsync(zip);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }

                context.Response.Close();
            }
        });
        using var http = new HttpClient();

        var result = await AdvisoryImporter.ImportAsync([$"http://127.0.0.1:{port}/crates.io/all.zip"], DataDir, _clock, http);
        Assert.Equal(10, result.Info.Advisories);
        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => AdvisoryImporter.ImportAsync([$"http://127.0.0.1:{port}/npm/all.zip"], DataDir, _clock, http));
        Assert.Contains("HTTP 404", e.Message, StringComparison.Ordinal);
        Assert.Equal(10, AdvisoryDatabase.Open(DataDir).Index.Info.Advisories);
        Assert.Empty(Directory.EnumerateFiles(DataDir, ".download-*")); // the download is removed either way
        await serving;
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        socket.Start();
        return ((System.Net.IPEndPoint)socket.LocalEndpoint).Port;
    }

    [Fact]
    public async Task A_record_larger_than_the_limit_is_refused()
    {
        var zip = AllZip("go", extra: z =>
        {
            using var s = z.CreateEntry("GHSA-big.json", CompressionLevel.NoCompression).Open();
            s.Write(new byte[300_000]);
        });
        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() =>
            AdvisoryImporter.ImportAsync([zip], DataDir, _clock, limits: new ImportLimits(MaxRecordBytes: 200_000)));
        Assert.Contains("GHSA-big.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_that_is_not_json_is_refused_naming_file_line_and_column()
    {
        await Import(AllZip("nuget"));
        var before = IndexBytes();
        var records = Path.Combine(_dir, "records");
        Directory.CreateDirectory(records);
        File.Copy(Path.Combine(TestData.Ghsa, "npm", "GHSA-c4w7-xm78-47vh.json"), Path.Combine(records, "a.json"));
        File.WriteAllText(Path.Combine(records, "b.json"), "{\n  \"id\": \"OSV-1\",\n  \"affected\": [,]\n}");

        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(records));
        Assert.Contains($"{Path.Combine(records, "b.json")}:3:", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, IndexBytes());
    }

    [Fact]
    public async Task Hidden_folders_of_a_cloned_advisory_repository_are_not_read_as_records()
    {
        var clone = Path.Combine(_dir, "advisory-database");
        Directory.CreateDirectory(Path.Combine(clone, ".github", "workflows"));
        Directory.CreateDirectory(Path.Combine(clone, "vulns", "aiohttp"));
        File.WriteAllText(Path.Combine(clone, ".github", "workflows", "ci.yml"), "on: [push]\njobs: {}\n");
        File.Copy(Path.Combine(TestData.Pypa, "aiohttp", "PYSEC-2021-76.yaml"), Path.Combine(clone, "vulns", "aiohttp", "PYSEC-2021-76.yaml"));
        Assert.Equal(1, (await Import(clone)).Info.Advisories);
    }

    [Fact]
    public async Task A_record_without_an_id_is_refused()
    {
        var file = Path.Combine(_dir, "noid.json");
        File.WriteAllText(file, """{"affected": []}""");
        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(file));
        Assert.Contains("\"id\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_source_is_refused()
    {
        var e = await Assert.ThrowsAsync<AdvisoryImportException>(() => Import(Path.Combine(_dir, "nothing-here.zip")));
        Assert.Contains("no such file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_index_is_refused_when_opened()
    {
        await Import(AllZip("go"));
        var path = AdvisoryDatabase.IndexPath(DataDir);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputException>(() => AdvisoryDatabase.Open(DataDir));
        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        Assert.Throws<InputException>(() => AdvisoryDatabase.Open(DataDir));
    }

    [Fact]
    public async Task The_kev_catalogue_flags_its_cves_and_survives_a_later_advisory_import()
    {
        var kev = Path.Combine(_dir, "known_exploited_vulnerabilities.json");
        await File.WriteAllTextAsync(kev, KevSample);
        await AdvisoryImporter.ImportKevAsync(kev, DataDir);
        await Import(TestData.Ghsa); // a later update without --kev keeps the catalogue

        var database = AdvisoryDatabase.Open(DataDir);
        Assert.Equal("2024.12.04", database.Kev!.CatalogVersion);
        var log4j = Assert.Single(database.Matcher().Match([new ResolvedPackage(Ecosystems.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", true, [], "pom.xml", 30, [])]));
        var advisory = Assert.Single(log4j.Advisories);
        Assert.Equal("GHSA-jfh8-c2jp-5v3q", advisory.Id);
        Assert.True(advisory.KnownExploited);
        Assert.Equal(Severity.Critical, advisory.Severity.Level);
        var guava = Assert.Single(database.Matcher().Match([new ResolvedPackage(Ecosystems.Maven, "com.google.guava:guava", "30.0-jre", true, [], "pom.xml", 31, [])]));
        Assert.False(Assert.Single(guava.Advisories).KnownExploited);
    }

    [Fact]
    public async Task A_file_that_is_not_a_kev_catalogue_is_refused()
    {
        var file = Path.Combine(_dir, "kev.json");
        await File.WriteAllTextAsync(file, """{"vulnerabilities": [{"cve": "CVE-2021-44228"}]}""");
        await Assert.ThrowsAsync<AdvisoryImportException>(() => AdvisoryImporter.ImportKevAsync(file, DataDir));
        Assert.False(File.Exists(AdvisoryDatabase.KevPath(DataDir)));
    }

    [Fact]
    public async Task An_index_older_than_seven_days_warns()
    {
        var info = (await Import(AllZip("go"))).Info;
        Assert.Null(info.StalenessWarning(_clock.GetUtcNow().AddDays(7)));
        var warning = info.StalenessWarning(_clock.GetUtcNow().AddDays(8));
        Assert.Contains("2024-10-12", warning, StringComparison.Ordinal);
        Assert.Contains("8 days ago", warning, StringComparison.Ordinal);
    }

    // Two entries of CISA's catalogue as its JSON feed publishes them (fields abridged to those of one entry).
    private const string KevSample = """
        {
          "title": "CISA Catalog of Known Exploited Vulnerabilities",
          "catalogVersion": "2024.12.04",
          "dateReleased": "2024-12-04T17:01:34.0458Z",
          "count": 2,
          "vulnerabilities": [
            {
              "cveID": "CVE-2021-44228",
              "vendorProject": "Apache",
              "product": "Log4j2",
              "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
              "dateAdded": "2021-12-10",
              "shortDescription": "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.",
              "requiredAction": "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.",
              "dueDate": "2021-12-24",
              "knownRansomwareCampaignUse": "Known",
              "notes": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
              "cwes": ["CWE-20", "CWE-400", "CWE-502"]
            },
            {
              "cveID": "CVE-2022-22965",
              "vendorProject": "VMware",
              "product": "Spring Framework",
              "vulnerabilityName": "Spring Framework JDK 9+ Remote Code Execution Vulnerability",
              "dateAdded": "2022-04-04",
              "shortDescription": "Spring Framework JDK 9+ contains a remote code execution vulnerability.",
              "requiredAction": "Apply updates per vendor instructions.",
              "dueDate": "2022-04-25",
              "knownRansomwareCampaignUse": "Unknown",
              "notes": "https://nvd.nist.gov/vuln/detail/CVE-2022-22965",
              "cwes": ["CWE-94"]
            }
          ]
        }
        """;
}
