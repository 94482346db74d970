using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// SFI-SEC-307: binary PKCS#12 and DER private keys recognised by their ASN.1 structure, whatever the file's name,
/// through the whole scanner. Every key is generated when the test runs; none is committed.
/// </summary>
public sealed class PrivateKeyFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sfi-keyfile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private AnalysisRun Scan(params (string Name, byte[] Content)[] files)
    {
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(_root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }

        var scanner = new RepositoryScanner([new SecretAnalyzer(SecretRuleCatalog.Default)], new FakeTimeProvider(RuleExampleTests.Today));
        return scanner.Scan(new ScanRequest { Path = _root });
    }

    private static X509Certificate2 SelfSigned(RSA key) =>
        new CertificateRequest("CN=sfi test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(1));

    public static TheoryData<string, string> Keys()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = SelfSigned(rsa);
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000);
        return new TheoryData<string, string>
        {
            // Named as a leaked key often is: not .pfx or .key.
            { Convert.ToBase64String(cert.Export(X509ContentType.Pkcs12, "pfx-pass")), "PKCS#12 (PFX) archive" },
            { Convert.ToBase64String(rsa.ExportPkcs8PrivateKey()), "PKCS#8 private key" },
            { Convert.ToBase64String(rsa.ExportEncryptedPkcs8PrivateKey("pass", pbe)), "encrypted PKCS#8 private key" },
            { Convert.ToBase64String(rsa.ExportRSAPrivateKey()), "PKCS#1 RSA private key" },
            { Convert.ToBase64String(ec.ExportECPrivateKey()), "SEC1 EC private key" },
        };
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void BinaryKey_IsReported_WhateverItsName_WithoutEvidence(string base64, string format)
    {
        var run = Scan(("deploy/backup.dat", Convert.FromBase64String(base64)));
        var finding = Assert.Single(run.Findings);
        Assert.Equal(("SFI-SEC-307", Severity.Critical, "deploy/backup.dat"), (finding.RuleId, finding.Severity, finding.Location.Path));
        Assert.Null(finding.Location.Region);
        Assert.Null(finding.Evidence);
        Assert.Equal(format, finding.Properties["key.format"]);
        Assert.False(finding.Properties.ContainsKey(Detection.EvidenceKey));
        Assert.Contains(run.Rules, r => r.Id == "SFI-SEC-307");
    }

    [Fact]
    public void CertificatesAndPublicKeys_AreNotReported()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = SelfSigned(rsa);
        var run = Scan(("certs/app.cer", cert.RawData), ("certs/app.pub.der", rsa.ExportSubjectPublicKeyInfo()),
            ("certs/rsa.pub", rsa.ExportRSAPublicKey()), ("certs/ec.pub.der", ec.ExportSubjectPublicKeyInfo()));
        Assert.Empty(run.Findings);
    }

    [Fact]
    public void PfxInsideAnArchive_IsNamedInsideIt_AndTheFingerprintFollowsTheKey()
    {
        using var rsa = RSA.Create(2048);
        using var cert = SelfSigned(rsa);
        var pfx = cert.Export(X509ContentType.Pfx, string.Empty);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("certs/signing.pfx").Open();
            entry.Write(pfx);
        }

        var run = Scan(("release/app.nupkg", buffer.ToArray()), ("signing.pfx", pfx));
        Assert.Equal(["release/app.nupkg!/certs/signing.pfx", "signing.pfx"], run.Findings.Select(f => f.Location.Path));
        Assert.NotEqual(run.Findings[0].Fingerprints.Content, run.Findings[1].Fingerprints.Content);
    }
}
