using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using SecureFuture.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// <c>sfi serve</c> and <c>sfi keys</c> as a user runs them: the real default SoftHSM2 token under the data directory,
/// SQLite, real HTTP on 127.0.0.1. (This test process loads the SoftHSM2 module for one server at a time.)
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class ServeAndKeysCommandTests
{
    [Fact]
    public async Task Serve_prints_the_admin_key_once_and_keys_administers_it_and_audit_verify_catches_tampering()
    {
        var dataDir = Directory.CreateTempSubdirectory("sfi-serve-cli-").FullName;
        var keyFile = Path.Combine(dataDir, "..", Path.GetFileName(dataDir) + ".admin-key");
        try
        {
            string adminKey;
            await using (var serve = await Serve.StartAsync(dataDir))
            {
                adminKey = AdminKeyLine().Match(serve.Output).Groups["key"].Value;
                Assert.StartsWith("sfi_admin_", adminKey, StringComparison.Ordinal);
                await File.WriteAllTextAsync(keyFile, adminKey + "\n");
                string[] common = ["--server", serve.Url, "--admin-key-file", keyFile];

                var (exit, output, error) = await CliRunner.RunAsync(["keys", "create", "payments", "--rotation-period", "PT1H", "--pre-publication", "PT10M", "--issuer", "https://id.example.test", "--audience", "api://payments", .. common]);
                Assert.True(exit == 0, error);
                Assert.Contains("payments: ES256, rotation PT1H, pre-publication PT10M", output, StringComparison.Ordinal);
                Assert.Contains("scope: issuer https://id.example.test, audiences api://payments", output, StringComparison.Ordinal);

                (exit, output, _) = await CliRunner.RunAsync(["keys", "list", .. common]);
                Assert.Equal(0, exit);
                Assert.Contains("default (default)", output, StringComparison.Ordinal);
                Assert.Contains("payments", output, StringComparison.Ordinal);

                (exit, output, _) = await CliRunner.RunAsync(["keys", "show", "payments", "--format", "json", .. common]);
                Assert.Equal(0, exit);
                var first = (string)JsonNode.Parse(output)!["activeKid"]!;

                (exit, output, _) = await CliRunner.RunAsync(["keys", "rotate", "payments", "--reason", "drill", .. common]);
                Assert.Equal(0, exit);
                Assert.Contains("signs from now on", output, StringComparison.Ordinal);
                (_, output, _) = await CliRunner.RunAsync(["keys", "show", "payments", "--format", "json", .. common]);
                var ring = JsonNode.Parse(output)!;
                Assert.NotEqual(first, (string)ring["activeKid"]!);
                Assert.Equal("retiring", (string)ring["versions"]!.AsArray().Single(v => (string)v!["kid"]! == first)!["state"]!);

                // Refusals: bad policy, wrong key, unknown ring, unreachable server.
                (exit, _, error) = await CliRunner.RunAsync(["keys", "create", "slow", "--rotation-period", "PT5S", .. common]);
                Assert.Equal(2, exit);
                Assert.Contains("400", error, StringComparison.Ordinal);
                Assert.Contains("below the minimum", error, StringComparison.Ordinal);
                var wrongKey = keyFile + ".wrong";
                await File.WriteAllTextAsync(wrongKey, "sfi_admin_wrong_wrong_wrong_wrong");
                (exit, _, error) = await CliRunner.RunAsync(["keys", "list", "--server", serve.Url, "--admin-key-file", wrongKey]);
                Assert.Equal(2, exit);
                Assert.Contains("401", error, StringComparison.Ordinal);
                Assert.DoesNotContain("sfi_admin_wrong", error, StringComparison.Ordinal);
                (exit, _, error) = await CliRunner.RunAsync(["keys", "show", "nope", .. common]);
                Assert.Equal(2, exit);
                Assert.Contains("no key ring named 'nope'", error, StringComparison.Ordinal);

                // A second server on the same SQLite data directory is refused.
                (exit, _, error) = await RunSystemClockAsync(["serve", "--data-dir", dataDir, "--urls", "http://127.0.0.1:0"], TimeSpan.FromSeconds(30));
                Assert.Equal(2, exit);
                Assert.Contains("another sfi serve is using", error, StringComparison.Ordinal);

                // The scheduler signs a checkpoint over the records so far on its next pass.
                await CheckpointedAsync(Path.Combine(dataDir, "sfi.db"));
            }

            var unreachable = await CliRunner.RunAsync(["keys", "list", "--server", "http://127.0.0.1:9", "--admin-key-file", keyFile]);
            Assert.Equal(2, unreachable.Exit);
            Assert.Contains("cannot reach", unreachable.Err, StringComparison.Ordinal);

            // A restart shows no key: it exists only as a hash.
            await using (var again = await Serve.StartAsync(dataDir))
            {
                Assert.DoesNotContain("sfi_admin_", again.Output, StringComparison.Ordinal);
                Assert.DoesNotContain(adminKey, await File.ReadAllTextAsync(Path.Combine(dataDir, "sfi.db")), StringComparison.Ordinal);
            }

            var verified = await CliRunner.RunAsync(["keys", "audit", "verify", "--data-dir", dataDir]);
            Assert.True(verified.Exit == 0, verified.Out + verified.Err);
            Assert.Contains("audit log intact", verified.Out, StringComparison.Ordinal);

            // Someone with access to the database rewrites who rotated the key.
            await using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "sfi.db")};Pooling=false"))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "DROP TRIGGER audit_records_no_update; UPDATE audit_records SET actor = 'scheduler' WHERE action = 'key.activated' AND details LIKE '%drill%'";
                Assert.Equal(1, await command.ExecuteNonQueryAsync());
            }

            var tampered = await CliRunner.RunAsync(["keys", "audit", "verify", "--data-dir", dataDir, "--format", "json"]);
            Assert.Equal(1, tampered.Exit);
            var report = JsonNode.Parse(tampered.Out)!;
            Assert.False((bool)report["intact"]!);
            Assert.Contains(report["problems"]!.AsArray(), p => ((string)p!).Contains("edited", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            File.Delete(keyFile);
            File.Delete(keyFile + ".wrong");
        }
    }

    [Theory]
    [InlineData("show", "../x")]
    [InlineData("show", "team/app")]
    [InlineData("show", "Payments")]
    [InlineData("rotate", "..")]
    [InlineData("create", "a b")]
    public async Task A_key_ring_name_the_server_would_never_accept_is_refused_as_typed_before_any_call(string verb, string name)
    {
        // No server listens on port 9: the name is refused before any call, so the answer cannot be "cannot reach".
        var (exit, _, error) = await CliRunner.RunAsync(["keys", verb, name, "--server", "http://127.0.0.1:9"]);
        Assert.True(exit == Core.ExitCodes.UsageError, $"exit {exit}: {error}");
        Assert.Contains($"name: '{name}' is not a key ring name", error, StringComparison.Ordinal);
        Assert.DoesNotContain("%2F", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("cannot reach", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_options_are_checked_before_anything_starts()
    {
        var (exit, _, error) = await CliRunner.RunAsync(["serve", "--data-dir", Path.GetTempPath(), "--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so"]);
        Assert.Equal(2, exit);
        Assert.Contains("--pkcs11-module needs --token-label and --pin-file", error, StringComparison.Ordinal);

        (exit, _, error) = await CliRunner.RunAsync(["serve", "--data-dir", Path.GetTempPath(), "--pkcs11-module", "/x.so", "--token-label", "t", "--pin-file", "/nonexistent/pin"]);
        Assert.Equal(2, exit);
        Assert.Contains("/nonexistent/pin: the PIN file does not exist", error, StringComparison.Ordinal);

        // Without --data-dir the data lives in ~/.sfi, outside any working tree a scan would read.
        var dataDirDefault = CliApp.CreateRoot(TextWriter.Null, TextWriter.Null, TimeProvider.System).Parse(["serve"]).GetValue<string>("--data-dir");
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sfi"), dataDirDefault);

        (exit, _, error) = await CliRunner.RunAsync(["serve", "--data-dir", Path.GetTempPath(), "--console-origin", "ftp://console.example"]);
        Assert.Equal(2, exit);
        Assert.Contains("--console-origin: 'ftp://console.example' is not an http(s) origin", error, StringComparison.Ordinal);

        (exit, _, error) = await CliRunner.RunAsync(["keys", "audit", "verify", "--data-dir", Path.Combine(Path.GetTempPath(), "no-such-sfi-dir")]);
        Assert.Equal(2, exit);
        Assert.Contains("no sfi.db here", error, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows())
        {
            // A data directory its group may write to: someone else could have replaced the store or the token in it.
            var shared = Directory.CreateTempSubdirectory("sfi-shared-").FullName;
            try
            {
                File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
                (exit, _, error) = await CliRunner.RunAsync(["serve", "--data-dir", shared]);
                Assert.Equal(2, exit);
                Assert.Contains($"--data-dir: {shared} is writable by its group (mode 0770)", error, StringComparison.Ordinal);
            }
            finally
            {
                Directory.Delete(shared, recursive: true);
            }
        }
    }

    /// <summary>Waits (up to 30 s) until the newest audit record of the SQLite store at <paramref name="database"/> is under a signed checkpoint.</summary>
    private static async Task CheckpointedAsync(string database)
    {
        var checkpointed = await Polling.UntilAsync(
            async () =>
            {
                await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT (SELECT MAX(seq) FROM audit_checkpoints) >= (SELECT MAX(seq) FROM audit_records)";
                return await command.ExecuteScalarAsync() is long and 1;
            },
            TimeSpan.FromSeconds(30));
        Assert.True(checkpointed, $"the newest audit record of {database} is not under a signed checkpoint after 30 s");
    }

    private static async Task<(int Exit, string Out, string Err)> RunSystemClockAsync(string[] args, TimeSpan timeout)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancellation = new CancellationTokenSource(timeout);
        var exit = await CliApp.RunAsync(args, stdout, stderr, cancellation.Token, TimeProvider.System);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [GeneratedRegex(@"^\s+(?<key>sfi_admin_[0-9a-f]{64})$", RegexOptions.Multiline)]
    private static partial Regex AdminKeyLine();

    [GeneratedRegex(@"listening on (?<url>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    /// <summary><c>sfi serve</c> running in-process on a free port until disposed.</summary>
    private sealed class Serve : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly StringWriter _stdout = new();
        private readonly StringWriter _stderr = new();
        private Task<int>? _run;

        public string Url { get; private set; } = string.Empty;

        public string Output
        {
            get
            {
                lock (_stdout)
                {
                    return _stdout.ToString();
                }
            }
        }

        /// <summary>Starts <c>sfi serve --dev</c> on <paramref name="dataDir"/>, on a free port unless <paramref name="options"/> name <c>--urls</c>.</summary>
        public static async Task<Serve> StartAsync(string dataDir, params string[] options)
        {
            var serve = new Serve();
            var stdout = TextWriter.Synchronized(serve._stdout);
            string[] args = ["serve", "--data-dir", dataDir, .. options.Contains("--urls") ? [] : new[] { "--urls", "http://127.0.0.1:0" }, "--dev", .. options];
            serve._run = Task.Run(() => CliApp.RunAsync(args, stdout, TextWriter.Synchronized(serve._stderr), serve._stop.Token, TimeProvider.System));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                if (ListeningLine().Match(serve.Output) is { Success: true } match)
                {
                    serve.Url = match.Groups["url"].Value;
                    using var client = new HttpClient();
                    await Polling.UntilReadyAsync(client, new Uri(serve.Url + "/readyz"), deadline - DateTime.UtcNow);
                    return serve;
                }

                if (serve._run.IsCompleted)
                {
                    throw new InvalidOperationException($"sfi serve exited with {await serve._run}: {serve._stderr}");
                }

                await Task.Delay(100);
            }

            throw new TimeoutException("sfi serve did not start: " + serve.Output + serve._stderr);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            Assert.Equal(0, await _run!);
            _stop.Dispose();
            _stdout.Dispose();
            _stderr.Dispose();
        }
    }
}
