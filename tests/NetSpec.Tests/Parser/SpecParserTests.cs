using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;

namespace NetSpec.Tests.Parser;

[TestClass]
public sealed class SpecParserTests
{
    private static (SpecDocument? Doc, DiagnosticBag Diagnostics) Parse(string yaml)
    {
        var d = new DiagnosticBag();
        var r = SpecParser.ParseText("t.yaml", yaml, d);
        return (r.Document, d);
    }

    [TestMethod]
    public void Lab07_parses_into_records_with_positions()
    {
        var d = new DiagnosticBag();
        var doc = SpecParser.ParseFile(Path.Combine(TestPaths.Specs, "lab07.yaml"), d).Document!;
        Assert.IsEmpty(d.Items);
        Assert.AreEqual("lab07", doc.Name);
        Assert.AreEqual(DType.Float64, doc.DType);
        CollectionAssert.AreEqual(new[] { "z", "h", "o", "L", "S", "J" }, doc.Network.Select(n => n.Name).ToArray());
        var h = doc.Network[1];
        Assert.AreEqual("relu", h.Op.Name);
        Assert.AreEqual(10, h.NameSpan.Line);
        Assert.AreEqual(3, h.NameSpan.Column);
        Assert.AreEqual(10, h.Op.Span.Line);
        Assert.AreEqual(11, h.Op.Span.Column);
        Assert.AreEqual(0.001, doc.Optimizer!.LearningRate.Value);
        Assert.AreEqual("alpha", doc.Optimizer.LearningRate.Hyperparameter);
        Assert.AreEqual(18, doc.Expectations.Count);
        Assert.AreEqual(1e-12, doc.DefaultTolerance);
    }

    [TestMethod]
    public void A_data_vector_is_a_batch_of_one_and_a_parameter_vector_stays_a_vector()
    {
        var loaded = NetSpecEngine.LoadText("t.yaml", """
            network: {z: {op: linear, x: x, W: W, b: b}}
            data: {x: [1, 2]}
            parameters: {W: [[1, 2], [3, 4], [5, 6]], b: [0, 0, 0]}
            """);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var g = loaded.Graph!;
        Assert.AreEqual(new Shape(1, 2), g.Find("x")!.Shape);
        Assert.AreEqual(new Shape(3), g.Find("b")!.Shape);
        Assert.AreEqual(new Shape(1, 3), g.Find("z")!.Shape);
    }

    [TestMethod]
    public void Nodes_may_be_written_in_any_order_and_run_in_dependency_order()
    {
        var loaded = NetSpecEngine.LoadText("t.yaml", """
            network:
              K: {op: sum, inputs: [h, a]}
              h: {op: relu, x: a}
            data: {a: [1, -2]}
            """);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        CollectionAssert.AreEqual(new[] { "h", "K" }, loaded.Graph!.Nodes.Select(n => n.Name).ToArray());
    }

    [TestMethod]
    public void Hyperparameters_are_resolved_by_name_wherever_a_number_is_expected()
    {
        var (doc, d) = Parse("""
            hyperparameters: {lr: 0.5, n: 3}
            network: {L: {op: l2_loss, o: o, y: y}}
            data: {o: [1], y: [0]}
            backward: {from: L}
            optimizer: {type: sgd, learning_rate: lr, steps: n}
            """);
        Assert.IsEmpty(d.Items);
        Assert.AreEqual(0.5, doc!.Optimizer!.LearningRate.Value);
        Assert.AreEqual(3, doc.Optimizer.Steps.Value);
    }

    [TestMethod]
    public void Every_independent_mistake_is_reported_in_one_pass()
    {
        var loaded = NetSpecEngine.LoadText("t.yaml", """
            netspec: 1
            nmae: typo
            network:
              h: {op: reul, x: z}
              o: {op: linear, x: q, W: W, b: b}
            parameters: {W: [[1, 2], [3]], b: [1, 2]}
            """);
        var codes = loaded.Diagnostics.Items.Select(i => i.Code).ToList();
        CollectionAssert.Contains(codes, Codes.UnknownKey);        // nmae
        CollectionAssert.Contains(codes, Codes.UnknownOp);         // reul
        CollectionAssert.Contains(codes, Codes.RaggedMatrix);      // W
        CollectionAssert.Contains(codes, Codes.UnknownReference);  // q
        var typo = loaded.Diagnostics.Items.First(i => i.Code == Codes.UnknownKey);
        StringAssert.Contains(typo.Message, "did you mean 'name'?");
        Assert.AreEqual(2, typo.Span.Line);
        Assert.AreEqual(1, typo.Span.Column);
    }

    [TestMethod]
    public void A_cycle_is_refused_naming_its_nodes()
    {
        var loaded = NetSpecEngine.LoadText("t.yaml", """
            network:
              a: {op: relu, x: c}
              b: {op: relu, x: a}
              c: {op: relu, x: b}
            """);
        var cycle = loaded.Diagnostics.Items.Single(i => i.Code == Codes.Cycle);
        StringAssert.Contains(cycle.Message, "a takes c, c takes b, b takes a");
    }

    [TestMethod]
    public void A_shape_mismatch_is_reported_at_the_node_that_receives_it()
    {
        var loaded = NetSpecEngine.LoadText("t.yaml", """
            network:
              h: {op: relu, x: x}
              o: {op: linear, x: h, W: M, b: c}
            data: {x: [1, 2, 3, 4]}
            parameters: {M: [[1, 2, 3], [4, 5, 6]], c: [0, 0]}
            """);
        var d = loaded.Diagnostics.Items.Single(i => i.Code == Codes.ShapeMismatch);
        Assert.AreEqual("linear 'o': weight M is 2x3 but its input h has 4 features", d.Message);
        Assert.AreEqual(3, d.Span.Line);
        Assert.AreEqual(3, d.Span.Column);
    }

    [TestMethod]
    public void A_diagnostic_renders_with_its_source_line_and_carets()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.Specs, "lab07.yaml")).Replace("h: {op: relu", "h: {op: reul", StringComparison.Ordinal);
        var loaded = NetSpecEngine.LoadText("specs/lab07.yaml", text);
        var d = loaded.Diagnostics.Items.Single();
        var rendered = DiagnosticFormatter.Format(d, loaded.Source);
        Assert.AreEqual(
            "specs/lab07.yaml:10:11: error NS0104: unknown op 'reul' in node 'h'; did you mean 'relu'?\n" +
            "   10 |   h: {op: reul, x: z}\n" +
            "      |           ^^^^", rendered);
    }

    [TestMethod]
    [DataRow("training: {epoch: 3, batch_size: 2}", "epochs", DisplayName = "training")]
    [DataRow("dataset: {file: d.csv, lable: c, inputs: x, targets: y}", "label", DisplayName = "dataset")]
    [DataRow("optimizer: {type: sgd, learning_rte: 0.1}", "learning_rate", DisplayName = "optimizer")]
    [DataRow("optimizer: {type: sgd, learning_rate: 0.1, schedule: {type: step, gamma: 0.5, step_sise: 2}}", "step_size", DisplayName = "schedule")]
    public void A_misspelled_required_key_is_reported_once_as_a_misspelling_not_also_as_missing(string section, string key)
    {
        var (_, d) = Parse("network: {h: {op: relu, x: x}}\n" + section + "\n");
        var unknown = d.Items.Single(i => i.Code == Codes.UnknownKey);
        StringAssert.Contains(unknown.Message, $"did you mean '{key}'?");
        Assert.IsFalse(d.Items.Any(i => i.Code == Codes.MissingField && i.Message.Contains($"'{key}:'", StringComparison.Ordinal)),
            string.Join("\n", d.Items));
    }

    [TestMethod]
    [DataRow("x", true)]
    [DataRow("_w2", true)]
    [DataRow("名前", true)]
    [DataRow("", false)]
    [DataRow("1x", false)]
    [DataRow("a b", false)]
    [DataRow("a-b", false)]
    public void Names_follow_one_rule(string name, bool valid) => Assert.AreEqual(valid, Names.IsValid(name));

    [TestMethod]
    public void A_name_may_have_128_characters_but_not_129()
    {
        Assert.IsTrue(Names.IsValid(new string('a', Names.MaxLength)));
        Assert.IsFalse(Names.IsValid(new string('a', Names.MaxLength + 1)));
    }
}
