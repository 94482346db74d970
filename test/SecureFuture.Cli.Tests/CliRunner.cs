using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;

namespace SecureFuture.Cli.Tests;

/// <summary>Runs <c>sfi</c> in-process with captured output, and makes fixture secrets at run time.</summary>
internal static class CliRunner
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The repository's root (where SecureFuture.slnx is), for tests that read its samples and test data.</summary>
    public static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SecureFuture.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None, new FakeTimeProvider(Now));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs <c>sfi</c> in-process with <paramref name="input"/> as its standard input.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunWithInputAsync(byte[] input, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None, new FakeTimeProvider(Now), () => new MemoryStream(input, writable: false));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Secrets are generated for each test run (fresh key material, random key bytes) so that no credential,
    /// real or fake, is stored in this repository's test sources.
    /// </summary>
    public static Dictionary<string, string> WriteSecrets(string root)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = ec.ExportPkcs8PrivateKeyPem();
        var storageKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var accessKeyId = "AKIA" + RandomNumberGenerator.GetString(Base32, 16);
        var files = new Dictionary<string, string>
        {
            ["deploy/key.pem"] = pem,
            ["src/appsettings.json"] = "{\n  \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=contosodata;AccountKey=" + storageKey + ";EndpointSuffix=core.windows.net\"\n}\n",
            ["scripts/aws.sh"] = "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=" + accessKeyId + "\n",
        };
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        return new Dictionary<string, string>
        {
            ["pem"] = pem.Split('\n')[1],
            ["storageKey"] = storageKey,
            ["accessKeyId"] = accessKeyId,
        };
    }
}
