using System.Security.Cryptography;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// SFI-SEC-307: binary content that is a PKCS#12/PFX archive or a DER private key, recognised by its ASN.1 structure
/// (<see cref="KeyMaterial"/>, the same reader SFI-SEC-008 uses on base64) rather than by a name such as <c>.pfx</c>,
/// which a leaked key need not have. The only detector that reads binary content, so it is defined in code: a pattern
/// rule in <c>rules/secrets</c> matches text.
/// </summary>
internal static class PrivateKeyFile
{
    public const string RuleId = "SFI-SEC-307";

    /// <summary>Above this size a file is not a key (a PFX with a long chain is a few KB); it is not parsed.</summary>
    private const int MaxKeyFileSize = 1024 * 1024;

    public static RuleDescriptor Descriptor { get; } = new()
    {
        Id = RuleId,
        Name = "PrivateKeyFile",
        DefaultSeverity = Severity.Critical,
        Confidence = Confidence.High,
        ShortDescription = "Private key file (binary PKCS#12 or DER)",
        FullDescription = "A file whose bytes are a PKCS#12/PFX archive or a DER private key (PKCS#8, PKCS#1 RSA, SEC 1 EC, DSA), whatever its name.",
        HelpMarkdown = Guidance(),
        HelpUri = $"guidance/{RuleId}.md",
        Tags = ["secret", "private-key", "pkcs12", "binary"],
        Frameworks = ["CWE-798", "CWE-321"],
    };

    public static Detection? Detect(BinaryTarget target)
    {
        var content = target.Content.Span;
        if (content.Length > MaxKeyFileSize || KeyMaterial.Identify(content) is not { } format)
        {
            return null;
        }

        // The key never leaves this method: the finding is identified by a hash of the file, and shows no evidence.
        return new Detection(RuleId, Severity.Critical, $"A private key file ({format}) is committed.", 0, 0, Secret: null)
        {
            Properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["key.format"] = format,
                [Detection.EvidenceKey] = Convert.ToHexString(SHA256.HashData(content)),
            },
        };
    }

    private static string Guidance()
    {
        using var stream = typeof(PrivateKeyFile).Assembly.GetManifestResourceStream($"guidance/{RuleId}.md")
            ?? throw new InvalidOperationException($"guidance/{RuleId}.md is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
