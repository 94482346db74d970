using System.Globalization;
using System.Text;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;

namespace SecureFuture.ThreatModeling.Rules;

/// <summary>Which end of an interaction an expression talks about.</summary>
public enum Subject
{
    Source,
    Flow,
    Target,
}

/// <summary>
/// An expression of the Threat Modeling Tool's template language, for example
/// <c>source is 'GE.P' and (target is 'GE.DS') and flow crosses 'GE.TB.B'</c> or
/// <c>not flow.authenticatesSource is 'Yes'</c>. Keywords are case-insensitive, as in the tool's own templates
/// (the Azure template spells <c>OR</c> in capitals).
/// </summary>
public abstract record RuleExpression
{
    public abstract bool Evaluate(Interaction interaction);

    /// <summary>Parses <paramref name="text"/>; throws <see cref="RuleSyntaxException"/> with a 0-based position.</summary>
    public static RuleExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Parser(text).ParseAll();
    }

    /// <summary><c>subject is 'TYPE'</c>: the subject's stencil type is TYPE or a descendant of it.</summary>
    public sealed record IsType(Subject Subject, string TypeId) : RuleExpression
    {
        public override bool Evaluate(Interaction interaction)
        {
            ArgumentNullException.ThrowIfNull(interaction);
            var (type, generic) = interaction.TypeOf(Subject);
            return interaction.Template.IsA(type, TypeId) || (generic is not null && interaction.Template.IsA(generic, TypeId));
        }

        public override string ToString() => $"{Subject.ToString().ToLowerInvariant()} is '{TypeId}'";
    }

    /// <summary><c>subject.property is 'VALUE'</c>: the property's selected value, compared ignoring case.</summary>
    public sealed record PropertyIs(Subject Subject, string Property, string Value) : RuleExpression
    {
        public override bool Evaluate(Interaction interaction)
        {
            ArgumentNullException.ThrowIfNull(interaction);
            return interaction.PropertyOf(Subject, Property) is { } actual
                && string.Equals(actual.Trim(), Value.Trim(), StringComparison.OrdinalIgnoreCase);
        }

        public override string ToString() => $"{Subject.ToString().ToLowerInvariant()}.{Property} is '{Value}'";
    }

    /// <summary><c>flow crosses 'TYPE'</c>: the flow crosses a trust boundary of stencil type TYPE or a descendant.</summary>
    public sealed record Crosses(string BoundaryTypeId) : RuleExpression
    {
        public override bool Evaluate(Interaction interaction)
        {
            ArgumentNullException.ThrowIfNull(interaction);
            foreach (var boundary in interaction.CrossedBoundaries)
            {
                if (interaction.Template.IsA(boundary.TypeId, BoundaryTypeId)
                    || (boundary.GenericTypeId is { } g && interaction.Template.IsA(g, BoundaryTypeId)))
                {
                    return true;
                }
            }

            return false;
        }

        public override string ToString() => $"flow crosses '{BoundaryTypeId}'";
    }

    public sealed record AllOf(RuleExpression Left, RuleExpression Right) : RuleExpression
    {
        public override bool Evaluate(Interaction interaction) => Left.Evaluate(interaction) && Right.Evaluate(interaction);

        public override string ToString() => $"({Left} and {Right})";
    }

    public sealed record AnyOf(RuleExpression Left, RuleExpression Right) : RuleExpression
    {
        public override bool Evaluate(Interaction interaction) => Left.Evaluate(interaction) || Right.Evaluate(interaction);

        public override string ToString() => $"({Left} or {Right})";
    }

    public sealed record Negation(RuleExpression Operand) : RuleExpression
    {
        public override bool Evaluate(Interaction interaction) => !Operand.Evaluate(interaction);

        public override string ToString() => $"not {Operand}";
    }

    private enum TokenKind
    {
        Word,
        String,
        Open,
        Close,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    /// <summary>Recursive descent: or binds loosest, then and, then not.</summary>
    private sealed class Parser
    {
        /// <summary>Guards the recursion against a pathological expression such as 10 000 opening parentheses.</summary>
        private const int MaxDepth = 200;

        private readonly List<Token> _tokens;
        private int _index;
        private int _depth;

        public Parser(string text)
        {
            _tokens = Tokenize(text);
        }

        private Token Current => _tokens[_index];

        public RuleExpression ParseAll()
        {
            var expression = ParseOr();
            if (Current.Kind != TokenKind.End)
            {
                throw new RuleSyntaxException($"unexpected '{Current.Text}'", Current.Position);
            }

            return expression;
        }

        private RuleExpression ParseOr()
        {
            var left = ParseAnd();
            while (IsKeyword(Current, "or"))
            {
                _index++;
                left = new AnyOf(left, ParseAnd());
            }

            return left;
        }

        private RuleExpression ParseAnd()
        {
            var left = ParseUnary();
            while (IsKeyword(Current, "and"))
            {
                _index++;
                left = new AllOf(left, ParseUnary());
            }

            return left;
        }

        private RuleExpression ParseUnary()
        {
            if (++_depth > MaxDepth)
            {
                throw new RuleSyntaxException("expression nests too deeply", Current.Position);
            }

            try
            {
                if (IsKeyword(Current, "not"))
                {
                    _index++;
                    return new Negation(ParseUnary());
                }

                return ParsePrimary();
            }
            finally
            {
                _depth--;
            }
        }

        private RuleExpression ParsePrimary()
        {
            var token = Current;
            if (token.Kind == TokenKind.Open)
            {
                _index++;
                var inner = ParseOr();
                if (Current.Kind != TokenKind.Close)
                {
                    throw new RuleSyntaxException(Current.Kind == TokenKind.End ? "missing ')'" : $"expected ')' but found '{Current.Text}'", Current.Position);
                }

                _index++;
                return inner;
            }

            if (token.Kind != TokenKind.Word)
            {
                throw new RuleSyntaxException(token.Kind == TokenKind.End ? "expression ends too early" : $"unexpected '{token.Text}'", token.Position);
            }

            _index++;
            var dot = token.Text.IndexOf('.', StringComparison.Ordinal);
            var head = dot < 0 ? token.Text : token.Text[..dot];
            var property = dot < 0 ? null : token.Text[(dot + 1)..];
            Subject subject = head.ToUpperInvariant() switch
            {
                "SOURCE" => Subject.Source,
                "TARGET" => Subject.Target,
                "FLOW" => Subject.Flow,
                _ => throw new RuleSyntaxException($"expected source, target or flow but found '{token.Text}'", token.Position),
            };
            if (property is { Length: 0 })
            {
                throw new RuleSyntaxException("missing property name after '.'", token.Position + dot + 1);
            }

            var op = Current;
            if (subject == Subject.Flow && property is null && IsKeyword(op, "crosses"))
            {
                _index++;
                return new Crosses(ExpectString());
            }

            if (!IsKeyword(op, "is"))
            {
                throw new RuleSyntaxException(op.Kind == TokenKind.End ? "expected 'is' but the expression ends" : $"expected 'is' but found '{op.Text}'", op.Position);
            }

            _index++;
            var value = ExpectString();
            return property is null ? new IsType(subject, value) : new PropertyIs(subject, property, value);
        }

        private string ExpectString()
        {
            var token = Current;
            if (token.Kind != TokenKind.String)
            {
                throw new RuleSyntaxException(token.Kind == TokenKind.End ? "expected a quoted value but the expression ends" : $"expected a quoted value but found '{token.Text}'", token.Position);
            }

            _index++;
            return token.Text;
        }

        private static bool IsKeyword(Token token, string keyword) =>
            token.Kind == TokenKind.Word && string.Equals(token.Text, keyword, StringComparison.OrdinalIgnoreCase);

        private static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '(')
                {
                    tokens.Add(new Token(TokenKind.Open, "(", i++));
                }
                else if (c == ')')
                {
                    tokens.Add(new Token(TokenKind.Close, ")", i++));
                }
                else if (c == '\'')
                {
                    var start = i++;
                    var value = new StringBuilder();
                    while (i < text.Length && text[i] != '\'')
                    {
                        value.Append(text[i++]);
                    }

                    if (i >= text.Length)
                    {
                        throw new RuleSyntaxException("unterminated quoted value", start);
                    }

                    i++;
                    tokens.Add(new Token(TokenKind.String, value.ToString(), start));
                }
                else if (char.IsLetterOrDigit(c) || c is '_' or '.' or '-')
                {
                    var start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '.' or '-'))
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Word, text[start..i], start));
                }
                else
                {
                    throw new RuleSyntaxException(string.Create(CultureInfo.InvariantCulture, $"unexpected character '{c}'"), i);
                }
            }

            tokens.Add(new Token(TokenKind.End, string.Empty, text.Length));
            return tokens;
        }
    }
}

/// <summary>A rule expression does not parse. <see cref="Position"/> is the 0-based offset in the expression.</summary>
public sealed class RuleSyntaxException : Exception
{
    public RuleSyntaxException()
    {
    }

    public RuleSyntaxException(string message)
        : base(message)
    {
    }

    public RuleSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RuleSyntaxException(string message, int position)
        : base(message)
    {
        Position = position;
    }

    public int Position { get; }
}

/// <summary>One source → flow → target interaction that rules are evaluated against.</summary>
public sealed class Interaction
{
    public Interaction(KnowledgeBase template, ModelElement source, DataFlow flow, ModelElement target, IReadOnlyList<TrustBoundary> crossedBoundaries)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(crossedBoundaries);
        Template = template;
        Source = source;
        Flow = flow;
        Target = target;
        CrossedBoundaries = crossedBoundaries;
    }

    public KnowledgeBase Template { get; }

    public ModelElement Source { get; }

    public DataFlow Flow { get; }

    public ModelElement Target { get; }

    public IReadOnlyList<TrustBoundary> CrossedBoundaries { get; }

    internal (string Type, string? Generic) TypeOf(Subject subject) => subject switch
    {
        Subject.Source => (Source.TypeId, Source.GenericTypeId),
        Subject.Target => (Target.TypeId, Target.GenericTypeId),
        _ => (Flow.TypeId, Flow.GenericTypeId),
    };

    /// <summary>A property's value; <c>Name</c> is the element's name. Property names compare ignoring case.</summary>
    public string? PropertyOf(Subject subject, string property)
    {
        ArgumentNullException.ThrowIfNull(property);
        var (name, properties) = subject switch
        {
            Subject.Source => (Source.Name, Source.Properties),
            Subject.Target => (Target.Name, Target.Properties),
            _ => (Flow.Name, Flow.Properties),
        };
        if (properties.TryGetValue(property, out var exact))
        {
            return exact;
        }

        foreach (var (key, value) in properties)
        {
            if (string.Equals(key, property, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return string.Equals(property, "Name", StringComparison.OrdinalIgnoreCase) ? name : null;
    }
}
