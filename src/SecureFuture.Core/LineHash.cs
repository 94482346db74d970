namespace SecureFuture.Core;

/// <summary>
/// GitHub code scanning's <c>primaryLocationLineHash</c>: a rolling hash over the 100 non-whitespace characters
/// that start at each line, so a result keeps its identity when unrelated lines are inserted above it. The
/// algorithm is the one the CodeQL action applies to uploaded SARIF (its <c>fingerprints</c> module): spaces
/// and tabs are skipped, CR, LF and CRLF are all one line break, an end-of-file marker (0xFFFF) is hashed, the
/// hash is 64-bit wrapping arithmetic with multiplier 37, and the n-th repetition of a hash gets the suffix
/// <c>:n</c>.
/// </summary>
public static class LineHash
{
    private const int BlockSize = 100;
    private const long Mod = 37;
    private const int EndOfFile = 0xFFFF;
    private static readonly long FirstMod = ComputeFirstMod();

    /// <summary>Returns the hash of every line of <paramref name="text"/>, index 0 being line 1.</summary>
    public static IReadOnlyList<string> Compute(ReadOnlySpan<char> text)
    {
        var state = new HashState();
        foreach (var c in text)
        {
            state.Process(c);
        }

        state.Process(EndOfFile);
        state.Flush();
        return state.Hashes;
    }

    /// <summary>The hash of one line (1-based), or null when the text has fewer lines.</summary>
    public static string? ForLine(ReadOnlySpan<char> text, int line)
    {
        var hashes = Compute(text);
        return line >= 1 && line <= hashes.Count ? hashes[line - 1] : null;
    }

    private static long ComputeFirstMod()
    {
        long firstMod = 1;
        for (var i = 0; i < BlockSize; i++)
        {
            firstMod = unchecked(firstMod * Mod);
        }

        return firstMod;
    }

    private sealed class HashState
    {
        private readonly int[] _window = new int[BlockSize];
        private readonly int[] _lineNumbers = CreateLineNumbers();
        private readonly Dictionary<ulong, int> _counts = [];
        private long _hash;
        private int _index;
        private int _lineNumber;
        private bool _lineStart = true;
        private bool _previousWasCr;

        public List<string> Hashes { get; } = [];

        public void Process(int current)
        {
            // Spaces, tabs and the LF of a CRLF pair do not count.
            if (current == ' ' || current == '\t' || (_previousWasCr && current == '\n'))
            {
                _previousWasCr = false;
                return;
            }

            if (current == '\r')
            {
                current = '\n';
                _previousWasCr = true;
            }
            else
            {
                _previousWasCr = false;
            }

            if (_lineNumbers[_index] != -1)
            {
                Output();
            }

            if (_lineStart)
            {
                _lineStart = false;
                _lineNumber++;
                _lineNumbers[_index] = _lineNumber;
            }

            if (current == '\n')
            {
                _lineStart = true;
            }

            Update(current);
        }

        public void Flush()
        {
            for (var i = 0; i < BlockSize; i++)
            {
                if (_lineNumbers[_index] != -1)
                {
                    Output();
                }

                Update(0);
            }
        }

        private static int[] CreateLineNumbers()
        {
            var numbers = new int[BlockSize];
            Array.Fill(numbers, -1);
            return numbers;
        }

        private void Update(int current)
        {
            var begin = _window[_index];
            _window[_index] = current;
            _hash = unchecked((Mod * _hash) + current - (FirstMod * begin));
            _index = (_index + 1) % BlockSize;
        }

        private void Output()
        {
            var value = unchecked((ulong)_hash);
            _counts.TryGetValue(value, out var count);
            _counts[value] = ++count;
            // Lines are emitted in order, so the list index is the line number minus one.
            Hashes.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:x}:{count}"));
            _lineNumbers[_index] = -1;
        }
    }
}
