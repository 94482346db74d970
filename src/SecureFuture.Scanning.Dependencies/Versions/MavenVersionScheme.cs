using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace SecureFuture.Scanning.Dependencies.Versions;

/// <summary>
/// Maven's <c>ComparableVersion</c> ordering (maven-artifact, "Version Order Specification" of the POM reference):
/// the version splits at <c>.</c>, <c>-</c> and digit/letter transitions into numbers and qualifiers; a <c>-</c> or a
/// transition opens a sub-list; trailing zeros and release qualifiers (<c>""</c>, <c>ga</c>, <c>final</c>,
/// <c>release</c>) are dropped; known qualifiers order <c>alpha &lt; beta &lt; milestone &lt; rc = cr &lt; snapshot
/// &lt; "" &lt; sp</c>, unknown ones after them lexically, and a number sorts after any qualifier. Any string is a
/// Maven version to Maven; this scheme refuses only those no POM can hold as a resolved version (empty, whitespace,
/// an unresolved <c>${property}</c> or a range such as <c>[1.0,2.0)</c>).
/// </summary>
internal sealed class MavenVersionScheme : VersionScheme
{
    public override string Name => "Maven";

    public override bool TryParse(string text, [NotNullWhen(true)] out PackageVersion? version, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '+'))
        {
            version = null;
            problem = $"'{text}' is not a resolved Maven version";
            return false;
        }

        version = new Parsed(text, Parse(text.ToLowerInvariant()));
        problem = null;
        return true;
    }

    private static ListItem Parse(string v)
    {
        var root = new ListItem();
        var list = root;
        var stack = new Stack<ListItem>();
        stack.Push(list);
        var isDigit = false;
        var start = 0;
        for (var i = 0; i < v.Length; i++)
        {
            var c = v[i];
            if (c == '.')
            {
                list.Add(i == start ? IntItem.Zero : ParseItem(isDigit, v[start..i]));
                start = i + 1;
            }
            else if (c == '-')
            {
                list.Add(i == start ? IntItem.Zero : ParseItem(isDigit, v[start..i]));
                start = i + 1;
                list = Nest(list, stack);
            }
            else if (char.IsAsciiDigit(c))
            {
                if (!isDigit && i > start)
                {
                    // "alpha1": the qualifier is followed by a digit, so single letters are abbreviations (a1 = alpha-1).
                    list.Add(new StringItem(v[start..i], followedByDigit: true));
                    start = i;
                    list = Nest(list, stack);
                }

                isDigit = true;
            }
            else
            {
                if (isDigit && i > start)
                {
                    list.Add(ParseItem(true, v[start..i]));
                    start = i;
                    list = Nest(list, stack);
                }

                isDigit = false;
            }
        }

        if (v.Length > start)
        {
            list.Add(ParseItem(isDigit, v[start..]));
        }

        while (stack.Count > 0)
        {
            stack.Pop().Normalize();
        }

        return root;
    }

    private static ListItem Nest(ListItem list, Stack<ListItem> stack)
    {
        var inner = new ListItem();
        list.Add(inner);
        stack.Push(inner);
        return inner;
    }

    private static Item ParseItem(bool isDigit, string text) =>
        isDigit ? new IntItem(BigInteger.Parse(text, CultureInfo.InvariantCulture)) : new StringItem(text, followedByDigit: false);

    private sealed class Parsed(string text, ListItem items) : PackageVersion(text)
    {
        public override int CompareTo(PackageVersion? other) => items.CompareTo(Same<Parsed>(other).Items);

        private ListItem Items => items;
    }

    private abstract class Item
    {
        public abstract bool IsNull { get; }

        /// <summary>Compares with <paramref name="other"/>; null stands for a missing item (the shorter version's padding).</summary>
        public abstract int CompareTo(Item? other);
    }

    private sealed class IntItem(BigInteger value) : Item
    {
        public static IntItem Zero { get; } = new(BigInteger.Zero);

        public BigInteger Value => value;

        public override bool IsNull => value.IsZero;

        public override int CompareTo(Item? other) => other switch
        {
            null => value.IsZero ? 0 : 1, // 1.0 == 1, 1.1 > 1
            IntItem i => value.CompareTo(i.Value),
            _ => 1, // 1.1 > 1-sp, 1.1 > 1-1
        };
    }

    private sealed class StringItem : Item
    {
        private static readonly string[] Qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
        private static readonly string ReleaseIndex = Array.IndexOf(Qualifiers, "").ToString(CultureInfo.InvariantCulture);

        public StringItem(string value, bool followedByDigit)
        {
            if (followedByDigit && value.Length == 1)
            {
                value = value[0] switch { 'a' => "alpha", 'b' => "beta", 'm' => "milestone", _ => value };
            }

            Value = value switch { "ga" or "final" or "release" => "", "cr" => "rc", _ => value };
        }

        public string Value { get; }

        public override bool IsNull => Value.Length == 0;

        public override int CompareTo(Item? other) => other switch
        {
            null => string.CompareOrdinal(Comparable(Value), ReleaseIndex), // 1-rc < 1, 1-sp > 1
            IntItem => -1,
            StringItem s => string.CompareOrdinal(Comparable(Value), Comparable(s.Value)),
            _ => -1, // 1-alpha < 1-1
        };

        // Known qualifiers by their rank; unknown ones after all of them, among themselves lexically.
        private static string Comparable(string qualifier)
        {
            var i = Array.IndexOf(Qualifiers, qualifier);
            return i >= 0 ? i.ToString(CultureInfo.InvariantCulture) : $"{Qualifiers.Length}-{qualifier}";
        }
    }

    private sealed class ListItem : Item
    {
        private readonly List<Item> _items = [];

        public override bool IsNull => _items.Count == 0;

        public void Add(Item item) => _items.Add(item);

        /// <summary>Drops trailing null items (0, release qualifiers, empty lists) up to the last non-list item.</summary>
        public void Normalize()
        {
            for (var i = _items.Count - 1; i >= 0; i--)
            {
                if (_items[i].IsNull)
                {
                    _items.RemoveAt(i);
                }
                else if (_items[i] is not ListItem)
                {
                    break;
                }
            }
        }

        public override int CompareTo(Item? other)
        {
            switch (other)
            {
                case null:
                    return _items.Count == 0 ? 0 : _items[0].CompareTo(null);
                case IntItem:
                    return -1; // 1-1 < 1.1
                case StringItem:
                    return 1; // 1-1 > 1-sp
                case ListItem list:
                    for (var i = 0; i < Math.Max(_items.Count, list._items.Count); i++)
                    {
                        var left = i < _items.Count ? _items[i] : null;
                        var right = i < list._items.Count ? list._items[i] : null;
                        var c = left is null ? (right is null ? 0 : -right.CompareTo(null)) : left.CompareTo(right);
                        if (c != 0)
                        {
                            return c;
                        }
                    }

                    return 0;
                default:
                    throw new InvalidOperationException("unknown Maven version item");
            }
        }
    }
}
