using System.Diagnostics.CodeAnalysis;

namespace SecureFuture.Scanning.Dependencies.Versions;

/// <summary>
/// A version parsed by its ecosystem's own rules. Two versions compare only within the scheme that parsed them: a
/// matcher never orders a PEP 440 version against a Maven one.
/// </summary>
public abstract class PackageVersion
{
    /// <summary>Orders versions of one scheme.</summary>
    public static IComparer<PackageVersion> Order { get; } = Comparer<PackageVersion>.Create((a, b) => a.CompareTo(b));

    protected PackageVersion(string text) => Text = text;

    /// <summary>The version as it was written.</summary>
    public string Text { get; }

    /// <summary>Negative, zero or positive as this version sorts before, with or after <paramref name="other"/> (equal precedence is zero: PEP 440's <c>1.0</c> and <c>1.0.0</c>).</summary>
    public abstract int CompareTo(PackageVersion? other);

    public override string ToString() => Text;

    /// <summary>The other version as <typeparamref name="T"/>, or an exception: comparing across schemes is a bug.</summary>
    protected static T Same<T>(PackageVersion? other)
        where T : PackageVersion =>
        other as T ?? throw new ArgumentException($"cannot compare a {typeof(T).Name} with {other?.GetType().Name ?? "null"}", nameof(other));
}

/// <summary>How one ecosystem (or OSV's <c>SEMVER</c> range type) spells and orders versions.</summary>
public abstract class VersionScheme
{
    /// <summary>The name used in messages (<c>PEP 440</c>, <c>SemVer 2.0.0</c>, ...).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Parses <paramref name="text"/>, or returns false with a reason: a version that does not parse is reported and
    /// never matched by accident (no coercion of <c>1.0</c> into <c>1.0.0</c> where the ecosystem does not do it).
    /// </summary>
    public abstract bool TryParse(string text, [NotNullWhen(true)] out PackageVersion? version, [NotNullWhen(false)] out string? problem);

    public PackageVersion? ParseOrNull(string text) => TryParse(text, out var version, out _) ? version : null;
}

/// <summary>The version scheme of each ecosystem of <see cref="Ecosystems"/>.</summary>
public static class VersionSchemes
{
    public static VersionScheme NuGet { get; } = new NuGetVersionScheme();

    /// <summary>SemVer 2.0.0 as npm and OSV's <c>SEMVER</c> ranges use it.</summary>
    public static VersionScheme SemVer { get; } = new SemVerScheme(SemVerScheme.Flavour.Strict);

    public static VersionScheme Cargo { get; } = new SemVerScheme(SemVerScheme.Flavour.Cargo);

    public static VersionScheme Go { get; } = new SemVerScheme(SemVerScheme.Flavour.Go);

    public static VersionScheme Pep440 { get; } = new Pep440Scheme();

    public static VersionScheme Maven { get; } = new MavenVersionScheme();

    /// <summary>The scheme for an OSV ecosystem name, or null for one dependency scanning does not know.</summary>
    public static VersionScheme? ForEcosystem(string ecosystem) => ecosystem switch
    {
        Ecosystems.NuGet => NuGet,
        Ecosystems.Npm => SemVer,
        Ecosystems.PyPI => Pep440,
        Ecosystems.Maven => Maven,
        Ecosystems.Go => Go,
        Ecosystems.Cargo => Cargo,
        _ => null,
    };
}
