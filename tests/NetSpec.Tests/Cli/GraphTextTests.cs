using System.Text.RegularExpressions;
using NetSpec.Cli;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;

namespace NetSpec.Tests.Cli;

[TestClass]
public sealed partial class GraphTextTests
{
    private static NetworkGraph Lab07() => NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;

    /// <summary>The 13 edges of Lab 07 as (from, slot, to), written down from specs/lab07.yaml.</summary>
    private static readonly (string From, string Slot, string To)[] Lab07Edges =
    [
        ("x", "x", "z"), ("W", "W", "z"), ("b", "b", "z"), ("z", "x", "h"), ("h", "x", "o"), ("M", "W", "o"), ("c", "b", "o"),
        ("o", "o", "L"), ("y", "y", "L"), ("W", "weights", "S"), ("M", "weights", "S"), ("L", "inputs", "J"), ("S", "inputs", "J"),
    ];

    [TestMethod]
    public void Mermaid_draws_data_parameters_and_nodes_with_their_shapes_and_every_edge_with_its_slot()
    {
        var text = GraphText.Mermaid(Lab07());
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("flowchart LR", lines[0]);
        CollectionAssert.Contains(lines, "  v_x[/\"x<br/>data 1x2\"/]:::data");
        CollectionAssert.Contains(lines, "  v_y[/\"y<br/>data 1x2\"/]:::data");
        CollectionAssert.Contains(lines, "  v_W[(\"W<br/>parameter 3x2\")]:::parameter");
        CollectionAssert.Contains(lines, "  v_b[(\"b<br/>parameter 3\")]:::parameter");
        CollectionAssert.Contains(lines, "  v_M[(\"M<br/>parameter 2x3\")]:::parameter");
        CollectionAssert.Contains(lines, "  v_z[\"z<br/>linear 1x3\"]:::op");
        CollectionAssert.Contains(lines, "  v_o[\"o<br/>linear 1x2\"]:::op");
        CollectionAssert.Contains(lines, "  v_S[\"S<br/>l2_regularization scalar<br/>lambda = 0.1\"]:::op");
        CollectionAssert.Contains(lines, "  v_J[\"J<br/>sum scalar\"]:::objective");
        var edges = lines.Select(l => MermaidEdge().Match(l)).Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToArray();
        CollectionAssert.AreEquivalent(Lab07Edges, edges);
        // Every id used by an edge is declared as a box.
        var declared = lines.Select(l => MermaidBox().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.HasCount(12, declared);
        foreach (var (from, _, to) in edges) Assert.IsTrue(declared.Contains(from) && declared.Contains(to));
    }

    [TestMethod]
    public void Dot_is_a_digraph_with_one_statement_per_value_and_edge()
    {
        var text = GraphText.Dot(Lab07());
        StringAssert.StartsWith(text, "digraph \"lab07\" {\n");
        StringAssert.EndsWith(text, "}\n");
        StringAssert.Contains(text, "\"x\" [shape=parallelogram, fillcolor=\"#dbeafe\", label=\"x\\ndata 1x2\"];");
        StringAssert.Contains(text, "\"W\" [shape=cylinder, fillcolor=\"#fef3c7\", label=\"W\\nparameter 3x2\"];");
        StringAssert.Contains(text, "\"h\" [shape=box, fillcolor=\"#f3f4f6\", label=\"h\\nrelu 1x3\"];");
        StringAssert.Contains(text, "\"J\" [shape=box, fillcolor=\"#fee2e2\", penwidth=2, label=\"J\\nsum scalar\"];");
        var edges = DotEdge().Matches(text).Select(m => (m.Groups[1].Value, m.Groups[3].Value, m.Groups[2].Value)).ToArray();
        CollectionAssert.AreEquivalent(Lab07Edges, edges);
        Assert.AreEqual(text.Count(c => c == '{'), text.Count(c => c == '}'));
    }

    [GeneratedRegex("^  v_(\\w+) -->\\|(\\w+)\\| v_(\\w+)$")]
    private static partial Regex MermaidEdge();

    [GeneratedRegex("^  v_(\\w+)[\\[(]")]
    private static partial Regex MermaidBox();

    [GeneratedRegex("\"(\\w+)\" -> \"(\\w+)\" \\[label=\"(\\w+)\"\\];")]
    private static partial Regex DotEdge();
}
