using System.Globalization;
using System.Xml.Linq;
using SecureFuture.ThreatModeling.Diagrams;
using SecureFuture.ThreatModeling.Engine;
using SecureFuture.ThreatModeling.Model;
using SecureFuture.ThreatModeling.Templates;
using SecureFuture.ThreatModeling.Yaml;

namespace SecureFuture.ThreatModeling.Tests;

/// <summary>
/// Diagrams of models without coordinates, read back from the SVG's own geometry: no two labels overlap, no label sits
/// on a box, boxes do not overlap, and a boundary holds its members. The SVGs are written to artifacts/diagrams so a
/// person can look at them.
/// </summary>
public sealed class DiagramLayoutTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static TheoryData<string> YamlModels()
    {
        var root = RepositoryRoot();
        return new TheoryData<string>(
            Path.Combine(root, "docs", "threat-model", "sfi.yaml"),
            TestFiles.Path("models/payments.yaml"));
    }

    [Theory]
    [MemberData(nameof(YamlModels))]
    public void Diagram_HasNoOverlappingLabelsOrBoxes_AndBoundariesHoldTheirMembers(string path)
    {
        var model = ThreatAnalyzer.Load(path).Model;
        var text = SvgDiagramWriter.Write(model);
        var artifacts = Path.Combine(RepositoryRoot(), "artifacts", "diagrams");
        Directory.CreateDirectory(artifacts);
        File.WriteAllText(Path.Combine(artifacts, Path.GetFileNameWithoutExtension(path) + ".svg"), text);

        var svg = XDocument.Parse(text);
        var boxes = Groups(svg, "process", "data-store", "external-entity").ToDictionary(g => (string)g.Attribute("id")!, Shape);
        var boundaries = Groups(svg, "boundary").ToDictionary(g => (string)g.Attribute("id")!, Shape);
        var labels = svg.Descendants(Svg + "text").Select(t => (Text: t.Value, Box: TextBox(t))).ToList();
        Assert.Equal(model.Elements.Count(e => e.Kind != ElementKind.Annotation), boxes.Count);
        Assert.Equal(model.Flows.Count, Groups(svg, "flow").Count());

        for (var i = 0; i < labels.Count; i++)
        {
            for (var j = i + 1; j < labels.Count; j++)
            {
                Assert.False(labels[i].Box.Overlaps(labels[j].Box), $"labels '{labels[i].Text}' and '{labels[j].Text}' overlap");
            }
        }

        var names = model.Elements.ToDictionary(e => e.Id, e => e.Name, StringComparer.Ordinal);
        foreach (var (id, box) in boxes)
        {
            // A box's own name is inside it and holds within it; every other label stays off it.
            Assert.Single(labels, l => l.Box.Overlaps(box) && l.Text == names[id]);
            Assert.True(box.Contains(labels.First(l => l.Text == names[id]).Box), $"'{names[id]}' does not fit its box");
            Assert.DoesNotContain(labels, l => l.Text != names[id] && l.Box.Overlaps(box));
            Assert.DoesNotContain(boxes, o => o.Key != id && o.Value.Overlaps(box));
        }

        foreach (var boundary in model.Boundaries.Where(b => b.Shape == BoundaryShape.Border && b.Members is { Count: > 0 }))
        {
            var rect = boundaries[boundary.Id];
            Assert.All(boundary.Members!, m => Assert.True(rect.Contains(boxes[m]), $"{m} is outside boundary {boundary.Id}"));
            Assert.All(boxes.Where(b => !boundary.Members!.Contains(b.Key)), b => Assert.False(rect.Overlaps(b.Value), $"{b.Key} is drawn inside boundary {boundary.Id}"));
        }
    }

    [Fact]
    public void Diagram_OfAModelTooLargeForTheLayout_FallsBackToColumns()
    {
        var elements = Enumerable.Range(0, GraphLayout.MaxElements + 1).Select(i => $"  - {{ id: e{i}, name: E{i}, type: GE.P }}");
        var flows = Enumerable.Range(0, GraphLayout.MaxElements).Select(i => $"  - {{ id: f{i}, from: e{i}, to: e{i + 1}, name: F{i} }}");
        var yaml = $"version: 1\nname: big\nelements:\n{string.Join('\n', elements)}\nflows:\n{string.Join('\n', flows)}\n";
        var model = YamlModelReader.Read(new StringReader(yaml), "big.yaml", RuleCatalogue.Default.Template);
        Assert.Null(GraphLayout.TryLayout(model.Elements, model.Flows, model.Boundaries));
        Assert.Contains($"id=\"e{GraphLayout.MaxElements}\"", SvgDiagramWriter.Write(model), StringComparison.Ordinal);
    }

    private static IEnumerable<XElement> Groups(XDocument svg, params string[] classes) =>
        svg.Descendants(Svg + "g").Where(g => classes.Contains((string?)g.Attribute("class")));

    /// <summary>The bounding box of a group's first shape (rect or ellipse).</summary>
    private static Box Shape(XElement group)
    {
        var shape = group.Elements().First(e => e.Name == Svg + "rect" || e.Name == Svg + "ellipse");
        if (shape.Name == Svg + "ellipse")
        {
            double cx = D(shape, "cx"), cy = D(shape, "cy"), rx = D(shape, "rx"), ry = D(shape, "ry");
            return new Box(cx - rx, cy - ry, cx + rx, cy + ry);
        }

        return new Box(D(shape, "x"), D(shape, "y"), D(shape, "x") + D(shape, "width"), D(shape, "y") + D(shape, "height"));
    }

    /// <summary>The room a 12 px label takes: its baseline is y, its anchor start or middle, its width as the layout measures it.</summary>
    private static Box TextBox(XElement text)
    {
        var width = GraphLayout.TextWidth(text.Value);
        var x = D(text, "x");
        var left = (string?)text.Attribute("text-anchor") == "middle" ? x - (width / 2) : x;
        var baseline = D(text, "y");
        return new Box(left, baseline - 11, left + width, baseline + 3);
    }

    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docs", "threat-model", "sfi.yaml")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("docs/threat-model/sfi.yaml");
    }

    private readonly record struct Box(double Left, double Top, double Right, double Bottom)
    {
        public bool Overlaps(Box o) => Left < o.Right && o.Left < Right && Top < o.Bottom && o.Top < Bottom;

        public bool Contains(Box o) => o.Left >= Left - 0.5 && o.Right <= Right + 0.5 && o.Top >= Top - 0.5 && o.Bottom <= Bottom + 0.5;
    }
}
