using System.Diagnostics.CodeAnalysis;
using NuGet.Versioning;

namespace SecureFuture.Scanning.Dependencies.Versions;

/// <summary>
/// NuGet's own rules through NuGet.Versioning: up to four numeric parts (<c>1.0</c> is <c>1.0.0</c>, <c>6.3.123.0</c>
/// is valid), SemVer 2.0.0 pre-release labels compared case-insensitively, build metadata ignored in ordering.
/// </summary>
internal sealed class NuGetVersionScheme : VersionScheme
{
    public override string Name => "NuGet";

    public override bool TryParse(string text, [NotNullWhen(true)] out PackageVersion? version, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        // NuGet trims surrounding whitespace when it parses; a lock file or advisory with spaces is not a version.
        if (text.Length == 0 || text.Trim().Length != text.Length || !NuGetVersion.TryParse(text, out var parsed))
        {
            version = null;
            problem = $"'{text}' is not a NuGet version";
            return false;
        }

        version = new Parsed(text, parsed);
        problem = null;
        return true;
    }

    private sealed class Parsed(string text, NuGetVersion value) : PackageVersion(text)
    {
        public override int CompareTo(PackageVersion? other) => VersionComparer.Default.Compare(value, Same<Parsed>(other).Value);

        private NuGetVersion Value => value;
    }
}
