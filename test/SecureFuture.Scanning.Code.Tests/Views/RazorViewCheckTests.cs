using SecureFuture.Core;
using SecureFuture.Scanning.Code.Views;

namespace SecureFuture.Scanning.Code.Tests.Views;

public sealed class RazorViewCheckTests
{
    private static readonly CodeRule Rule = CodeRuleCatalog.Load([("rules/code/x.yaml", """
        id: SFI-CODE-004
        name: CrossSiteScripting
        title: t
        description: d
        help: h
        severity: high
        precision: medium
        cwe: [79]
        message: Untrusted data from {source} is written as HTML without encoding ({sink})
        pattern: WeakCipher
        examples: { vulnerable: [x], safe: [y] }
        """)]).Rules[0];

    [Theory]
    [InlineData("<p>@Html.Raw(Context.Request.Query[\"bio\"])</p>", "request query")]
    [InlineData("<p>@Html.Raw(Request.Form[\"c\"].ToString().Replace(\"\\n\", \"<br>\"))</p>", "request form")]
    [InlineData("@{ var bio = Context.Request.Query[\"bio\"].ToString(); var shown = \"<b>\" + bio; }\n<p>@Html.Raw(shown)</p>", "request query assigned to 'shown'")]
    [InlineData("<p>@(new HtmlString(Request.Cookies[\"theme\"]))</p>", "request cookie")]
    [InlineData("@code { string name = Request.Query[\"n\"]; }\n<p>@((MarkupString)name)</p>", "request query assigned to 'name'")]
    public void Request_data_written_raw_in_a_view_is_reported_with_its_source(string view, string source)
    {
        var sink = Run(view);

        var (path, detection) = Assert.Single(sink.Reports);
        Assert.Equal("Views/Home/Profile.cshtml", path);
        Assert.Equal("SFI-CODE-004", detection.RuleId);
        Assert.Contains(source, detection.Message, StringComparison.Ordinal);
        var sinkText = view.Substring(detection.Start, detection.Length);
        Assert.Matches(@"^(Html\.Raw\(|new HtmlString\(|\(MarkupString\))", sinkText);
        Assert.Equal(2, detection.Flow!.Count);
        Assert.Contains("Request", view.Substring(detection.Flow[0].Start, detection.Flow[0].Length), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@{ var bio = Context.Request.Query[\"bio\"].ToString(); }\n<p>@Html.Raw(Encoder.Encode(bio).Replace(\"\\n\", \"<br>\"))</p>")]
    [InlineData("@{ var bio = Context.Request.Query[\"bio\"].ToString(); }\n<p>@bio</p>")]
    [InlineData("<p>@Html.Raw(Model.Description)</p>")]
    [InlineData("<p>@Html.Raw(\"<br/>\")</p>")]
    [InlineData("@* @Html.Raw(Request.Query[\"x\"]) *@<p>commented out</p>")]
    [InlineData("<p>@Html.Raw(WebUtility.HtmlEncode(Request.Query[\"q\"]))</p>")]
    [InlineData("@{ var request = Model.Request; }\n<p>@Html.Raw(Model.RequestSummary)</p>")]
    [InlineData("@{ var bio = Request.Query[\"bio\"].ToString(); }\n<p>@Html.Raw(\"<i>bio</i>\")</p>")]
    public void Encoded_model_literal_or_commented_out_writes_are_not_reported(string view)
    {
        Assert.Empty(Run(view).Reports);
    }

    [Fact]
    public void A_hostile_view_ends_quickly_without_a_result()
    {
        var view = "@Html.Raw(" + new string('(', 20_000) + string.Concat(Enumerable.Repeat("var a = Request.Query; ", 2_000));
        var started = System.Diagnostics.Stopwatch.StartNew();

        Run(view);

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    private static Sink Run(string view)
    {
        var sink = new Sink();
        RazorViewCheck.Run(new ScanTarget("Views/Home/Profile.cshtml", view), Rule, sink, CancellationToken.None);
        return sink;
    }

    private sealed class Sink : IProjectSink
    {
        public List<(string Path, Detection Detection)> Reports { get; } = [];

        public void Report(string path, Detection detection) => Reports.Add((path, detection));

        public void Count(string statistic, long value)
        {
        }

        public void Notify(Notification notification)
        {
        }
    }
}
