using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureFuture.Baseline.Input;

/// <summary>
/// Evaluates the ARM template expressions whose value is known before deployment: <c>parameters()</c> (a value from
/// the parameters file, else the parameter's <c>defaultValue</c>), <c>variables()</c>, and simple functions over
/// literals (<c>concat</c>, <c>format</c>, <c>toLower</c>, <c>toUpper</c>, <c>string</c>, <c>int</c>, <c>bool</c>,
/// <c>true</c>, <c>false</c>, <c>if</c>, <c>equals</c>, <c>not</c>, <c>empty</c>, property and index access). Anything
/// else — <c>resourceGroup()</c>, <c>reference()</c>, <c>copyIndex()</c>, a parameter with neither value nor default,
/// a Key Vault reference — leaves the string as it was, so that the field reader answers unknown for it
/// (<see cref="FieldState.Expression"/>): a value sfi did not evaluate never passes a control.
/// </summary>
/// <remarks>Template expression syntax: Microsoft Learn, "Syntax and expressions in ARM templates"; functions:
/// "ARM template functions". Names of parameters, variables and functions are case-insensitive.</remarks>
internal sealed class ArmTemplateEvaluator
{
    /// <summary>Bounds nested variables and parameters so that a cycle (a variable naming itself) ends as unknown.</summary>
    private const int MaxDepth = 32;

    private readonly JsonObject _parameters;
    private readonly JsonObject? _values;
    private readonly JsonObject _variables;
    private int _depth;
    private readonly Dictionary<string, (bool Known, JsonNode? Value)> _memo = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);

    /// <param name="parameters">The template's <c>parameters</c> declarations.</param>
    /// <param name="variables">The template's <c>variables</c>.</param>
    /// <param name="values">The <c>parameters</c> of a deployment parameters file (<c>{"name": {"value": ...}}</c>), if any.</param>
    public ArmTemplateEvaluator(JsonObject? parameters, JsonObject? variables, JsonObject? values)
    {
        _parameters = CaseInsensitive(parameters);
        _variables = CaseInsensitive(variables);
        _values = values is null ? null : CaseInsensitive(values);
    }

    private static JsonObject CaseInsensitive(JsonObject? o)
    {
        var copy = new JsonObject(new JsonNodeOptions { PropertyNameCaseInsensitive = true });
        foreach (var (key, value) in o ?? [])
        {
            copy[key] = value?.DeepClone();
        }

        return copy;
    }

    /// <summary>A copy of <paramref name="node"/> with every expression string that evaluates replaced by its value.</summary>
    public JsonNode? Resolve(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject(o.Options);
                foreach (var (key, value) in o)
                {
                    copy[key] = Resolve(value);
                }

                return copy;
            case JsonArray a:
                return new JsonArray([.. a.Select(Resolve)]);
            case JsonValue v when Field.Text(v) is { } s && Field.IsExpression(s):
                return TryEvaluate(s, out var result) ? result : v.DeepClone();
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>Evaluates one bracketed expression; false when any part of it is not known before deployment.</summary>
    public bool TryEvaluate(string expression, out JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(expression);
        value = null;
        if (_depth >= MaxDepth)
        {
            return false;
        }

        _depth++;
        try
        {
            var parser = new Parser(expression[1..^1], this);
            value = parser.ParseExpression();
            parser.ExpectEnd();
            return true;
        }
        catch (NotEvaluated)
        {
            value = null;
            return false;
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>A value that is fully known (no expression left inside it), or <see cref="NotEvaluated"/>.</summary>
    private JsonNode? Known(JsonNode? node)
    {
        var resolved = Resolve(node);
        return ContainsExpression(resolved) ? throw new NotEvaluated() : resolved;
    }

    private static bool ContainsExpression(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => ContainsExpression(p.Value)),
        JsonArray a => a.Any(ContainsExpression),
        JsonValue v => Field.Text(v) is { } s && Field.IsExpression(s),
        _ => false,
    };

    private JsonNode? Parameter(string name) => Memoised("p:", name, () =>
    {
        if (_values is not null && _values[name] is JsonObject given)
        {
            // A Key Vault reference ({"reference": {...}}) is resolved at deployment only.
            return given.ContainsKey("value") ? Known(given["value"]) : throw new NotEvaluated();
        }

        return _parameters[name] is JsonObject declared && declared.ContainsKey("defaultValue") ? Known(declared["defaultValue"]) : throw new NotEvaluated();
    });

    /// <summary>
    /// A variable, evaluated when first named. A <c>copy</c> loop (the variables' own <c>"copy"</c> array, or one inside
    /// an object variable) is not expanded, so any variable holding one is not known.
    /// </summary>
    private JsonNode? Variable(string name) => Memoised("v:", name, () =>
        !name.Equals("copy", StringComparison.OrdinalIgnoreCase) && _variables.ContainsKey(name) && !ContainsCopy(_variables[name])
            ? Known(_variables[name])
            : throw new NotEvaluated());

    private static bool ContainsCopy(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => p.Key.Equals("copy", StringComparison.OrdinalIgnoreCase) || ContainsCopy(p.Value)),
        JsonArray a => a.Any(ContainsCopy),
        _ => false,
    };

    /// <summary>
    /// Each parameter and variable is evaluated once: its value (or that it is not known) is remembered, and one named
    /// again while it is being evaluated (a cycle, however long) is not known — never a loop, never exponential work.
    /// </summary>
    private JsonNode? Memoised(string kind, string name, Func<JsonNode?> evaluate)
    {
        var key = kind + name.ToLowerInvariant();
        if (_memo.TryGetValue(key, out var known))
        {
            return known.Known ? known.Value?.DeepClone() : throw new NotEvaluated();
        }

        if (!_inProgress.Add(key))
        {
            throw new NotEvaluated();
        }

        try
        {
            var value = evaluate();
            _memo[key] = (true, value?.DeepClone());
            return value;
        }
        catch (NotEvaluated)
        {
            _memo[key] = (false, null);
            throw;
        }
        finally
        {
            _inProgress.Remove(key);
        }
    }

    private JsonNode? Call(string function, List<JsonNode?> args) => function.ToLowerInvariant() switch
    {
        "parameters" when args.Count == 1 => Parameter(Str(args[0])),
        "variables" when args.Count == 1 => Variable(Str(args[0])),
        "concat" when args.Count > 0 && args.All(a => a is JsonArray) => new JsonArray([.. args.SelectMany(a => ((JsonArray)a!).Select(x => x?.DeepClone()))]),
        "concat" => string.Concat(args.Select(Scalar)),
        "format" when args.Count > 0 => Format(Str(args[0]), [.. args.Skip(1).Select(Scalar)]),
        "tolower" when args.Count == 1 => Str(args[0]).ToLowerInvariant(),
        "toupper" when args.Count == 1 => Str(args[0]).ToUpperInvariant(),
        "string" when args.Count == 1 => args[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : Scalar(args[0]),
        "int" when args.Count == 1 => int.TryParse(Scalar(args[0]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : throw new NotEvaluated(),
        "bool" when args.Count == 1 => args[0] is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? b.GetValue<bool>()
            : bool.TryParse(Scalar(args[0]), out var parsed) ? parsed : Scalar(args[0]) switch { "1" => true, "0" => false, _ => throw new NotEvaluated() },
        "true" when args.Count == 0 => true,
        "false" when args.Count == 0 => false,
        "not" when args.Count == 1 => !Bool(args[0]),
        "equals" when args.Count == 2 => JsonNode.DeepEquals(args[0], args[1]),
        "if" when args.Count == 3 => Bool(args[0]) ? args[1]?.DeepClone() : args[2]?.DeepClone(),
        "empty" when args.Count == 1 => args[0] switch
        {
            null => true,
            JsonArray a => a.Count == 0,
            JsonObject o => o.Count == 0,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length == 0,
            _ => throw new NotEvaluated(),
        },
        _ => throw new NotEvaluated(),
    };

    private static string Format(string format, string[] args)
    {
        try
        {
            return string.Format(CultureInfo.InvariantCulture, format, args);
        }
        catch (FormatException)
        {
            throw new NotEvaluated();
        }
    }

    private static string Str(JsonNode? node) => Field.Text(node) ?? throw new NotEvaluated();

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : throw new NotEvaluated();

    /// <summary>A scalar as concat() writes it: strings as they are, numbers and booleans in their JSON spelling.</summary>
    private static string Scalar(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => throw new NotEvaluated(),
    };

    /// <summary>Thrown inside the evaluator when a part of an expression is not known before deployment.</summary>
    private sealed class NotEvaluated : Exception
    {
    }

    /// <summary>
    /// A recursive-descent parser over one expression (without its brackets): a literal string ('it''s'), an integer,
    /// or a function call, each followed by any number of <c>.property</c> and <c>[index]</c> accesses.
    /// </summary>
    private sealed class Parser(string text, ArmTemplateEvaluator evaluator)
    {
        private int _at;

        public JsonNode? ParseExpression()
        {
            SkipSpace();
            JsonNode? value;
            if (Peek() == '\'')
            {
                value = ParseString();
            }
            else if (Peek() is '-' or (>= '0' and <= '9'))
            {
                value = ParseInteger();
            }
            else
            {
                var name = ParseName();
                Expect('(');
                var args = new List<JsonNode?>();
                SkipSpace();
                if (Peek() != ')')
                {
                    args.Add(ParseExpression());
                    SkipSpace();
                    while (Peek() == ',')
                    {
                        _at++;
                        args.Add(ParseExpression());
                        SkipSpace();
                    }
                }

                Expect(')');
                value = evaluator.Call(name, args);
            }

            return Accessors(value);
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_at != text.Length)
            {
                throw new NotEvaluated();
            }
        }

        private JsonNode? Accessors(JsonNode? value)
        {
            while (true)
            {
                SkipSpace();
                if (Peek() == '.')
                {
                    _at++;
                    var property = ParseName();
                    value = value is JsonObject o && o.TryGetPropertyValue(property, out var p) ? p?.DeepClone() : throw new NotEvaluated();
                }
                else if (Peek() == '[')
                {
                    _at++;
                    var index = ParseExpression();
                    Expect(']');
                    value = (value, index) switch
                    {
                        (JsonArray a, JsonValue i) when i.TryGetValue<int>(out var n) && n >= 0 && n < a.Count => a[n]?.DeepClone(),
                        (JsonObject o, JsonValue k) when Field.Text(k) is { } key && o.TryGetPropertyValue(key, out var p) => p?.DeepClone(),
                        _ => throw new NotEvaluated(),
                    };
                }
                else
                {
                    return value;
                }
            }
        }

        private string ParseString()
        {
            _at++;
            var sb = new StringBuilder();
            while (_at < text.Length)
            {
                var c = text[_at++];
                if (c != '\'')
                {
                    sb.Append(c);
                }
                else if (Peek() == '\'')
                {
                    sb.Append('\'');
                    _at++;
                }
                else
                {
                    return sb.ToString();
                }
            }

            throw new NotEvaluated();
        }

        private int ParseInteger()
        {
            var start = _at;
            if (Peek() == '-')
            {
                _at++;
            }

            while (Peek() is >= '0' and <= '9')
            {
                _at++;
            }

            return int.TryParse(text.AsSpan(start, _at - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw new NotEvaluated();
        }

        private string ParseName()
        {
            SkipSpace();
            var start = _at;
            while (Peek() is { } c && (char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                _at++;
            }

            return _at > start ? text[start.._at] : throw new NotEvaluated();
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c)
            {
                throw new NotEvaluated();
            }

            _at++;
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }

        private char? Peek() => _at < text.Length ? text[_at] : null;
    }
}
