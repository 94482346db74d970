using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using SecureFuture.Core;
using SecureFuture.Scanning.Secrets.Validators;

namespace SecureFuture.Scanning.Secrets;

/// <summary>
/// Finds secrets with one prefilter pass: every rule keyword is searched for at once (<see cref="KeywordSearch"/>,
/// on the file's raw UTF-8 bytes when the scanner passed them), and a rule's regular
/// expression runs only on the lines around an occurrence of one of its keywords. Most text never meets a
/// regular expression at all, which is what keeps a scan of a large tree close to ripgrep's speed. A UTF-8 file is
/// never decoded as a whole: the keywords, the lines around them and the encoded values are found on its bytes, and
/// only the lines a pattern runs on become strings (the whole text only when a validator or a composite rule reads
/// the context of a match). Offsets are the text's (UTF-16 code units): on ASCII a byte's offset is its character's,
/// otherwise <see cref="CharacterOffsets"/> counts them.
/// </summary>
public sealed class SecretAnalyzer : IContentAnalyzer
{
    private readonly SecretRule[] _rules;
    private readonly KeywordSearch _keywords;

    /// <summary>Per keyword of <see cref="_keywords"/>, the rules it triggers.</summary>
    private readonly int[][] _keywordRules;

    /// <summary>
    /// Per keyword and rule of <see cref="_keywordRules"/>, the literal a hit of that keyword must have at it, after a
    /// token boundary, for the rule's pattern to match on its line (<see cref="LeadingLiteral"/>); null when any hit may.
    /// </summary>
    private readonly string?[][] _hitLiterals;

    /// <summary>
    /// Per keyword and rule of <see cref="_keywordRules"/>, what the text from a hit of that keyword to the end of its
    /// line must look like for the rule's pattern to match through it (<see cref="HitContinuation"/>); null when any hit may.
    /// </summary>
    private readonly HitContinuation?[][] _hitContinuations;
    private readonly int[] _unkeyedRules;
    private readonly SecretScanSettings _settings;
    private readonly Dictionary<string, Confidence> _confidence;
    private readonly ConcurrentDictionary<string, string> _disabled = new(StringComparer.Ordinal);

    public SecretAnalyzer(SecretRuleCatalog catalog, SecretScanSettings? settings = null, Func<SecretRule, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _settings = settings ?? new SecretScanSettings();
        _rules = [.. catalog.Rules.Where(r => include?.Invoke(r) ?? true)];
        Rules = [.. _rules.Select(r => r.Descriptor), PrivateKeyFile.Descriptor];
        _confidence = _rules.ToDictionary(r => r.Id, r => r.Descriptor.Confidence, StringComparer.Ordinal);

        var keywordRules = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _rules.Length; i++)
        {
            foreach (var keyword in _rules[i].Keywords)
            {
                if (!keywordRules.TryGetValue(keyword, out var list))
                {
                    keywordRules[keyword] = list = [];
                }

                list.Add(i);
            }
        }

        _keywords = new KeywordSearch([.. keywordRules.Keys]);
        _keywordRules = [.. keywordRules.Values.Select(rules => rules.ToArray())];
        _hitLiterals = [.. keywordRules.Select(k => k.Value.Select(i => HitLiteral(_rules[i], k.Key)).ToArray())];
        var continuations = _rules.Select(HitContinuations).ToArray();
        _hitContinuations = [.. keywordRules.Select(k => k.Value.Select(i => continuations[i]?.GetValueOrDefault(k.Key)).ToArray())];
        _unkeyedRules = [.. Enumerable.Range(0, _rules.Length).Where(i => _rules[i].Keywords.Count == 0)];
        _requirements = _rules.Where(r => r.Requires is not null).ToDictionary(r => r.Id, r => r.Requires!, StringComparer.Ordinal);
        _hasComposites = _requirements.Count > 0;
    }

    /// <summary>The finding property that names the encodings a secret was found under, outermost first.</summary>
    public const string EncodingProperty = "encoding";

    /// <summary>Appended to a file's path for the rules that run on its decoded values (see <see cref="ScanDecoded"/>).</summary>
    private const string DecodedPathSuffix = "#decoded";

    private readonly Dictionary<string, SecretRequirement> _requirements;
    private readonly bool _hasComposites;

    public IReadOnlyList<RuleDescriptor> Rules { get; }

    /// <summary>Rules switched off during this run because they failed, with the reason.</summary>
    public IReadOnlyDictionary<string, string> DisabledRules => _disabled;

    public void Analyze(ScanTarget target, IDetectionSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sink);
        var found = Detect(target, target.Path, sink);
        foreach (var detection in found)
        {
            sink.Report(detection);
        }

        if (_settings.DecodeDepth > 0)
        {
            var budget = new DecodingBudget(_settings.MaxDecodedChars);
            var values = SearchableBytes(target) is { IsEmpty: false } utf8 ? EncodedText.Find(utf8) : EncodedText.Find(target.Text);
            ScanDecoded(values, target.Path, found, layer: 1, chain: null, outer: null, budget, sink);
            if (budget.Exhausted)
            {
                sink.Notify(new Notification("decoding-limit", NotificationLevel.Note,
                    string.Create(CultureInfo.InvariantCulture, $"Encoded values beyond the first {budget.Limit:N0} decoded characters of this file were not decoded and scanned"))
                { Path = target.Path });
            }
        }
    }

    /// <summary>Binary content: a PKCS#12 archive or a DER private key, whatever the file is called.</summary>
    public void AnalyzeBinary(BinaryTarget target, IDetectionSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sink);
        if (PrivateKeyFile.Detect(target) is { } detection)
        {
            sink.Report(detection);
        }
    }

    /// <summary>
    /// Decodes the base64, hex and percent-encoded <paramref name="values"/> of a text that no detector matched in it
    /// and runs every detector on the decoded text, down to <see cref="SecretScanSettings.DecodeDepth"/> layers. A
    /// finding points at the encoded value in the file (the outermost one) and names the chain of encodings,
    /// outermost first (<c>base64&gt;percent</c>). Each layer is shorter than the one it came from and the decoded
    /// characters of a file are budgeted, so neither a deep nesting nor a file of encoded values can make it loop.
    /// </summary>
    private void ScanDecoded(List<EncodedValue> values, string path, List<Detection> found, int layer, string? chain, (int Start, int Length)? outer, DecodingBudget budget, IDetectionSink sink)
    {
        foreach (var value in values)
        {
            if (found.Exists(d => d.Start < value.Start + value.Length && value.Start < d.Start + d.Length))
            {
                // Already reported as it is (a JWT, a base64 private key, Basic credentials): one value, one finding.
                continue;
            }

            if (!budget.TryTake(value.Decoded.Length))
            {
                return;
            }

            var encoding = chain is null ? value.Encoding : $"{chain}>{value.Encoding}";
            var (start, length) = outer ?? (value.Start, value.Length);
            // Decoded text is data, whatever the file: no path-scoped rule or per-extension context applies to it.
            var inner = Detect(new ScanTarget(path + DecodedPathSuffix, value.Decoded), path, sink);
            foreach (var detection in inner)
            {
                var properties = new Dictionary<string, string>(detection.Properties ?? new Dictionary<string, string>(), StringComparer.Ordinal)
                {
                    [EncodingProperty] = encoding,
                };
                sink.Report(detection with
                {
                    Message = $"{detection.Message.TrimEnd('.')} (in {encoding}-encoded text).",
                    Start = start,
                    Length = length,
                    Properties = properties,
                });
            }

            if (layer < _settings.DecodeDepth)
            {
                ScanDecoded(EncodedText.Find(value.Decoded), path, inner, layer + 1, encoding, (start, length), budget, sink);
            }
        }
    }

    /// <summary>Runs the detectors on one text and returns what they found, one finding per value.</summary>
    private List<Detection> Detect(ScanTarget target, string reportPath, IDetectionSink sink)
    {
        var utf8 = SearchableBytes(target);
        var state = new FileState(_rules.Length, utf8.IsEmpty ? default(ReadOnlyMemory<byte>?) : target.Utf8, Ascii.IsValid(utf8));
        var detections = new List<(Detection Detection, int SecretStart, int SecretEnd, bool Generic)>();

        foreach (var ruleIndex in _unkeyedRules)
        {
            if (state.AppliesTo(_rules[ruleIndex], ruleIndex, target.Path))
            {
                Run(ruleIndex, 0, utf8.IsEmpty ? target.Text.Length : utf8.Length, target, reportPath, sink, state, detections);
            }
        }

        // The continuation conditions are only sure on ASCII lines (see HitContinuation); most files are all ASCII.
        var allAscii = utf8.IsEmpty ? Ascii.IsValid(target.Text) : state.Ascii;
        var hits = new List<KeywordHit>();
        if (utf8.IsEmpty)
        {
            _keywords.FindInText(target.Text, hits);
        }
        else
        {
            _keywords.FindInUtf8(utf8, hits);
        }

        foreach (var (at, keyword) in hits)
        {
            var rules = _keywordRules[keyword];
            for (var r = 0; r < rules.Length; r++)
            {
                var ruleIndex = rules[r];
                var rule = _rules[ruleIndex];
                if (_hitLiterals[keyword][r] is { } literal
                    && !(utf8.IsEmpty ? StartsMatch(target.Text.AsSpan(), at, literal) : StartsMatch(utf8, at, literal)))
                {
                    continue;
                }

                if (!state.AppliesTo(rule, ruleIndex, target.Path))
                {
                    continue;
                }

                var (start, end) = utf8.IsEmpty
                    ? Window(target.Text.AsSpan(), at, rule.ExtraLines, state, '\r', '\n')
                    : Window(utf8, at, rule.ExtraLines, state, (byte)'\r', (byte)'\n');
                if (start >= state.WindowStart[ruleIndex] && end <= state.WindowEnd[ruleIndex])
                {
                    continue;
                }

                if (_hitContinuations[keyword][r] is { } continuation
                    && (allAscii || state.LineIsAscii(utf8, target, start, end))
                    && !(utf8.IsEmpty ? continuation.MayMatch(target.Text.AsSpan(at, end - at)) : continuation.MayMatch(utf8[at..end])))
                {
                    continue;
                }

                state.WindowStart[ruleIndex] = start;
                state.WindowEnd[ruleIndex] = end;
                Run(ruleIndex, start, end - start, target, reportPath, sink, state, detections);
            }
        }

        if (_hasComposites)
        {
            CompositeRules.Filter(detections, d => (d.Detection.RuleId, d.SecretStart), _requirements, () => target.Text);
        }

        // A generic assignment rule yields to a specific rule that found the same secret, and to a generic rule
        // that already reported it, the more confident first: one value, one finding.
        var reportedGeneric = new List<(int Start, int End)>();
        var reported = new List<Detection>();
        foreach (var (detection, secretStart, secretEnd, generic) in detections
                     .OrderBy(d => d.Generic)
                     .ThenByDescending(d => _confidence[d.Detection.RuleId]))
        {
            if (generic)
            {
                if (detections.Any(o => !o.Generic && o.SecretStart < secretEnd && secretStart < o.SecretEnd)
                    || reportedGeneric.Any(o => o.Start < secretEnd && secretStart < o.End))
                {
                    continue;
                }

                reportedGeneric.Add((secretStart, secretEnd));
            }

            reported.Add(detection);
        }

        return reported;
    }

    /// <summary>
    /// The literal a hit of <paramref name="keyword"/> must have at it for <paramref name="rule"/>'s pattern to match on
    /// the hit's line: the pattern's <see cref="LeadingLiteral"/> when the keyword begins it and the rule's window is that
    /// line alone (<see cref="SecretRule.ExtraLines"/> 0). Then a match on the line has the literal after a token boundary
    /// (or at the line's start), where the keyword search reports a hit of its own (it reports every occurrence of every
    /// keyword), so the hits that lack it can be passed over without losing a match, and the line is still searched
    /// whole when any hit on it has it. With more lines in a window, a skipped hit's window would differ: not done.
    /// </summary>
    private static string? HitLiteral(SecretRule rule, string keyword) =>
        rule.ExtraLines == 0 && rule.LeadingLiteral is { } literal && literal.StartsWith(keyword, StringComparison.OrdinalIgnoreCase) ? literal : null;

    /// <summary>
    /// Per keyword of <paramref name="rule"/> (ignoring case), what the rest of its hit's line must look like for the
    /// pattern to match through it (<see cref="HitContinuation"/>), for a rule whose window is the hit's line alone and
    /// none of whose hits is already passed over for want of its <see cref="HitLiteral"/>. Both conditions rest on the
    /// match having a hit that passes; kept apart, each rule has one of them to satisfy. Null: every hit runs the rule.
    /// </summary>
    private static Dictionary<string, HitContinuation>? HitContinuations(SecretRule rule)
    {
        if (rule.ExtraLines != 0 || rule.Keywords.Count == 0 || rule.Keywords.Any(k => HitLiteral(rule, k) is not null))
        {
            return null;
        }

        var conditions = HitContinuation.For(rule.Pattern, rule.IgnoreCase, rule.Keywords);
        var byKeyword = new Dictionary<string, HitContinuation>(StringComparer.OrdinalIgnoreCase);
        for (var k = 0; k < conditions.Length; k++)
        {
            // Two keywords equal but for case meet the same hits: a condition holds for neither unless both have one.
            if (conditions[k] is { } condition && rule.Keywords.Count(w => string.Equals(w, rule.Keywords[k], StringComparison.OrdinalIgnoreCase)) == 1)
            {
                byKeyword[rule.Keywords[k]] = condition;
            }
        }

        return byKeyword.Count == 0 ? null : byKeyword;
    }

    /// <summary>Whether <paramref name="literal"/> (ASCII) is at <paramref name="at"/>, exactly, after a character that is not a token character or at the start.</summary>
    private static bool StartsMatch<T>(ReadOnlySpan<T> text, int at, string literal)
        where T : unmanaged, IBinaryInteger<T>
    {
        if (at > 0 && LeadingLiteral.IsTokenCharacter(int.CreateTruncating(text[at - 1])) || text.Length - at < literal.Length)
        {
            return false;
        }

        for (var i = 0; i < literal.Length; i++)
        {
            if (int.CreateTruncating(text[at + i]) != literal[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The target's UTF-8 bytes when the scanner passed them, for the keyword search, the windows around its hits and
    /// the encoded-value search; empty otherwise (then they read the text). Any UTF-8 will do, valid or not: a keyword is ASCII, and ordinal
    /// case-insensitive comparison never equates a non-ASCII character with an ASCII one, while an ASCII byte always
    /// decodes to its own character and nothing else does (an invalid sequence never takes an ASCII byte with it). So
    /// the keywords are found in the bytes exactly where they are in the text, and line breaks too; a window decoded
    /// on its own, from a line's start to a line's end, is the text's (<see cref="FileState.Input"/>).
    /// </summary>
    private ReadOnlySpan<byte> SearchableBytes(ScanTarget target) =>
        _keywords.CanSearchBytes ? target.Utf8.Span : default;

    /// <summary>
    /// From the start of the keyword's line to the end of the line <paramref name="extraLines"/> below, in the text or
    /// in its UTF-8 bytes.
    /// </summary>
    private static (int Start, int End) Window<T>(ReadOnlySpan<T> text, int at, int extraLines, FileState state, T cr, T lf)
        where T : IEquatable<T>
    {
        // Keyword hits arrive in increasing order; remembering the current line keeps a long minified line with
        // thousands of hits linear instead of rescanning it back to its start for every hit.
        if (at < state.LineStart || at >= state.LineEnd)
        {
            state.LineStart = text[..at].LastIndexOfAny(lf, cr) + 1;
            var lineBreak = text[at..].IndexOfAny(lf, cr);
            state.LineEnd = lineBreak < 0 ? text.Length : at + lineBreak;
        }

        var start = state.LineStart;
        if (extraLines == 0)
        {
            return (start, state.LineEnd);
        }

        var end = at;
        for (var line = 0; line <= extraLines && end < text.Length; line++)
        {
            var next = text[end..].IndexOfAny(lf, cr);
            if (next < 0)
            {
                end = text.Length;
                break;
            }

            end += next;
            if (line < extraLines)
            {
                // Step over the line break (CRLF counts as one) to the next line.
                end += end + 1 < text.Length && text[end].Equals(cr) && text[end + 1].Equals(lf) ? 2 : 1;
            }
        }

        return (start, end);
    }

    private void Run(int ruleIndex, int start, int length, ScanTarget target, string reportPath, IDetectionSink sink, FileState state, List<(Detection, int, int, bool)> detections)
    {
        var rule = _rules[ruleIndex];
        if (_disabled.ContainsKey(rule.Id))
        {
            return;
        }

        // A timeout is retried once: the first run of a rule's code paths (JIT, or a thread starved on a loaded
        // machine) can spend the whole budget on a short line, while a pattern that backtracks catastrophically on
        // hostile text times out again. Matches the first attempt recorded are in state.Seen, so none is doubled.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                MatchAll(rule, ruleIndex, start, length, target, state, detections);
                return;
            }
            catch (RegexMatchTimeoutException) when (attempt == 1)
            {
            }
            catch (RegexMatchTimeoutException)
            {
                sink.Notify(new Notification("rule-timeout", NotificationLevel.Warning,
                    $"Rule {rule.Id} took longer than {SecretRule.MatchTimeout.TotalMilliseconds} ms on part of this file; that part was not checked by it")
                { Path = reportPath, RuleId = rule.Id });
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A rule that throws is switched off for the rest of the run and reported once (STYLE.md).
                if (_disabled.TryAdd(rule.Id, e.Message))
                {
                    sink.Notify(new Notification("rule-disabled", NotificationLevel.Error,
                        $"Rule {rule.Id} failed ({e.GetType().Name}: {e.Message}) and was switched off for the rest of the run")
                    { Path = reportPath, RuleId = rule.Id });
                }

                return;
            }
        }
    }

    private void MatchAll(SecretRule rule, int ruleIndex, int start, int length, ScanTarget target, FileState state, List<(Detection, int, int, bool)> detections)
    {
        // Offsets in the input are the file's less `offset`: the input is the text, or just the window's characters.
        var (input, beginning, characters, offset) = state.Input(target, start, length);
        for (var match = rule.Regex.Match(input, beginning, characters); match.Success; match = match.NextMatch())
        {
            var index = match.Index + offset;
            var seen = ((long)ruleIndex << 32) | (uint)index;
            if (!state.Seen.Add(seen))
            {
                continue;
            }

            try
            {
                Decide(rule, match, offset, target, detections);
            }
            catch (RegexMatchTimeoutException)
            {
                // An allow-list or validator pattern ran out of time on this match: it was not decided, so the retry
                // (Run) must meet it again rather than pass over it as seen, which lost the finding without a word.
                state.Seen.Remove(seen);
                throw;
            }
        }
    }

    /// <summary>Whether a match of <paramref name="rule"/> is a finding (allow-lists, validators), and if so adds it.</summary>
    private void Decide(SecretRule rule, Match match, int offset, ScanTarget target, List<(Detection, int, int, bool)> detections)
    {
        var index = match.Index + offset;
        var secretGroup = rule.SecretGroup >= 0 && match.Groups[rule.SecretGroup].Success ? match.Groups[rule.SecretGroup] : null;
        var secret = secretGroup?.Value ?? match.Value;
        if (secret.Length == 0 || rule.IsAllowed(secret, target.Path))
        {
            return;
        }

        if (Validate(rule, match, index, secret, target) is not { } outcome)
        {
            return;
        }

        var secretStart = (secretGroup?.Index ?? match.Index) + offset;
        var severity = rule.SeverityFixed ? rule.Descriptor.DefaultSeverity : outcome.Severity ?? rule.Descriptor.DefaultSeverity;
        var detection = new Detection(rule.Id, severity, rule.FormatMessage(outcome.Detail), index, match.Length, secret)
        {
            Properties = outcome.Properties,
        };
        detections.Add((detection, secretStart, secretStart + secret.Length, rule.Generic));
    }

    /// <summary>Runs every validator; null when one rejects. Later severities override earlier ones.</summary>
    /// <param name="index">The match's offset in the target's text.</param>
    private ValidationOutcome? Validate(SecretRule rule, Match match, int index, string secret, ScanTarget target)
    {
        if (rule.Validators.Count == 0)
        {
            return ValidationOutcome.Accepted;
        }

        Dictionary<string, string>? groups = null;
        Severity? severity = null;
        string? detail = null;
        Dictionary<string, string>? properties = null;
        foreach (var (validator, argument) in rule.Validators)
        {
            groups ??= match.Groups.Cast<Group>().Where(g => g.Success && !char.IsAsciiDigit(g.Name[0])).ToDictionary(g => g.Name, g => g.Value, StringComparer.Ordinal);
            var outcome = validator.Validate(new SecretCandidate(secret, match.Value, groups, target.Path, target.Text, index, argument, _settings));
            if (!outcome.Accept)
            {
                return null;
            }

            severity = outcome.Severity ?? severity;
            detail = outcome.Detail ?? detail;
            if (outcome.Properties is not null)
            {
                properties ??= new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (key, value) in outcome.Properties)
                {
                    properties[key] = value;
                }
            }
        }

        return new ValidationOutcome { Accept = true, Severity = severity, Detail = detail, Properties = properties };
    }

    /// <summary>How many decoded characters a file may still have scanned.</summary>
    private sealed class DecodingBudget(long limit)
    {
        private long _left = limit;

        public long Limit { get; } = limit;

        public bool Exhausted { get; private set; }

        public bool TryTake(int characters)
        {
            if (characters > _left)
            {
                Exhausted = true;
                return false;
            }

            _left -= characters;
            return true;
        }
    }

    /// <param name="utf8">The target's bytes when the detectors read them instead of its text (<see cref="SearchableBytes"/>).</param>
    /// <param name="ascii">Whether those bytes are ASCII: then a byte's offset is its character's.</param>
    private sealed class FileState(int ruleCount, ReadOnlyMemory<byte>? utf8, bool ascii)
    {
        /// <summary>Whether the bytes the detectors read are all ASCII (true when they read the text instead).</summary>
        public bool Ascii => ascii;

        private int _asciiLineStart = -1;
        private bool _asciiLine;

        /// <summary>Whether the line from <paramref name="start"/> to <paramref name="end"/> (of the bytes, or of the target's text when there are none) is ASCII; remembered for the current line.</summary>
        public bool LineIsAscii(ReadOnlySpan<byte> bytes, ScanTarget target, int start, int end)
        {
            if (start != _asciiLineStart)
            {
                // The text only when there are no bytes: reading it decodes the whole file.
                _asciiLine = bytes.IsEmpty ? System.Text.Ascii.IsValid(target.Text.AsSpan(start, end - start)) : System.Text.Ascii.IsValid(bytes[start..end]);
                _asciiLineStart = start;
            }

            return _asciiLine;
        }

        private int _windowStart = -1;
        private int _windowLength = -1;
        private int _windowOffset;
        private string? _window;

        private CharacterOffsets _offsets;

        /// <summary>
        /// What a pattern runs on for the window of <paramref name="length"/> bytes at byte <paramref name="start"/>
        /// (of <paramref name="length"/> characters at <paramref name="start"/> when the detectors read the text): the
        /// text itself, or for bytes the window's characters alone (the rules whose keywords meet on one line share
        /// it), with the character offset of the window's start. A pattern run on a range of a string sees nothing
        /// outside it (no anchor or lookaround looks past its ends), so the two match alike. A window starts at a
        /// line's start and ends at a line's end, so its bytes decode on their own to the text's characters.
        /// </summary>
        public (string Input, int Beginning, int Length, int Offset) Input(ScanTarget target, int start, int length)
        {
            if (utf8 is not { } bytes)
            {
                return (target.Text, start, length, 0);
            }

            if (start != _windowStart || length != _windowLength)
            {
                var window = bytes.Span.Slice(start, length);
                _window = Encoding.UTF8.GetString(window);
                _windowOffset = ascii ? start : _offsets.Of(bytes.Span, start);
                (_windowStart, _windowLength) = (start, length);
            }

            return (_window!, 0, _window!.Length, _windowOffset);
        }

        // Per rule: 0 not asked yet, 1 the rule's paths include this file, 2 they do not. A path-scoped rule whose
        // keyword is common ("pass") was matched against the path at every keyword hit.
        private readonly byte[] _applies = new byte[ruleCount];

        public bool AppliesTo(SecretRule rule, int ruleIndex, string path)
        {
            if (rule.PathFilter is null)
            {
                return true;
            }

            if (_applies[ruleIndex] == 0)
            {
                _applies[ruleIndex] = rule.AppliesTo(path) ? (byte)1 : (byte)2;
            }

            return _applies[ruleIndex] == 1;
        }

        public int[] WindowStart { get; } = Enumerable.Repeat(-1, ruleCount).ToArray();

        public int[] WindowEnd { get; } = Enumerable.Repeat(-1, ruleCount).ToArray();

        public HashSet<long> Seen { get; } = [];

        public int LineStart { get; set; } = -1;

        public int LineEnd { get; set; } = -1;
    }
}
