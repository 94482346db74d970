using System.Diagnostics;
using SecureFuture.Scanning.Dependencies.Versions;

namespace SecureFuture.Scanning.Dependencies.Tests.Versions;

/// <summary>
/// PEP 440 as Python's own <c>packaging</c> library reads it: every version's validity, normal form and pairwise order
/// here must be packaging's. The library comes from Debian's python3-packaging, which test.sh installs; without it
/// this test fails and says so (a silently skipped cross-check is no check).
/// </summary>
[Trait("Category", "Integration")]
public class Pep440CrossCheckTests
{
    private static readonly string[] Versions =
    [
        "0", "0.1", "1.0", "1.0.0", "1.0.0.0", "1.0.dev0", "1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0c2",
        "1.0.post1.dev1", "1.0.post1", "1.0-1", "1.0.post2", "1.0+local", "1.0+local.2", "1.0+local.10", "1.0+2", "1.0+abc.5",
        "1!0.1", "1!1.0", "2!0.0.dev0", "v2.0", "V2.0.0", "2.0.0-alpha", "2.0.0-beta.2", "2.0.0-rc.1", "2.0.0-preview", "2.0.0.final",
        "2.0RC1", "2.0-r3", "2.0rev4", "2.0_post5", "1.11.0", "2.3.0rc0", "4.3a0", "4.3b1", "2018.3.0rc1", "0.8.0-alpha2",
        "1.0+", "latest", "1..0", "dev", "1.0-dev-3", "1.0.0-alpha.beta", "01.02", " 1.0 ", "1.0+ubuntu-1", "3.7.4.post0",
    ];

    [Fact]
    public void Validity_normal_form_and_order_agree_with_python_packaging()
    {
        var python = FindPythonWithPackaging()
            ?? throw new InvalidOperationException("Python's 'packaging' library is not installed (Debian: apt-get install python3-packaging; test.sh installs it): the PEP 440 cross-check cannot run");

        const string Script = """
            import sys
            from packaging.version import Version, InvalidVersion
            vs = sys.stdin.read().split("\n")
            parsed = []
            for v in vs:
                try:
                    parsed.append(Version(v))
                    print("OK", str(parsed[-1]))
                except InvalidVersion:
                    parsed.append(None)
                    print("INVALID")
            ok = [p for p in parsed if p is not None]
            print(" ".join(str((a > b) - (a < b)) for a in ok for b in ok))
            """;
        var output = Run(python, Script, string.Join("\n", Versions)).Split('\n');

        var mine = new List<PackageVersion>();
        for (var i = 0; i < Versions.Length; i++)
        {
            var theirs = output[i];
            var ok = VersionSchemes.Pep440.TryParse(Versions[i], out var v, out _);
            Assert.True(ok == theirs.StartsWith("OK", StringComparison.Ordinal), $"'{Versions[i]}': packaging says {theirs}, here {(ok ? "valid" : "invalid")}");
            if (ok)
            {
                Assert.Equal(theirs[3..], v!.ToString());
                mine.Add(v);
            }
        }

        var signs = output[Versions.Length].Split(' ');
        var k = 0;
        foreach (var a in mine)
        {
            foreach (var b in mine)
            {
                Assert.True(signs[k++] == Math.Sign(a.CompareTo(b)).ToString(System.Globalization.CultureInfo.InvariantCulture), $"{a} vs {b}: packaging says {signs[k - 1]}");
            }
        }
    }

    private static string? FindPythonWithPackaging()
    {
        // Debian's interpreter first: python3-packaging installs there, whatever other python3 the PATH finds first.
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                Run(candidate, "import packaging", "");
                return candidate;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }

        return null;
    }

    private static string Run(string python, string script, string input)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout.Result : throw new InvalidOperationException($"{python}: {stderr}");
    }
}
