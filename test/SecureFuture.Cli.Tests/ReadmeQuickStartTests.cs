using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;

namespace SecureFuture.Cli.Tests;

/// <summary>
/// The README's token-service quick start, run as written by bash: the block under "sfi serve --issuer" with only the
/// port changed (to a free one), <c>./sfi</c> being this build of the CLI, a real <c>sfi serve</c> with SoftHSM2 in
/// the background, and the <c>curl</c> line <c>sfi token</c> prints piped to <c>sh</c>.
/// </summary>
public sealed class ReadmeQuickStartTests
{
    private const string Heading = "## `sfi serve --issuer`";

    [Fact]
    [Trait("Category", "Integration")]
    [UnsupportedOSPlatform("windows")] // bash, and the script's mode
    public async Task The_token_service_quick_start_runs_verbatim_and_whoami_sees_a_dpop_bound_client()
    {
        var block = QuickStartBlock(await File.ReadAllTextAsync(Path.Combine(CliRunner.RepoRoot(), "README.md")));
        Assert.Contains("127.0.0.1:5080", block, StringComparison.Ordinal);
        var work = Directory.CreateTempSubdirectory("sfi-readme-").FullName;
        try
        {
            // ./sfi is this build of the CLI (the repository's script would build it first; the test has built it).
            var sfi = Path.Combine(work, "sfi");
            await File.WriteAllTextAsync(sfi, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "sfi.dll")}' \"$@\"\n");
            File.SetUnixFileMode(sfi, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var script = "set -eu\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + block.Replace("127.0.0.1:5080", $"127.0.0.1:{FreePort()}", StringComparison.Ordinal);

            var (exit, output) = await RunBashAsync(script, work, TimeSpan.FromSeconds(90));

            Assert.True(exit == 0, $"exit {exit}:\n{output}");
            Assert.Contains("\"clientId\":\"demo\"", output, StringComparison.Ordinal);
            Assert.Contains("\"binding\":\"dpop\"", output, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The first <c>```sh</c> block after the token service's heading.</summary>
    private static string QuickStartBlock(string readme)
    {
        var section = readme[readme.IndexOf(Heading, StringComparison.Ordinal)..];
        var start = section.IndexOf("```sh\n", StringComparison.Ordinal) + "```sh\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs <paramref name="script"/> in bash in <paramref name="directory"/> (also its HOME and TMPDIR, so nothing lands elsewhere).</summary>
    private static async Task<(int Exit, string Output)> RunBashAsync(string script, string directory, TimeSpan timeout)
    {
        // From a file, not standard input: the commands it runs inherit standard input, and must not read the script.
        var file = Path.Combine(directory, "quick-start.sh");
        await File.WriteAllTextAsync(file, script);
        var start = new ProcessStartInfo("bash", [file]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["HOME"] = directory;
        start.Environment["TMPDIR"] = directory;
        foreach (var variable in new[] { "SFI_ADMIN_KEY", "SFI_SERVER", "SFI_CLIENT", "SFI_CLIENT_KEY" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}:\n{Read()}");
        }

        return (process.ExitCode, Read());

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        string Read()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }
}
