using System.Text.RegularExpressions;

namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>
/// <see cref="HitContinuation"/>: what the text from a keyword hit must look like for a rule's pattern to match through
/// it, which lets the analyzer pass over <c>pat</c> in <c>pattern</c> and <c>pwd</c> in <c>getpwd(</c> without running
/// the pattern. Every derivation must be necessary: a hit of every match passes, whatever the text.
/// </summary>
public class HitContinuationTests
{
    private const string AzurePat = "(?:(?i:pat|token|password|devops|azdo)[A-Za-z_-]{0,20}[\"']?\\s*(?:=>|:=|[:=])\\s*[\"']?|https://[^:/@\\s\"']{0,64}:)(?<secret>[a-z2-7]{52})(?:[^a-z2-7A-Z0-9]|$)";

    private static readonly string[] AzureKeywords = ["pat", "token", "password", "devops", "azdo", "https://"];

    private static HitContinuation? Condition(string pattern, string[] keywords, string keyword, bool ignoreCase = false) =>
        HitContinuation.For(pattern, ignoreCase, keywords)[Array.IndexOf(keywords, keyword)];

    /// <summary>An Azure DevOps token's shape: 52 characters of lower-case base32.</summary>
    // sfi:ignore SFI-SEC-017 a made-up value of the token's shape, never issued: the conditions must let it through
    private const string Token = "p4unshsg2h4m2jx2v7d2h3rkheq2bjbmkail2w6btaa3kwmuzzsz";

    [Theory]
    [InlineData("pattern;", false)]                  // an identifier goes on to no assignment
    [InlineData("path_max(", false)]
    [InlineData("pat[] = {T}", false)]               // '[' cannot come between the name and '='
    [InlineData("patch_level_of_the_library_code = {T}", false)] // more than 20 name characters after the keyword
    [InlineData("pat=", false)]                      // the line ends before the token
    [InlineData("pat = abc", false)]
    [InlineData("pat={T}", true)]
    [InlineData("PAT = '{T}", true)]
    [InlineData("pat_token: {T}", true)]
    [InlineData("Pat\t=> {T}", true)]
    public void A_keyword_hit_passes_only_when_an_assignment_of_a_token_can_follow_it(string text, bool mayMatch)
    {
        text = text.Replace("{T}", Token, StringComparison.Ordinal);
        var condition = Condition(AzurePat, AzureKeywords, "pat");
        Assert.NotNull(condition);
        Assert.Equal(mayMatch, condition.MayMatch(text.AsSpan()));
        Assert.Equal(mayMatch, condition.MayMatch<byte>(System.Text.Encoding.ASCII.GetBytes(text)));
        Assert.Equal(mayMatch, new Regex(AzurePat).IsMatch(text)); // the pattern agrees on these
    }

    [Theory]
    [InlineData("https://example.com/path", false)]  // no user:password before the host
    [InlineData("https://user:", false)]
    [InlineData("https://user:{T}", true)]
    [InlineData("HTTPS://user:{T}", false)]          // the pattern's https:// is case-sensitive
    public void A_url_hit_passes_only_with_a_password_before_the_first_slash(string text, bool mayMatch)
        => Assert.Equal(mayMatch, Condition(AzurePat, AzureKeywords, "https://")!.MayMatch(text.Replace("{T}", Token, StringComparison.Ordinal).AsSpan()));

    [Fact]
    public void Optional_characters_spell_both_keywords()
    {
        string[] keywords = ["auth_key", "authkey"];
        const string pattern = "(?i:auth_?key)\\s*=\\s*(?<secret>[a-z]{8})";
        Assert.True(Condition(pattern, keywords, "auth_key")!.MayMatch("AUTH_KEY = abcdefgh".AsSpan()));
        Assert.True(Condition(pattern, keywords, "authkey")!.MayMatch("authkey=abcdefgh".AsSpan()));
        Assert.False(Condition(pattern, keywords, "authkey")!.MayMatch("authkey(".AsSpan()));
    }

    [Fact]
    public void A_keyword_in_the_middle_of_a_literal_is_an_anchor()
    {
        string[] keywords = ["://"];
        var condition = Condition("(?:^|[^A-Za-z0-9+.-])[a-z][a-z0-9+.-]{1,20}://(?<user>[^:@/\\s\"'<>]{1,128}):(?<secret>[^@/\\s\"'<>]{3,256})@", keywords, "://");
        Assert.NotNull(condition);
        Assert.False(condition.MayMatch("://www.example.org/index.html".AsSpan()));
        Assert.True(condition.MayMatch("://admin:hunter22@db".AsSpan()));
    }

    [Theory]
    [InlineData("(?:pat|other)\\s*=\\s*x")]         // a match can go through 'other', which no keyword spells
    [InlineData("(?:pat)?\\s*=\\s*x")]              // or around an optional keyword
    [InlineData("[Pp]\\w*at=x")]                    // no literal run spells 'pat'
    [InlineData("pa(t)\\1=x")]                      // a back-reference: not read
    [InlineData("\\p{L}pat=x")]                     // a Unicode category: not read
    [InlineData("(?x) pat = x")]                    // whitespace is not the pattern's under x: not read
    [InlineData("(?(pat)a|b)=x")]                   // a conditional: not read
    [InlineData("pat[a-z-[aeiou]]=x")]              // class subtraction: not read
    [InlineData("(?i)pat\u212A=x")]                 // under ignore case the Kelvin sign matches k: not read
    [InlineData("(?i)pat[\u212A]=x")]
    [InlineData("(pat")]                            // not a pattern
    public void Anything_not_certain_gives_no_condition(string pattern)
        => Assert.All(HitContinuation.For(pattern, ignoreCase: false, ["pat"]), Assert.Null);

    [Fact]
    public void Under_ignore_case_the_keyword_matches_in_any_case_and_a_negated_class_excludes_as_written()
    {
        var condition = HitContinuation.For("pat[^a]", ignoreCase: true, ["pat"])[0];
        Assert.NotNull(condition);
        Assert.True(condition.MayMatch("PAT!".AsSpan()));
        Assert.True(condition.MayMatch("pAtA".AsSpan()));  // [^a] under ignore case may or may not take 'A': may match
        Assert.False(condition.MayMatch("pata".AsSpan()));
    }

    [Fact]
    public void Zero_width_assertions_and_lookarounds_only_ever_let_more_through()
    {
        var condition = HitContinuation.For("\\bpat(?![a-z]{0,5}name)\\w*\\s*=", ignoreCase: false, ["pat"])[0];
        Assert.NotNull(condition);
        Assert.True(condition.MayMatch("patname =".AsSpan())); // the negative lookahead would refuse it: read as passing
        Assert.False(condition.MayMatch("pat;".AsSpan()));
    }

    [Fact]
    public void A_non_ascii_character_is_never_read_as_a_mismatch()
        => Assert.True(Condition(AzurePat, AzureKeywords, "pat")!.MayMatch("patté;".AsSpan()));

    [Fact]
    public void The_common_keywords_of_the_shipped_generic_rules_have_conditions()
    {
        var analyzerRules = SecretRuleCatalog.Default.Rules.ToDictionary(r => r.Id);
        (string Rule, string Keyword)[] expected =
        [
            ("SFI-SEC-017", "pat"), ("SFI-SEC-017", "https://"), ("SFI-SEC-108", "pwd"), ("SFI-SEC-108", "password"),
            ("SFI-SEC-109", "token"), ("SFI-SEC-109", "auth_key"), ("SFI-SEC-096", "://"),
        ];
        foreach (var (id, keyword) in expected)
        {
            var rule = analyzerRules[id];
            var conditions = HitContinuation.For(rule.Pattern, rule.IgnoreCase, rule.Keywords);
            Assert.True(conditions[rule.Keywords.ToList().IndexOf(keyword)] is not null, $"{id} has no condition for '{keyword}'");
        }
    }

    /// <summary>
    /// Soundness, checked by brute force: in every line made from the shipped rules' own examples and from random text
    /// dense in keywords, assignments and quotes, every match of every rule with conditions has a keyword hit inside it
    /// whose condition (if any) passes. That is what lets the analyzer skip the hits that fail.
    /// </summary>
    [Fact]
    public void Every_match_of_every_shipped_rule_has_a_hit_that_passes()
    {
        var rules = SecretRuleCatalog.Default.Rules
            .Select(r => (Rule: r, Conditions: HitContinuation.For(r.Pattern, r.IgnoreCase, r.Keywords)))
            .Where(x => x.Conditions.Any(c => c is not null))
            .ToList();
        Assert.True(rules.Count >= 10, $"only {rules.Count} rules have conditions");

        var random = new Random(17);
        var pieces = rules.SelectMany(x => x.Rule.Keywords).Distinct()
            .Concat(["=", ":", " = ", "=>", ":=", "\"", "'", " ", "\t", "_", "-", ".", "@", "/", "//", "x", "Ab3", "9", ";", "(", ")", "\\"])
            .ToArray();
        var shared = new List<string>();
        for (var i = 0; i < 800; i++)
        {
            shared.Add(string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)]))
                + new string([.. Enumerable.Range(0, random.Next(0, 70)).Select(_ => "abcdefghijklmnopqrstuvwxyz234567ABCDEF0189+/=_-."[random.Next(48)])]));
        }

        var matches = 0;
        foreach (var (rule, conditions) in rules)
        {
            // Each rule meets its own examples, cut and glued to keywords and punctuation at random places, and the
            // random lines dense in every rule's keywords.
            var lines = new List<string>(shared);
            foreach (var line in rule.Examples.Match.SelectMany(e => (e.Text ?? string.Empty).Split('\n')))
            {
                lines.AddRange([line, line.ToUpperInvariant(), "x" + line]);
                for (var i = 0; i < 20; i++)
                {
                    var cut = random.Next(line.Length + 1);
                    lines.Add(line[..cut] + pieces[random.Next(pieces.Length)] + line[cut..]);
                    lines.Add(pieces[random.Next(pieces.Length)] + line[cut..]);
                }
            }

            var search = new KeywordSearch(rule.Keywords);
            // The rule's own pattern without its match timeout, which a loaded machine can run into.
            var regex = new Regex(rule.Pattern, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | (rule.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));
            foreach (var line in lines.Where(l => System.Text.Ascii.IsValid(l)))
            {
                var hits = new List<KeywordHit>();
                search.FindInText(line, hits);
                foreach (Match match in regex.Matches(line))
                {
                    matches++;
                    var covered = hits.Any(h => h.Position >= match.Index && h.Position < match.Index + Math.Max(match.Length, 1)
                        && (conditions[h.Keyword] is not { } condition || condition.MayMatch(line.AsSpan(h.Position))));
                    Assert.True(covered, $"{rule.Id}: no hit passes for the match '{match.Value}' in: {line}");
                }
            }
        }

        Assert.True(matches > 1000, $"only {matches} matches were checked");
    }
}
