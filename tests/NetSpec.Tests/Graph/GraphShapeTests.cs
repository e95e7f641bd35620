using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;
using static NetSpec.Tests.Graph.Specs;

namespace NetSpec.Tests.Graph;

/// <summary>
/// Graphs of many shapes through the builder and the interpreter: diamonds (a value used twice
/// gets both gradient contributions), a wide fan-in, data literals of every rank, and the
/// probability-distribution check on rows of any rank.
/// </summary>
[TestClass]
public sealed class GraphShapeTests
{
    private static NetworkGraph Build(SpecDocument spec)
    {
        var d = new DiagnosticBag();
        var g = GraphBuilder.Build(spec, d);
        Assert.IsNotNull(g, string.Join("\n", d.Items));
        return g;
    }

    [TestMethod]
    public void Thirty_diamonds_run_in_declaration_order_and_each_doubles_the_gradient()
    {
        // d_k = relu(d_{k-1}) * relu(d_{k-1}); x in {1, -1, 1, 0}, so every d_k is [1, 0, 1, 0]
        // and dJ/dx = 2^30 where x = 1: each diamond's two branches both flow back to d_{k-1}.
        const int k = 30;
        var network = new List<NodeDecl>();
        string prev = "x";
        for (int i = 1; i <= k; i++)
        {
            network.Add(Node($"a{i}", "relu", ("x", prev)));
            network.Add(Node($"b{i}", "relu", ("x", prev)));
            network.Add(Node($"d{i}", "mul", ("a", $"a{i}"), ("b", $"b{i}")));
            prev = $"d{i}";
        }
        var g = Build(Document(network, [X], backwardFrom: prev, grad: Literal([4], [1, 1, 1, 1])));
        CollectionAssert.AreEqual(network.Select(n => n.Name).ToArray(), g.Nodes.Select(n => n.Name).ToArray());
        var run = new Interpreter<double>(g);
        Assert.IsTrue(run.Forward(1));
        Assert.IsTrue(run.Backward(1));
        CollectionAssert.AreEqual(new double[] { 1, 0, 1, 0 }, run.Value(prev).ToDoubles());
        CollectionAssert.AreEqual(new double[] { 1 << 30, 0, 1 << 30, 0 }, run.Gradient("x")!.ToDoubles());
    }

    [TestMethod]
    public void A_sum_of_a_thousand_nodes_takes_each_once_and_sends_the_gradient_to_each()
    {
        const int n = 1000;
        var network = Enumerable.Range(1, n).Select(i => Node($"r{i}", "relu", ("x", "x"))).ToList();
        network.Insert(0, ListNode("s", "sum", "inputs", Enumerable.Range(1, n).Select(i => $"r{i}")));
        var g = Build(Document(network, [X], backwardFrom: "s", grad: Literal([4], [1, 1, 1, 1])));
        Assert.AreEqual("s", g.Nodes[^1].Name, "the sum is written first but runs last");
        Assert.HasCount(n, g.Nodes[^1].Inputs);
        var run = new Interpreter<double>(g);
        Assert.IsTrue(run.Forward(1));
        Assert.IsTrue(run.Backward(1));
        CollectionAssert.AreEqual(new double[] { n, 0, n, 0 }, run.Value("s").ToDoubles());
        CollectionAssert.AreEqual(new double[] { n, 0, n, 0 }, run.Gradient("x")!.ToDoubles());
        CollectionAssert.AreEqual(new double[] { 1, 1, 1, 1 }, run.Gradient("r500")!.ToDoubles());
    }

    [TestMethod]
    public void Data_of_rank_0_is_a_scalar_rank_1_a_batch_of_one_rank_2_as_written_and_rank_3_keeps_its_dims()
    {
        var g = Build(Document(
            [Node("h0", "relu", ("x", "s")), Node("h1", "relu", ("x", "v")), Node("h2", "relu", ("x", "m")), Node("h3", "relu", ("x", "t"))],
            [Data("s", Literal([], [2])), Data("v", Literal([3], [1, 2, 3])), Data("m", Literal([2, 3], new double[6])),
             Data("t", Literal([2, 3, 4], [.. Enumerable.Range(0, 24).Select(i => i - 12.0)]))]));
        Assert.AreEqual(Shape.Scalar, g.Find("s")!.Shape);
        Assert.AreEqual(new Shape(1, 3), g.Find("v")!.Shape);
        Assert.AreEqual(new Shape(2, 3), g.Find("m")!.Shape);
        Assert.AreEqual(new Shape(2, 3, 4), g.Find("t")!.Shape);
        Assert.AreEqual(new Shape(2, 3, 4), g.Find("h3")!.Shape);
        var run = new Interpreter<double>(g);
        Assert.IsTrue(run.Forward(1));
        CollectionAssert.AreEqual(Enumerable.Range(0, 24).Select(i => Math.Max(0, i - 12.0)).ToArray(), run.Value("h3").ToDoubles());
    }

    [TestMethod]
    public void A_literal_of_rank_3_fits_a_value_of_its_dims_only()
    {
        var lit = Literal([2, 3, 4], new double[24]);
        Assert.IsTrue(GraphBuilder.Fits(lit, new Shape(2, 3, 4)));
        Assert.IsFalse(GraphBuilder.Fits(lit, new Shape(4, 3, 2)));
        Assert.IsFalse(GraphBuilder.Fits(lit, new Shape(6, 4)));
    }

    [TestMethod]
    public void A_target_of_rank_3_is_checked_row_by_row_along_its_last_axis_and_the_bad_row_is_named_by_its_index()
    {
        // 2x2x3: four rows of three; the third, (2, 1), sums to 2.
        var values = new ValueTable();
        double[] y = [1, 0, 0, 0.5, 0.5, 0, 1, 1, 0, 0, 0, 1];
        values.Add(new GraphValue(0, "y", ValueKind.Data, new Shape(2, 2, 3), Nowhere) { Literal = y });
        values.Add(new GraphValue(1, "t", ValueKind.Node, Shape.Scalar, Nowhere));
        var decl = Node("t", "distribution_target", ("y", "y"));
        var node = new PendingNode(0, decl, new DistributionTarget(), 1, [(0, new ArgScalar("y", null, Nowhere))], AttributeValues.Empty, [], true);
        var d = new DiagnosticBag();
        var nodes = new ShapeInference(values, d, long.MaxValue).Run([node]);
        Assert.HasCount(1, nodes);
        var error = d.Items.Single();
        Assert.AreEqual(Codes.NotDistribution, error.Code);
        Assert.AreEqual("distribution_target 't': target 'y' row (2, 1) is not a probability distribution (values must be >= 0 and sum to 1; it sums to 2)", error.Message);
    }

    [TestMethod]
    public void Rows_are_counted_from_one_and_named_by_their_leading_indices_from_rank_3()
    {
        Assert.AreEqual("3", ShapeInference.RowName(new Shape(4, 5), 2));
        Assert.AreEqual("1", ShapeInference.RowName(new Shape(5), 0));
        Assert.AreEqual("(1, 1)", ShapeInference.RowName(new Shape(2, 3, 4), 0));
        Assert.AreEqual("(2, 3)", ShapeInference.RowName(new Shape(2, 3, 4), 5));
        Assert.AreEqual("(2, 1, 2)", ShapeInference.RowName(new Shape(2, 2, 2, 7), 5));
    }

    [TestMethod]
    public void Gradients_flow_to_the_root_and_every_differentiable_input_it_depends_on_and_nowhere_else()
    {
        var loaded = NetSpecEngine.LoadText("test.yaml", """
            network:
              o: {op: softmax, x: x}
              L: {op: cross_entropy, o: o, y: y}
              side: {op: relu, x: x}
            data: {x: [[1, 2]], y: [[0, 1]]}
            backward: {from: L}
            expect:
              forward: {side: [[1, 2]]}
            """);
        var g = loaded.Graph!;
        Assert.IsNotNull(g, string.Join("\n", loaded.Diagnostics.Items));
        bool Needs(string name, bool data = true) => g.NeedsGradient(g.Find(name)!.Index, data);
        Assert.IsTrue(Needs("L"));
        Assert.IsTrue(Needs("o"));
        Assert.IsTrue(Needs("x"));
        Assert.IsFalse(Needs("x", data: false), "training asks for no data gradients");
        Assert.IsFalse(Needs("y"), "a cross-entropy target takes no gradient");
        Assert.IsFalse(Needs("side"), "the objective does not depend on it");
        Assert.IsNull(g.Find("nothing"));
    }

    [TestMethod]
    public void A_forward_only_spec_needs_no_gradient_anywhere()
    {
        var g = Build(Document([Node("h", "relu", ("x", "x"))], [X]));
        Assert.AreEqual(-1, g.BackwardFrom);
        Assert.IsFalse(g.Values.Any(v => g.NeedsGradient(v.Index)));
    }

    /// <summary>An op with one target input, to reach the distribution check with any rank.</summary>
    private sealed class DistributionTarget : Op
    {
        public override string Name => "distribution_target";
        public override string Category => "test";
        public override string Summary => "Takes a target; computes nothing.";
        public override string Formula => "t = 0";
        public override string GradientFormula => "none";
        public override string ShapeRule => "y: any; t: scalar";
        public override string Example => "{op: distribution_target, y: y}";
        public override IReadOnlyList<InputSlot> Inputs { get; } = [new("y", "targets") { Domain = ValueDomain.Distribution, Differentiable = false }];
        public override IEnumerable<GradientCase> GradientCases(int batch) => [];
        protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(Shape.Scalar);
        protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> { }
        private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> { }
    }
}
