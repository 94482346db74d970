using System.Diagnostics.CodeAnalysis;
using Semver;

namespace SecureFuture.Scanning.Dependencies.Versions;

/// <summary>
/// SemVer 2.0.0 (semver.org §9-§11 precedence: build metadata ignored), strictly: <c>1.0</c> or <c>01.2.3</c> do not
/// parse. Flavours: Go writes a <c>v</c> prefix in go.mod (OSV's Go records omit it), and its <c>+incompatible</c>
/// suffix and pseudo-versions (<c>v0.0.0-20210101000000-abcdef123456</c>) are plain SemVer build metadata and
/// pre-releases, so they order exactly as the go command orders them.
/// </summary>
internal sealed class SemVerScheme(SemVerScheme.Flavour flavour) : VersionScheme
{
    public enum Flavour
    {
        Strict,
        Cargo,
        Go,
    }

    public override string Name => flavour switch
    {
        Flavour.Go => "Go module version",
        Flavour.Cargo => "Cargo (SemVer 2.0.0)",
        _ => "SemVer 2.0.0",
    };

    public override bool TryParse(string text, [NotNullWhen(true)] out PackageVersion? version, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = flavour == Flavour.Go && text.StartsWith('v') ? text[1..] : text;
        if (SemVersion.TryParse(body, SemVersionStyles.Strict, out var parsed) && IsWellFormedForFlavour(parsed))
        {
            version = new Parsed(text, parsed);
            problem = null;
            return true;
        }

        version = null;
        problem = $"'{text}' is not a {Name} version";
        return false;
    }

    // Go allows build metadata only as "+incompatible" (Go modules reference, "Compatibility with non-module repositories").
    private bool IsWellFormedForFlavour(SemVersion parsed) =>
        flavour != Flavour.Go || parsed.Metadata.Length == 0 || parsed.Metadata == "incompatible";

    private sealed class Parsed(string text, SemVersion value) : PackageVersion(text)
    {
        public override int CompareTo(PackageVersion? other) => SemVersion.ComparePrecedence(value, Same<Parsed>(other).Value);

        private SemVersion Value => value;
    }
}
