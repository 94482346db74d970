namespace SecureFuture.Scanning.Secrets.Tests;

/// <summary>The matcher's own behaviour, on small purpose-built rules.</summary>
public sealed class SecretAnalyzerTests
{
    private static SecretAnalyzer Build(params string[] rules) =>
        new(SecretRuleCatalog.Load(rules.Select(r => (FileName(r), r)), _ => "# guidance"));

    private static string FileName(string yaml)
    {
        var lines = yaml.Split('\n');
        string Value(string key) => lines.First(l => l.StartsWith(key + ": ", StringComparison.Ordinal))[(key.Length + 2)..].Trim();
        return $"{Value("id")}.{Value("name")}.yaml";
    }

    private static string Rule(string id, string name, string keyword, string pattern, string extra = "") => $"""
        id: {id}
        name: {name}
        title: {name}
        description: Test rule.
        severity: high
        confidence: high
        keywords: [{keyword}]
        pattern: '{pattern}'
        {extra}
        """;

    private static List<Detection> Scan(SecretAnalyzer analyzer, string text, string path = "a.txt")
    {
        var sink = new RuleExampleTests.CollectingSink();
        analyzer.Analyze(new ScanTarget(path, text), sink, CancellationToken.None);
        return sink.Detections;
    }

    [Fact]
    public void KeywordIsCaseInsensitive_AndThePatternRunsOnItsLine()
    {
        var analyzer = Build(Rule("SFI-SEC-901", "Tok", "tok_", "TOK_(?<secret>[0-9]{6})"));
        var found = Scan(analyzer, "a\nx = TOK_123456 y\nb");
        var d = Assert.Single(found);
        Assert.Equal("123456", d.Secret);
        Assert.Equal(6, d.Start);
    }

    [Fact]
    public void RepeatedKeywordsOnALongLine_RunThePatternOnce()
    {
        var analyzer = Build(Rule("SFI-SEC-901", "Tok", "tok_", "TOK_(?<secret>[0-9]{6})"));
        var line = string.Concat(Enumerable.Repeat("TOK_ ", 20_000)) + "TOK_123456";
        Assert.Single(Scan(analyzer, line));
    }

    [Fact]
    public void APatternCompiledAfterItsFirstUses_FindsWhatTheInterpretedOneFound()
    {
        // A rule runs interpreted for its first windows and compiled after; nothing may be lost at the switch.
        var analyzer = Build(Rule("SFI-SEC-901", "Tok", "tok_", "(?<![0-9])TOK_(?<secret>[0-9]{6})(?![0-9])"));
        var lines = Enumerable.Range(0, SecretRule.CompileAfter * 2).Select(i => i % 3 == 0 ? $"x = TOK_{i:D6}" : $"x = TOK_{i:D7}");
        var found = Scan(analyzer, string.Join('\n', lines));
        Assert.Equal(
            Enumerable.Range(0, SecretRule.CompileAfter * 2).Where(i => i % 3 == 0).Select(i => i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)),
            found.Select(d => d.Secret));
    }

    [Fact]
    public void PathScopedRule_RunsOnlyOnItsPaths_WhateverTheNumberOfKeywordHits()
    {
        var analyzer = Build(Rule("SFI-SEC-903", "Scoped", "pass", "pass=(?<secret>[a-z]{6})", "paths: ['*.cfg']"));
        var text = string.Join('\n', Enumerable.Repeat("pass=abcdef", 50));
        Assert.Equal(50, Scan(analyzer, text, "conf/app.cfg").Count);
        Assert.Empty(Scan(analyzer, text, "conf/app.txt"));
    }

    [Fact]
    public void ExtraLines_LetAMatchSpanSeveralLines()
    {
        var multi = Build(Rule("SFI-SEC-902", "Block", "BEGIN", "BEGIN\\n(?<secret>[a-z]+)\\nEND", "extraLines: 2"));
        Assert.Single(Scan(multi, "BEGIN\nabc\nEND\n"));
        var single = Build(Rule("SFI-SEC-902", "Block", "BEGIN", "BEGIN\\n(?<secret>[a-z]+)\\nEND"));
        Assert.Empty(Scan(single, "BEGIN\nabc\nEND\n"));
    }

    [Fact]
    public void GenericRule_YieldsToASpecificRuleOnTheSameSecret()
    {
        var analyzer = Build(
            Rule("SFI-SEC-903", "Specific", "tok_", "tok_[0-9]{6}"),
            Rule("SFI-SEC-904", "Generic", "token", "token = (?<secret>\\S+)", "generic: true"));
        Assert.Equal(["SFI-SEC-903"], Scan(analyzer, "token = tok_123456").Select(d => d.RuleId));
        Assert.Equal(["SFI-SEC-904"], Scan(analyzer, "token = other-value").Select(d => d.RuleId));
    }

    [Fact]
    public void TwoGenericRules_ReportOneValueOnce()
    {
        var analyzer = Build(
            Rule("SFI-SEC-907", "GenericA", "secret", "secret = (?<secret>\\S+)", "generic: true"),
            Rule("SFI-SEC-908", "GenericB", "secret", "client_secret = (?<secret>\\S+)", "generic: true"));
        Assert.Single(Scan(analyzer, "client_secret = s3cr3t-value"));
    }

    [Fact]
    public void PathScopedRule_RunsOnlyOnMatchingFiles()
    {
        var analyzer = Build(Rule("SFI-SEC-905", "Netrc", "password", "password (?<secret>\\S+)", "paths: ['**/.netrc']"));
        Assert.Single(Scan(analyzer, "machine h login u password p4ss", "home/.netrc"));
        Assert.Empty(Scan(analyzer, "machine h login u password p4ss", "notes.txt"));
    }

    [Fact]
    public void CatastrophicPattern_TimesOutWithANotification_AndTheScanGoesOn()
    {
        var analyzer = Build(Rule("SFI-SEC-906", "Slow", "111", "^(\\w+\\s?)*$"));
        var sink = new RuleExampleTests.CollectingSink();
        analyzer.Analyze(new ScanTarget("a.txt", new string('1', 5000) + "!"), sink, CancellationToken.None);
        Assert.Empty(sink.Detections);
        Assert.Equal("rule-timeout", Assert.Single(sink.Notifications).Id);
    }
}
