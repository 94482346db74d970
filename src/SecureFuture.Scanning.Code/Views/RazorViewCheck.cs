using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Code.Views;

/// <summary>
/// Cross-site scripting in Razor views (<c>.cshtml</c>, <c>.razor</c>), which are not C# until the Razor compiler
/// generates them. Finds where a view opts out of Razor's encoding (<c>Html.Raw(...)</c>, <c>new HtmlString(...)</c>,
/// <c>(MarkupString)...</c>) and reports those whose argument is request data — read in the argument itself or through
/// a local assigned in the view's code blocks — unless it passes through an HTML encoder. Data the view gets from its
/// model is not followed (what reaches the model is the taint engine's part), so each result here is a whole flow
/// inside the view.
/// </summary>
internal static partial class RazorViewCheck
{
    /// <summary>Results go under the data-flow XSS rule, so one rule covers code and views.</summary>
    public const string RuleName = "CrossSiteScripting";

    /// <summary>At most this many local assignments per view are followed.</summary>
    private const int MaxLocals = 500;

    public static bool IsView(string path) =>
        path.EndsWith(".cshtml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".razor", StringComparison.OrdinalIgnoreCase);

    public static void Run(ScanTarget view, CodeRule rule, IProjectSink sink, CancellationToken cancellationToken)
    {
        var text = MaskComments(view.Text);
        var tainted = TaintedLocals(text, cancellationToken);
        foreach (Match raw in RawSink().Matches(text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var isCast = raw.Groups["cast"].Success;
            var argument = isCast ? CastOperand(text, raw.Index + raw.Length) : Balanced(text, raw.Index + raw.Length - 1);
            if (argument is not { } arg || Source(text.Substring(arg.Start, arg.Length), tainted) is not { } source)
            {
                continue;
            }

            var sinkLength = arg.Start + arg.Length + (isCast ? 0 : 1) - raw.Index;
            var sinkName = isCast ? "(MarkupString)" : raw.Value.TrimEnd('(').Trim();
            var (sourceStart, sourceLength, what) = source.Local is { } local
                ? (tainted[local].Start, tainted[local].Length, $"request {tainted[local].Kind} assigned to '{local}'")
                : (arg.Start + source.Offset, source.Length, $"request {source.Kind}");
            var message = (rule.Document.Message ?? rule.Descriptor.ShortDescription)
                .Replace("{source}", what, StringComparison.Ordinal)
                .Replace("{sink}", sinkName + " in a view", StringComparison.Ordinal);
            sink.Report(view.Path, new Detection(rule.Id, rule.Descriptor.DefaultSeverity, message, raw.Index, sinkLength, null)
            {
                Properties = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [Detection.EvidenceKey] = $"{rule.Id}|{text.Substring(raw.Index, sinkLength)}",
                },
                Flow =
                [
                    new DetectionStep(view.Path, sourceStart, sourceLength, what + " (source)"),
                    new DetectionStep(view.Path, raw.Index, sinkLength, sinkName + " writes it without encoding (sink)"),
                ],
            });
        }
    }

    /// <summary>A request read in <paramref name="expression"/>, directly or through a tainted local; null when none or when it is HTML-encoded.</summary>
    private static (int Offset, int Length, string Kind, string? Local)? Source(string expression, Dictionary<string, (int Start, int Length, string Kind)> tainted)
    {
        // An encoder anywhere in the argument is taken as encoding what it wraps: views rarely mix encoded and raw data in one call.
        if (Encoder().IsMatch(expression))
        {
            return null;
        }

        if (RequestRead().Match(expression) is { Success: true } read)
        {
            return (read.Index, read.Length, read.Groups["kind"].Value.ToLowerInvariant() switch
            {
                "querystring" => "query",
                "routevalues" => "route value",
                var k => k.TrimEnd('s'),
            }, null);
        }

        // Names inside string literals ("bio") are text, not locals.
        foreach (Match identifier in Identifier().Matches(StringLiteral().Replace(expression, m => new string(' ', m.Length))))
        {
            if (tainted.ContainsKey(identifier.Value) && (identifier.Index == 0 || expression[identifier.Index - 1] != '.'))
            {
                return (identifier.Index, identifier.Length, string.Empty, identifier.Value);
            }
        }

        return null;
    }

    /// <summary>Locals of the view's code blocks that hold request data, to a fixed point (<c>a = Request...; b = a + "x";</c>).</summary>
    private static Dictionary<string, (int Start, int Length, string Kind)> TaintedLocals(string text, CancellationToken cancellationToken)
    {
        var assignments = LocalAssignment().Matches(text).Take(MaxLocals).ToList();
        var tainted = new Dictionary<string, (int Start, int Length, string Kind)>(StringComparer.Ordinal);
        for (var changed = true; changed;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            changed = false;
            foreach (var assignment in assignments)
            {
                var name = assignment.Groups["name"].Value;
                if (!tainted.ContainsKey(name) && Source(assignment.Groups["expr"].Value, tainted) is { } source)
                {
                    var expr = assignment.Groups["expr"];
                    // Through another local, the source stays where the request was read.
                    tainted[name] = source.Local is { } from ? tainted[from] : (expr.Index + source.Offset, source.Length, source.Kind);
                    changed = true;
                }
            }
        }

        return tainted;
    }

    /// <summary>The text between the parenthesis at <paramref name="open"/> and its match.</summary>
    private static (int Start, int Length)? Balanced(string text, int open) =>
        Closing(text, open) is var close and >= 0 ? (open + 1, close - open - 1) : null;

    /// <summary>The index of the bracket that closes the one at <paramref name="open"/>, skipping literals; -1 if none on its line.</summary>
    private static int Closing(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(' or '[':
                    depth++;
                    break;
                case ')' or ']':
                    if (--depth == 0)
                    {
                        return i;
                    }

                    break;
                case '"' or '\'':
                    i = EndOfLiteral(text, i);
                    break;
                case '\n':
                    return -1;
            }
        }

        return -1;
    }

    /// <summary>The operand of a cast: names, member accesses, calls and indexers (<c>Model.Items[0].Bio</c>, <c>(x + y)</c>).</summary>
    private static (int Start, int Length)? CastOperand(string text, int start)
    {
        var i = start;
        while (i < text.Length && text[i] == ' ')
        {
            i++;
        }

        var end = i;
        while (end < text.Length)
        {
            if (char.IsLetterOrDigit(text[end]) || text[end] is '_' or '.')
            {
                end++;
            }
            else if (text[end] is '(' or '[' && Closing(text, end) is var close and >= 0)
            {
                end = close + 1;
            }
            else
            {
                break;
            }
        }

        return end > i ? (i, end - i) : null;
    }

    private static int EndOfLiteral(string text, int quote)
    {
        var delimiter = text[quote];
        for (var j = quote + 1; j < text.Length; j++)
        {
            if (text[j] == '\\')
            {
                j++;
            }
            else if (text[j] == delimiter || text[j] == '\n')
            {
                return j;
            }
        }

        return text.Length - 1;
    }

    /// <summary>Razor comments (<c>@* ... *@</c>) become spaces, offsets unchanged, so nothing in them is read as code.</summary>
    private static string MaskComments(string text) =>
        RazorComment().Replace(text, m => new string([.. m.Value.Select(c => c == '\n' ? '\n' : ' ')]));

    [GeneratedRegex(@"@\*.*?\*@", RegexOptions.Singleline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RazorComment();

    [GeneratedRegex(@"\bHtml\.Raw\s*\(|\bnew\s+(?:Microsoft\.AspNetCore\.Html\.)?HtmlString\s*\(|(?<cast>\(\s*(?:Microsoft\.AspNetCore\.Components\.)?MarkupString\s*\))", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RawSink();

    [GeneratedRegex(@"\bRequest\s*\.\s*(?<kind>Query|QueryString|Form|Headers|Cookies|RouteValues|Path|Body)\b", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RequestRead();

    [GeneratedRegex(@"\b(?:HtmlEncode|Encode|JavaScriptStringEncode)\s*\(", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Encoder();

    [GeneratedRegex(@"\b(?:var|string|StringValues|object|dynamic)\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?<expr>[^;\n]{1,2000});", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LocalAssignment();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\b[A-Za-z_][A-Za-z0-9_]*\b", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Identifier();
}
