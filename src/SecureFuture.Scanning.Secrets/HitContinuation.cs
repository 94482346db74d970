using System.Globalization;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// What the text at a keyword hit must look like for a rule's pattern to match through that hit, derived from the
/// pattern's text when certain, so that a hit that can start no match (<c>pat</c> in <c>pattern;</c>, <c>pwd</c> in
/// <c>getpwd(</c>) does not put its line under the pattern (<see cref="SecretAnalyzer"/>).
/// <para>
/// The pattern is read into a small syntax tree; anything outside a plain subset (back-references, conditionals,
/// <c>\p{..}</c>, the <c>x</c> option, class subtraction ...) gives no condition at all. Two things are derived:
/// </para>
/// <list type="bullet">
/// <item>Anchors: the places where a run of literal characters (each one character in either ASCII case, or such a
/// character made optional with <c>?</c>) spells one of the rule's keywords. The rule gets conditions only when the
/// anchors are a cut of the pattern: every way through it passes over a run whose every spelling begins with a keyword,
/// so every match has a keyword at an anchor, where the keyword search (which reports every occurrence of every keyword,
/// ignoring ASCII case) reports a hit.</item>
/// <item>Per keyword, an automaton for the rest of the pattern from each of its anchors. It over-approximates: lookarounds
/// and anchors such as <c>^</c>, <c>$</c> and <c>\b</c> match anything (they only take matches away), a large count
/// <c>{n,m}</c> becomes "at least min(n, 32) times", and what follows the end of a repeated group is not read (anything
/// may follow). So a hit whose text the automaton rejects can begin no match, while the hit of every match passes.</item>
/// </list>
/// <para>
/// The automaton reads ASCII only: <see cref="MayMatch{T}"/> is asked only about lines of ASCII text, where a pattern's
/// case-insensitive letters cannot match the Kelvin sign or the long s (non-ASCII characters the keyword search would
/// not report as the keyword), and it answers "may match" at the first non-ASCII character it meets.
/// </para>
/// </summary>
internal sealed class HitContinuation
{
    /// <summary>A count above this is read as "at least this many" (or any number, for the optional part).</summary>
    private const int CountCap = 32;

    /// <summary>More states than this and no condition is derived (none of the shipped patterns comes near).</summary>
    private const int MaxStates = 1024;

    // The automaton: per state, the ASCII characters it reads (a Char state) or the states it moves to without
    // reading (a Split state); Accept is state 0.
    private readonly UInt128[] _sets;
    private readonly int[] _next;
    private readonly int[][] _splits;
    private readonly int _start;

    private HitContinuation(List<State> states, int start)
    {
        _sets = [.. states.Select(s => s.Set)];
        _next = [.. states.Select(s => s.Next)];
        _splits = [.. states.Select(s => s.Splits ?? [])];
        _start = start;
    }

    /// <summary>
    /// Per keyword of <paramref name="keywords"/>, the condition its hits must meet, or null when every hit of it may
    /// start a match; all null when the pattern cannot be read with certainty or its keywords are not a cut of it.
    /// </summary>
    public static HitContinuation?[] For(string pattern, bool ignoreCase, IReadOnlyList<string> keywords)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(keywords);
        var none = new HitContinuation?[keywords.Count];
        var lower = keywords.Select(k => k.ToLowerInvariant()).ToArray();
        if (lower.Any(k => k.Length == 0 || !System.Text.Ascii.IsValid(k)) || Parser.Parse(pattern, ignoreCase) is not { } tree)
        {
            return none;
        }

        if (!IsCut(tree, lower))
        {
            return none;
        }

        var anchors = lower.Select(_ => new List<Frames>()).ToArray();
        CollectAnchors(tree, new Frames(null, 0, null), lower, anchors);
        var conditions = new HitContinuation?[keywords.Count];
        for (var k = 0; k < keywords.Count; k++)
        {
            if (anchors[k].Count > 0)
            {
                conditions[k] = Compile(anchors[k]);
            }
        }

        return conditions;
    }

    /// <summary>
    /// Whether the pattern may match through a hit whose text, from the hit to the end of its line, is
    /// <paramref name="text"/>: false only when no match can have the hit's keyword at one of its anchors.
    /// </summary>
    public bool MayMatch<T>(ReadOnlySpan<T> text)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        var count = _sets.Length;
        Span<int> current = count <= 256 ? stackalloc int[count] : new int[count];
        Span<int> following = count <= 256 ? stackalloc int[count] : new int[count];
        Span<int> seen = count <= 256 ? stackalloc int[count] : new int[count];
        Span<int> stack = count <= 256 ? stackalloc int[count] : new int[count];
        seen.Clear();
        var generation = 1;
        var size = Close(_start, current, 0, seen, generation, stack, out var accepted);
        for (var i = 0; i < text.Length; i++)
        {
            if (accepted)
            {
                return true;
            }

            var c = uint.CreateTruncating(text[i]);
            if (c >= 128)
            {
                return true;
            }

            generation++;
            var next = 0;
            for (var s = 0; s < size; s++)
            {
                var state = current[s];
                if ((_sets[state] >> (int)c & UInt128.One) != UInt128.Zero)
                {
                    next = Close(_next[state], following, next, seen, generation, stack, out var reached);
                    accepted |= reached;
                }
            }

            if (next == 0 && !accepted)
            {
                return false;
            }

            var swap = current;
            current = following;
            following = swap;
            size = next;
        }

        return accepted;
    }

    /// <summary>Adds the Char states reachable from <paramref name="state"/> without reading to the set; notes whether Accept is.</summary>
    private int Close(int state, Span<int> set, int size, Span<int> seen, int generation, Span<int> stack, out bool accepted)
    {
        accepted = false;
        if (seen[state] == generation)
        {
            return size;
        }

        // Each state is pushed once per step (marked when pushed), so the stack never holds more than all of them.
        var depth = 0;
        seen[state] = generation;
        stack[depth++] = state;
        while (depth > 0)
        {
            var s = stack[--depth];
            if (s == 0)
            {
                accepted = true;
            }
            else if (_splits[s].Length > 0)
            {
                foreach (var t in _splits[s])
                {
                    if (seen[t] != generation)
                    {
                        seen[t] = generation;
                        stack[depth++] = t;
                    }
                }
            }
            else
            {
                set[size++] = s;
            }
        }

        return size;
    }

    // ---- the syntax tree --------------------------------------------------------------------------------------

    internal abstract class Node;

    /// <summary>One character of a set of ASCII characters (bit c for character c).</summary>
    internal sealed class CharNode(UInt128 set) : Node
    {
        public UInt128 Set { get; } = set;
    }

    internal sealed class SeqNode(List<Node> items) : Node
    {
        public List<Node> Items { get; } = items;
    }

    internal sealed class AltNode(List<Node> alternatives) : Node
    {
        public List<Node> Alternatives { get; } = alternatives;
    }

    /// <summary><see cref="Max"/> -1: no upper bound.</summary>
    internal sealed class RepeatNode(Node body, int min, int max) : Node
    {
        public Node Body { get; } = body;

        public int Min { get; } = min;

        public int Max { get; } = max;
    }

    /// <summary>Matches the empty string: what zero-width assertions are read as.</summary>
    internal sealed class EmptyNode : Node
    {
        public static readonly EmptyNode Instance = new();
    }

    /// <summary>The lower-case character a node stands for when it is one character in at most its two ASCII cases.</summary>
    private static char? Single(Node node)
    {
        if (node is not CharNode { Set: var set } || set == UInt128.Zero)
        {
            return null;
        }

        var first = (int)UInt128.TrailingZeroCount(set);
        var lowered = char.ToLowerInvariant((char)first);
        var allowed = (UInt128.One << lowered) | (UInt128.One << char.ToUpperInvariant(lowered));
        return (set & ~allowed) == UInt128.Zero ? lowered : null;
    }

    /// <summary>The character of an optional single character (<c>_?</c>).</summary>
    private static char? OptionalSingle(Node node) =>
        node is RepeatNode { Min: 0, Max: 1, Body: var body } ? Single(body) : null;

    /// <summary>Whether every spelling of the literal run from <paramref name="at"/> begins with a keyword.</summary>
    private static bool Covers(List<Node> items, int at, string spelled, string[] keywords)
    {
        if (keywords.Contains(spelled, StringComparer.Ordinal))
        {
            return true;
        }

        if (at == items.Count || spelled.Length > 64)
        {
            return false;
        }

        if (Single(items[at]) is { } c)
        {
            return Covers(items, at + 1, spelled + c, keywords);
        }

        return OptionalSingle(items[at]) is { } o
            && Covers(items, at + 1, spelled + o, keywords)
            && Covers(items, at + 1, spelled, keywords);
    }

    /// <summary>Whether some spelling of the literal run from <paramref name="at"/> begins with <paramref name="keyword"/>.</summary>
    private static bool Spells(List<Node> items, int at, string keyword, int offset)
    {
        if (offset == keyword.Length)
        {
            return true;
        }

        if (at == items.Count)
        {
            return false;
        }

        if (Single(items[at]) is { } c)
        {
            return c == keyword[offset] && Spells(items, at + 1, keyword, offset + 1);
        }

        return OptionalSingle(items[at]) is { } o
            && ((o == keyword[offset] && Spells(items, at + 1, keyword, offset + 1)) || Spells(items, at + 1, keyword, offset));
    }

    /// <summary>Whether every way through <paramref name="node"/> passes over a literal run every spelling of which begins with a keyword.</summary>
    private static bool IsCut(Node node, string[] keywords) => node switch
    {
        SeqNode seq => Enumerable.Range(0, seq.Items.Count).Any(i => Covers(seq.Items, i, string.Empty, keywords) || IsCut(seq.Items[i], keywords)),
        AltNode alt => alt.Alternatives.All(a => IsCut(a, keywords)),
        RepeatNode { Min: >= 1 } repeat => IsCut(repeat.Body, keywords),
        _ => false,
    };

    /// <summary>What follows a place in the tree: the rest of a sequence from an item, then what follows that; null is the end (anything may follow).</summary>
    private sealed record Frames(SeqNode? Seq, int From, Frames? Outer);

    private static void CollectAnchors(Node node, Frames after, string[] keywords, List<Frames>[] anchors)
    {
        switch (node)
        {
            case SeqNode seq:
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    for (var k = 0; k < keywords.Length; k++)
                    {
                        if (Spells(seq.Items, i, keywords[k], 0))
                        {
                            anchors[k].Add(new Frames(seq, i, after));
                        }
                    }

                    CollectAnchors(seq.Items[i], new Frames(seq, i + 1, after), keywords, anchors);
                }

                break;
            case AltNode alt:
                foreach (var alternative in alt.Alternatives)
                {
                    CollectAnchors(alternative, after, keywords, anchors);
                }

                break;
            case RepeatNode repeat:
                // After one pass through the body, another may follow or the repeat may end: not read (anything may follow).
                CollectAnchors(repeat.Body, new Frames(null, 0, null), keywords, anchors);
                break;
            default:
                break;
        }
    }

    // ---- the automaton ----------------------------------------------------------------------------------------

    private sealed class State
    {
        public UInt128 Set { get; set; }

        public int Next { get; set; }

        public int[]? Splits { get; set; }
    }

    private static HitContinuation? Compile(List<Frames> anchors)
    {
        var states = new List<State> { new() }; // 0: Accept
        var start = new State();
        states.Add(start);
        var starts = new List<int>();
        foreach (var anchor in anchors)
        {
            if (CompileFrames(anchor, states) is not { } s)
            {
                return null;
            }

            starts.Add(s);
        }

        start.Splits = [.. starts];
        return new HitContinuation(states, 1);
    }

    /// <summary>The automaton's states for what <paramref name="frames"/> say follows, innermost first; null over the budget.</summary>
    private static int? CompileFrames(Frames? frames, List<State> states)
    {
        if (frames is null)
        {
            return 0;
        }

        if (CompileFrames(frames.Outer, states) is not { } next)
        {
            return null;
        }

        if (frames.Seq is { } seq)
        {
            for (var i = seq.Items.Count - 1; i >= frames.From; i--)
            {
                if (CompileNode(seq.Items[i], next, states) is not { } s)
                {
                    return null;
                }

                next = s;
            }
        }

        return next;
    }

    private static int? CompileNode(Node node, int next, List<State> states)
    {
        if (states.Count > MaxStates)
        {
            return null;
        }

        switch (node)
        {
            case CharNode c:
                states.Add(new State { Set = c.Set, Next = next });
                return states.Count - 1;
            case SeqNode seq:
                for (var i = seq.Items.Count - 1; i >= 0; i--)
                {
                    if (CompileNode(seq.Items[i], next, states) is not { } s)
                    {
                        return null;
                    }

                    next = s;
                }

                return next;
            case AltNode alt:
                {
                    var split = new State();
                    states.Add(split);
                    var index = states.Count - 1;
                    var targets = new int[alt.Alternatives.Count];
                    for (var i = 0; i < targets.Length; i++)
                    {
                        if (CompileNode(alt.Alternatives[i], next, states) is not { } s)
                        {
                            return null;
                        }

                        targets[i] = s;
                    }

                    split.Splits = targets;
                    return index;
                }

            case RepeatNode repeat:
                return CompileRepeat(repeat, next, states);
            default:
                return next;
        }
    }

    /// <summary>body{min,max}, read as body{min',} when a count is over <see cref="CountCap"/> (min' = min(min, cap)): more text, never less, may match.</summary>
    private static int? CompileRepeat(RepeatNode repeat, int next, List<State> states)
    {
        var min = Math.Min(repeat.Min, CountCap);
        var unbounded = repeat.Max < 0 || repeat.Max - repeat.Min > CountCap || repeat.Min > CountCap;
        int current;
        if (unbounded)
        {
            var loop = new State();
            states.Add(loop);
            current = states.Count - 1;
            if (CompileNode(repeat.Body, current, states) is not { } body)
            {
                return null;
            }

            loop.Splits = [body, next];
        }
        else
        {
            current = next;
            for (var i = 0; i < repeat.Max - repeat.Min; i++)
            {
                if (CompileNode(repeat.Body, current, states) is not { } body)
                {
                    return null;
                }

                states.Add(new State { Splits = [body, next] });
                current = states.Count - 1;
            }
        }

        for (var i = 0; i < min; i++)
        {
            if (CompileNode(repeat.Body, current, states) is not { } body)
            {
                return null;
            }

            current = body;
        }

        return current;
    }

    // ---- reading the pattern ----------------------------------------------------------------------------------

    /// <summary>Reads the subset of .NET's pattern syntax the conditions are derived from; null for anything else.</summary>
    internal sealed class Parser
    {
        private static readonly UInt128 AllAscii = UInt128.MaxValue;
        private static readonly UInt128 Digits = Range('0', '9');
        private static readonly UInt128 Word = Range('a', 'z') | Range('A', 'Z') | Digits | Bit('_');
        private static readonly UInt128 Space = Bit(' ') | Bit('\t') | Bit('\n') | Bit('\v') | Bit('\f') | Bit('\r');

        private readonly string _pattern;
        private int _at;

        private Parser(string pattern) => _pattern = pattern;

        public static Node? Parse(string pattern, bool ignoreCase)
        {
            var parser = new Parser(pattern);
            try
            {
                var tree = parser.Alternation(ignoreCase);
                return parser._at == pattern.Length ? tree : null;
            }
            catch (UnsupportedException)
            {
                return null;
            }
        }

        private sealed class UnsupportedException : Exception;

        private static UInt128 Bit(char c) => UInt128.One << c;

        private static UInt128 Range(char from, char to) => ((UInt128.One << (to + 1)) - UInt128.One) & ~((UInt128.One << from) - UInt128.One);

        private static UInt128 WithCases(UInt128 set)
        {
            var letters = set & (Range('a', 'z') | Range('A', 'Z'));
            return set | ((letters & Range('a', 'z')) >> 32) | ((letters & Range('A', 'Z')) << 32);
        }

        private bool More => _at < _pattern.Length;

        private char Peek => _pattern[_at];

        private bool Next(string text)
        {
            if (string.CompareOrdinal(_pattern, _at, text, 0, text.Length) == 0)
            {
                _at += text.Length;
                return true;
            }

            return false;
        }

        /// <summary>Alternatives up to the end or the closing parenthesis of the group (not consumed); an inline <c>(?i)</c> lasts to there.</summary>
        private Node Alternation(bool ignoreCase)
        {
            var alternatives = new List<Node>();
            while (true)
            {
                alternatives.Add(Sequence(ref ignoreCase));
                if (More && Peek == '|')
                {
                    _at++;
                    continue;
                }

                return alternatives.Count == 1 ? alternatives[0] : new AltNode(alternatives);
            }
        }

        private SeqNode Sequence(ref bool ignoreCase)
        {
            var items = new List<Node>();
            while (More && Peek is not ('|' or ')'))
            {
                var atom = Atom(ref ignoreCase);
                if (atom is null)
                {
                    continue; // an inline option or a comment: nothing to match
                }

                items.Add(Quantified(atom));
            }

            return new SeqNode(items);
        }

        private Node Quantified(Node atom)
        {
            if (!More)
            {
                return atom;
            }

            int min, max;
            switch (Peek)
            {
                case '*':
                    (min, max) = (0, -1);
                    _at++;
                    break;
                case '+':
                    (min, max) = (1, -1);
                    _at++;
                    break;
                case '?':
                    (min, max) = (0, 1);
                    _at++;
                    break;
                case '{' when Count() is { } count:
                    (min, max) = count;
                    break;
                default:
                    return atom;
            }

            if (More && Peek == '?')
            {
                _at++; // lazy: the same strings match
            }

            if (More && Peek is '*' or '+' or '?')
            {
                throw new UnsupportedException(); // a quantifier on a quantifier
            }

            return atom is EmptyNode ? atom : new RepeatNode(atom, min, max);
        }

        /// <summary><c>{n}</c>, <c>{n,}</c> or <c>{n,m}</c> at the cursor (consumed), or null when the brace is a literal one.</summary>
        private (int Min, int Max)? Count()
        {
            var close = _pattern.IndexOf('}', _at);
            if (close < 0)
            {
                return null;
            }

            var body = _pattern[(_at + 1)..close];
            var comma = body.IndexOf(',', StringComparison.Ordinal);
            var first = comma < 0 ? body : body[..comma];
            if (!IsNumber(first) || (comma >= 0 && body[(comma + 1)..] is var second && second.Length > 0 && !IsNumber(second)))
            {
                return null;
            }

            var min = int.Parse(first, CultureInfo.InvariantCulture);
            var max = comma < 0 ? min : body.Length == comma + 1 ? -1 : int.Parse(body[(comma + 1)..], CultureInfo.InvariantCulture);
            _at = close + 1;
            return max >= 0 && max < min ? throw new UnsupportedException() : (min, max);
        }

        private static bool IsNumber(string s) => s.Length is > 0 and < 6 && s.All(char.IsAsciiDigit);

        /// <summary>One atom, or null for an inline option (<c>(?i)</c>) or a comment.</summary>
        private Node? Atom(ref bool ignoreCase)
        {
            var c = _pattern[_at++];
            switch (c)
            {
                case '(':
                    return Group(ref ignoreCase);
                case '[':
                    return new CharNode(Class(ignoreCase));
                case '\\':
                    return Escape(ignoreCase, inClass: false) is { } set ? new CharNode(set) : EmptyNode.Instance;
                case '.':
                    return new CharNode(AllAscii);
                case '^' or '$':
                    return EmptyNode.Instance;
                case '*' or '+' or '?':
                    throw new UnsupportedException();
                default:
                    return new CharNode(Literal(c, ignoreCase));
            }
        }

        /// <summary>
        /// A literal character. A non-ASCII one matches no ASCII character, except under ignore case, where some do
        /// (the Kelvin sign matches k): not read.
        /// </summary>
        private static UInt128 Literal(char c, bool ignoreCase) =>
            c < 128 ? ignoreCase ? WithCases(Bit(c)) : Bit(c) : ignoreCase ? throw new UnsupportedException() : UInt128.Zero;

        private Node? Group(ref bool ignoreCase)
        {
            Node inner;
            if (Next("?:") || Next("?>"))
            {
                inner = Alternation(ignoreCase);
            }
            else if (Next("?=") || Next("?!") || Next("?<=") || Next("?<!"))
            {
                _ = Alternation(ignoreCase); // zero-width: read, then matches the empty string
                inner = EmptyNode.Instance;
            }
            else if (Next("?#"))
            {
                var close = _pattern.IndexOf(')', _at);
                _at = close < 0 ? throw new UnsupportedException() : close + 1;
                return null;
            }
            else if (More && Peek == '?' && _at + 1 < _pattern.Length && _pattern[_at + 1] is '<' or '\'')
            {
                var end = _pattern.IndexOf(_pattern[_at + 1] == '<' ? '>' : '\'', _at + 2);
                if (end < 0 || !_pattern.AsSpan(_at + 2, end - _at - 2).ToString().All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
                {
                    throw new UnsupportedException(); // a balancing group, or not a name
                }

                _at = end + 1;
                inner = Alternation(ignoreCase);
            }
            else if (More && Peek == '?')
            {
                // Inline options: (?imnsx-imnsx) for the rest of the group, or (?imnsx-imnsx:...) for a group.
                _at++;
                var on = true;
                var scoped = ignoreCase;
                while (More && Peek is 'i' or 'm' or 'n' or 's' or 'x' or '-')
                {
                    switch (_pattern[_at++])
                    {
                        case '-':
                            on = false;
                            break;
                        case 'i':
                            scoped = on;
                            break;
                        case 'x' when on:
                            throw new UnsupportedException(); // whitespace and comments in the pattern: not read
                        default:
                            break;
                    }
                }

                if (Next(")"))
                {
                    ignoreCase = scoped;
                    return null;
                }

                if (!Next(":"))
                {
                    throw new UnsupportedException(); // a conditional, or something else
                }

                inner = Alternation(scoped);
            }
            else
            {
                inner = Alternation(ignoreCase);
            }

            if (!Next(")"))
            {
                throw new UnsupportedException();
            }

            return inner;
        }

        /// <summary>The characters of a class; the cursor is after its <c>[</c>.</summary>
        private UInt128 Class(bool ignoreCase)
        {
            var negated = Next("^");
            var set = UInt128.Zero;
            var nonAscii = false;
            var first = true;
            while (true)
            {
                if (!More)
                {
                    throw new UnsupportedException();
                }

                if (Peek == ']' && !first)
                {
                    _at++;
                    break;
                }

                first = false;
                if (Peek == '-' && _at + 1 < _pattern.Length && _pattern[_at + 1] == '[')
                {
                    throw new UnsupportedException(); // subtraction
                }

                var (low, lowSet) = ClassCharacter(ignoreCase);
                if (lowSet is null && More && Peek == '-' && _at + 1 < _pattern.Length && _pattern[_at + 1] != ']')
                {
                    _at++;
                    var (high, highSet) = ClassCharacter(ignoreCase);
                    if (highSet is not null || high < low)
                    {
                        throw new UnsupportedException();
                    }

                    nonAscii |= high >= 128;
                    set |= low >= 128 ? UInt128.Zero : Range(low, (char)Math.Min((int)high, 127));
                }
                else
                {
                    nonAscii |= lowSet is null && low >= 128;
                    set |= lowSet ?? (low >= 128 ? UInt128.Zero : Bit(low));
                }
            }

            if (nonAscii && ignoreCase && !negated)
            {
                throw new UnsupportedException(); // a non-ASCII character may match an ASCII one under ignore case
            }

            // A negated class is complemented as written: under ignore case it may then also take the other case of a
            // letter it lists, which is more than the pattern matches, never less.
            return negated ? AllAscii & ~set : ignoreCase ? WithCases(set) : set;
        }

        /// <summary>One character of a class, or a set (<c>\d</c>, <c>\s</c> ...).</summary>
        private (char Character, UInt128? Set) ClassCharacter(bool ignoreCase)
        {
            var c = _pattern[_at++];
            if (c != '\\')
            {
                return (c, null);
            }

            if (More && Peek is 'x' or 'u')
            {
                var digits = _pattern[_at++] == 'x' ? 2 : 4;
                return ((char)HexValue(digits), null);
            }

            var set = Escape(ignoreCase: false, inClass: true) ?? throw new UnsupportedException();
            return UInt128.PopCount(set) == 1 && !IsClassEscape(_pattern[_at - 1]) ? ((char)(int)UInt128.TrailingZeroCount(set), null) : ((char)0, set);
        }

        private static bool IsClassEscape(char c) => c is 'd' or 'D' or 'w' or 'W' or 's' or 'S';

        /// <summary>An escape after its backslash: its characters, or null for a zero-width one (<c>\b</c>, <c>\A</c> ...).</summary>
        private UInt128? Escape(bool ignoreCase, bool inClass)
        {
            if (!More)
            {
                throw new UnsupportedException();
            }

            var c = _pattern[_at++];
            switch (c)
            {
                case 'd': return Digits;
                case 'D': return AllAscii & ~Digits;
                case 'w': return Word;
                case 'W': return AllAscii & ~Word;
                case 's': return Space;
                case 'S': return AllAscii & ~Space;
                case 'b' when inClass: return Bit('\b');
                case 'b' or 'B' or 'A' or 'z' or 'Z' or 'G': return inClass ? throw new UnsupportedException() : null;
                case 't': return Bit('\t');
                case 'n': return Bit('\n');
                case 'r': return Bit('\r');
                case 'f': return Bit('\f');
                case 'v': return Bit('\v');
                case 'e': return Bit('\u001b');
                case 'a': return Bit('\a');
                case 'x': return Hex(2, ignoreCase);
                case 'u': return Hex(4, ignoreCase);
                default:
                    if (char.IsAsciiLetterOrDigit(c) || c >= 128)
                    {
                        throw new UnsupportedException(); // \p{..}, back-references, octal, \c ...
                    }

                    return Bit(c);
            }
        }

        private UInt128 Hex(int digits, bool ignoreCase) => Literal((char)HexValue(digits), ignoreCase);

        private int HexValue(int digits)
        {
            if (_at + digits > _pattern.Length
                || !int.TryParse(_pattern.AsSpan(_at, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                throw new UnsupportedException();
            }

            _at += digits;
            return value;
        }
    }
}
