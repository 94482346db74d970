using System.Text;

namespace SecureFuture.Fuzz;

/// <summary>
/// The mutations of the smoke runner (AFL++'s havoc stage in miniature, with no coverage feedback): bit flips,
/// interesting bytes, deletions, duplications, insertions of format tokens and splices of two corpus inputs. Seeded,
/// so that a smoke run is the same run every time and a finding reproduces.
/// </summary>
internal sealed class Mutator(int seed)
{
    /// <summary>Tokens of the formats under test (JSON, YAML, XML, JWS, .gitignore), where most parser bugs hide.</summary>
    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-0", "1e999", "-9223372036854775809", "18446744073709551616",
            "\\u0000", "\\ud800", "\": {", "[[[[[[[[", "{\"a\":{\"a\":", "\n- ", ": ", "&a ", "*a", "<<: *a", "!!binary ", "? ",
            "|\n", "---\n", "...\n", "%YAML 1.1\n", "<", ">", "</", "/>", "<!DOCTYPE x [<!ENTITY e \"x\">]>", "&e;", "<![CDATA[",
            "xmlns=\"\"", ".", "..", "=", "eyJ", "**", "*", "?", "[!", "\\", "!", "#", "\r\n", "\t", "\u00a0", "\uffff", "0000-00-00",
            "9999-12-31", "PT0S", "P99999999999D",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    private static readonly byte[] Interesting = [0, 1, 0x7f, 0x80, 0xff, (byte)'"', (byte)'{', (byte)'[', (byte)'<', (byte)'\n', (byte)'-', (byte)'.', (byte)'0'];

    private readonly Random _random = new(seed);

    /// <summary>A mutation of <paramref name="input"/>; <paramref name="other"/> is a second corpus input for splicing.</summary>
    public byte[] Mutate(byte[] input, byte[] other)
    {
        var data = new List<byte>(input);
        var rounds = 1 << _random.Next(0, 4);
        for (var i = 0; i < rounds; i++)
        {
            Apply(data, other);
        }

        return [.. data];
    }

    private void Apply(List<byte> data, byte[] other)
    {
        switch (_random.Next(0, 9))
        {
            case 0 when data.Count > 0:
                data[_random.Next(data.Count)] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0:
                data[_random.Next(data.Count)] = Interesting[_random.Next(Interesting.Length)];
                break;
            case 2 when data.Count > 0:
                {
                    var start = _random.Next(data.Count);
                    data.RemoveRange(start, _random.Next(1, Math.Min(data.Count - start, 64) + 1));
                    break;
                }

            case 3 when data.Count > 0:
                {
                    var start = _random.Next(data.Count);
                    var length = _random.Next(1, Math.Min(data.Count - start, 256) + 1);
                    data.InsertRange(_random.Next(data.Count + 1), data.GetRange(start, length));
                    break;
                }

            case 4:
            case 5:
                data.InsertRange(_random.Next(data.Count + 1), Tokens[_random.Next(Tokens.Length)]);
                break;
            case 6 when data.Count > 0:
                data.RemoveRange(_random.Next(data.Count), 1);
                break;
            case 7 when other.Length > 0:
                {
                    // Splice: a head of this input and a tail of the other.
                    var cut = _random.Next(data.Count + 1);
                    var from = _random.Next(other.Length);
                    data.RemoveRange(cut, data.Count - cut);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }

            default:
                data.Insert(_random.Next(data.Count + 1), (byte)_random.Next(256));
                break;
        }
    }
}
