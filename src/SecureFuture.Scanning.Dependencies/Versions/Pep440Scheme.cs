using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Dependencies.Versions;

/// <summary>
/// PEP 440 (the "Version specifiers" specification of packaging.python.org), including its normalisation rules: case,
/// a leading <c>v</c>, surrounding whitespace, <c>.</c>/<c>-</c>/<c>_</c> separators, alternate spellings
/// (<c>alpha</c>, <c>c</c>, <c>preview</c>, <c>rev</c>, <c>r</c>), implicit numbers (<c>1.0a</c> is <c>1.0a0</c>) and
/// implicit post-releases (<c>1.0-1</c> is <c>1.0.post1</c>). Ordering: epoch, release (trailing zeros ignored),
/// then pre-, post- and development release, then the local version label.
/// </summary>
internal sealed partial class Pep440Scheme : VersionScheme
{
    public override string Name => "PEP 440";

    public override bool TryParse(string text, [NotNullWhen(true)] out PackageVersion? version, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = Pattern().Match(text);
        if (!m.Success)
        {
            version = null;
            problem = $"'{text}' is not a PEP 440 version";
            return false;
        }

        var epoch = m.Groups["epoch"].Success ? BigInteger.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture) : BigInteger.Zero;
        var release = m.Groups["release"].Value.Split('.').Select(p => BigInteger.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        (int Kind, BigInteger Number)? pre = m.Groups["pre_l"].Success ? (PreKind(m.Groups["pre_l"].Value), Number(m.Groups["pre_n"])) : null;
        BigInteger? post = m.Groups["post_n1"].Success ? BigInteger.Parse(m.Groups["post_n1"].Value, CultureInfo.InvariantCulture)
            : m.Groups["post_l"].Success ? Number(m.Groups["post_n2"])
            : null;
        BigInteger? dev = m.Groups["dev_l"].Success ? Number(m.Groups["dev_n"]) : null;
        string[]? local = m.Groups["local"].Success ? m.Groups["local"].Value.ToLowerInvariant().Split('.', '-', '_') : null;
        version = new Parsed(text, epoch, release, pre, post, dev, local);
        problem = null;
        return true;
    }

    private static BigInteger Number(Group g) => g.Success && g.Value.Length > 0 ? BigInteger.Parse(g.Value, CultureInfo.InvariantCulture) : BigInteger.Zero;

    // a < b < rc; "c", "pre" and "preview" are spellings of rc, "alpha"/"beta" of a/b.
    private static int PreKind(string label) => label.ToLowerInvariant() switch
    {
        "a" or "alpha" => 0,
        "b" or "beta" => 1,
        _ => 2,
    };

    // The specification's own regular expression ("Appendix: Parsing version strings with regular expressions"),
    // anchored, with surrounding whitespace allowed as the normalisation rules allow it.
    [GeneratedRegex("""
        ^\s*v?
        (?:(?<epoch>[0-9]+)!)?
        (?<release>[0-9]+(?:\.[0-9]+)*)
        (?<pre>[-_\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?<pre_n>[0-9]+)?)?
        (?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\.]?(?<post_l>post|rev|r)[-_\.]?(?<post_n2>[0-9]+)?))?
        (?<dev>[-_\.]?(?<dev_l>dev)[-_\.]?(?<dev_n>[0-9]+)?)?
        (?:\+(?<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?
        \s*$
        """, RegexOptions.IgnoreCase | RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Pattern();

    private sealed class Parsed(string text, BigInteger epoch, BigInteger[] release, (int Kind, BigInteger Number)? pre, BigInteger? post, BigInteger? dev, string[]? local)
        : PackageVersion(text)
    {
        /// <summary>The normalised form (<c>1!2.0rc1.post2.dev3+ubuntu.1</c>), as packaging's <c>str(Version(...))</c> prints it.</summary>
        public string Normalized
        {
            get
            {
                var s = new StringBuilder();
                if (!epoch.IsZero)
                {
                    s.Append(CultureInfo.InvariantCulture, $"{epoch}!");
                }

                s.AppendJoin('.', release.Select(r => r.ToString(CultureInfo.InvariantCulture)));
                if (pre is { } p)
                {
                    s.Append(CultureInfo.InvariantCulture, $"{(p.Kind switch { 0 => "a", 1 => "b", _ => "rc" })}{p.Number}");
                }

                if (post is { } po)
                {
                    s.Append(CultureInfo.InvariantCulture, $".post{po}");
                }

                if (dev is { } d)
                {
                    s.Append(CultureInfo.InvariantCulture, $".dev{d}");
                }

                if (local is not null)
                {
                    s.Append('+').AppendJoin('.', local.Select(l => BigInteger.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n.ToString(CultureInfo.InvariantCulture) : l));
                }

                return s.ToString();
            }
        }

        public override string ToString() => Normalized;

        public override int CompareTo(PackageVersion? other)
        {
            var o = Same<Parsed>(other);
            int c;
            if ((c = epoch.CompareTo(o.Epoch)) != 0 || (c = CompareRelease(release, o.Release)) != 0)
            {
                return c;
            }

            if ((c = PreKey().CompareTo(o.PreKey())) != 0)
            {
                return c;
            }

            // No post-release sorts before any post-release; no dev release sorts after any dev release.
            if ((c = (post is null ? -1 : 0).CompareTo(o.Post is null ? -1 : 0)) != 0 || (post is { } a && o.Post is { } b && (c = a.CompareTo(b)) != 0))
            {
                return c;
            }

            if ((c = (dev is null ? 1 : 0).CompareTo(o.Dev is null ? 1 : 0)) != 0 || (dev is { } x && o.Dev is { } y && (c = x.CompareTo(y)) != 0))
            {
                return c;
            }

            return CompareLocal(local, o.Local);
        }

        private BigInteger Epoch => epoch;

        private BigInteger[] Release => release;

        private BigInteger? Post => post;

        private BigInteger? Dev => dev;

        private string[]? Local => local;

        // A release with only a dev segment (1.0.dev1) sorts before its pre-releases (1.0a1); a release without a
        // pre-release sorts after all of them.
        private (int Rank, BigInteger Number) PreKey() =>
            pre is { } p ? (p.Kind, p.Number)
            : post is null && dev is not null ? (-1, BigInteger.Zero)
            : (3, BigInteger.Zero);

        private static int CompareRelease(BigInteger[] a, BigInteger[] b)
        {
            for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
            {
                var c = (i < a.Length ? a[i] : BigInteger.Zero).CompareTo(i < b.Length ? b[i] : BigInteger.Zero);
                if (c != 0)
                {
                    return c;
                }
            }

            return 0;
        }

        // No local label sorts first; segments compare numerically when both are numbers, a number sorts after a
        // string, strings compare lexically; a longer label that shares a prefix sorts after.
        private static int CompareLocal(string[]? a, string[]? b)
        {
            if (a is null || b is null)
            {
                return (a is null ? 0 : 1).CompareTo(b is null ? 0 : 1);
            }

            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                var an = BigInteger.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var x);
                var bn = BigInteger.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var y);
                var c = an && bn ? x.CompareTo(y) : an != bn ? (an ? 1 : -1) : string.CompareOrdinal(a[i], b[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return a.Length.CompareTo(b.Length);
        }
    }
}
