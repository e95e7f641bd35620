using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Graph;
using static NetSpec.Tests.Graph.Specs;

namespace NetSpec.Tests.Graph;

/// <summary>
/// The graph builder's node order: each node after its inputs, and of the nodes ready at each
/// step the one declared first, so a spec written in a valid order runs as written and golden
/// traces keep their order. Cycles are reported by naming their nodes.
/// </summary>
[TestClass]
public sealed class NodeOrderTests
{
    private static NetworkGraph Build(SpecDocument spec)
    {
        var d = new DiagnosticBag();
        var g = GraphBuilder.Build(spec, d);
        Assert.IsNotNull(g, string.Join("\n", d.Items));
        return g;
    }

    private static string[] Order(NetworkGraph g) => [.. g.Nodes.Select(n => n.Name)];

    [TestMethod]
    public void Nodes_written_in_a_valid_order_keep_it_even_where_others_are_possible()
    {
        // a, b, c are independent; d takes b; e takes a and d: many orders are valid.
        var g = Build(Document(
            [Node("a", "relu", ("x", "x")), Node("b", "relu", ("x", "x")), Node("c", "relu", ("x", "x")),
             Node("d", "relu", ("x", "b")), Node("e", "add", ("a", "a"), ("b", "d"))], [X]));
        CollectionAssert.AreEqual(new[] { "a", "b", "c", "d", "e" }, Order(g));
        CollectionAssert.AreEqual(Enumerable.Range(0, 5).ToArray(), g.Nodes.Select(n => n.Index).ToArray());
    }

    [TestMethod]
    public void A_node_written_before_its_input_moves_after_it_and_the_rest_keep_declaration_order()
    {
        // c takes b, b takes a: a is ready first, then b (declared before d), then c, then d.
        var g = Build(Document(
            [Node("c", "relu", ("x", "b")), Node("a", "relu", ("x", "x")), Node("b", "relu", ("x", "a")), Node("d", "relu", ("x", "x"))], [X]));
        CollectionAssert.AreEqual(new[] { "a", "b", "c", "d" }, Order(g));
    }

    [TestMethod]
    public void The_order_is_the_first_ready_node_in_declaration_order_at_every_step_on_random_graphs()
    {
        // The reference is the definition: at each step, scan the declarations from the first
        // and take the first node not yet taken whose inputs are all taken.
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = rng.Next(1, 40);
            var names = Enumerable.Range(0, n).Select(i => $"n{i}").ToArray();
            // A random DAG over a random topological numbering, then declared in a random order.
            var inputs = new string[n][];
            for (int i = 0; i < n; i++)
                inputs[i] = [.. Enumerable.Range(0, 2).Select(_ => i == 0 || rng.Next(4) == 0 ? "x" : names[rng.Next(i)])];
            var declared = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            var network = declared.Select(i => Node(names[i], "add", ("a", inputs[i][0]), ("b", inputs[i][1]))).ToList();

            var expected = new List<string>();
            var taken = new HashSet<string> { "x" };
            while (expected.Count < n)
                foreach (var node in network)
                {
                    if (taken.Contains(node.Name)) continue;
                    if (!node.Args.All(a => taken.Contains(((ArgScalar)a.Value).Text))) continue;
                    taken.Add(node.Name);
                    expected.Add(node.Name);
                    break;
                }
            CollectionAssert.AreEqual(expected, Order(Build(Document(network, [X]))), $"trial {trial}");
        }
    }

    [TestMethod]
    public void A_50000_node_chain_written_last_node_first_builds_in_chain_order()
    {
        const int n = 50_000;
        var network = Enumerable.Range(1, n).Reverse()
            .Select(i => Node($"r{i}", "relu", ("x", i == 1 ? "x" : $"r{i - 1}"))).ToList();
        var g = Build(Document(network, [X], backwardFrom: $"r{n}", grad: Literal([4], [1, 1, 1, 1])));
        Assert.HasCount(n, g.Nodes);
        for (int i = 0; i < n; i++)
        {
            Assert.AreEqual($"r{i + 1}", g.Nodes[i].Name);
            Assert.AreEqual(i == 0 ? g.Find("x")!.Index : g.Nodes[i - 1].Output, g.Nodes[i].Inputs.Single());
            Assert.AreEqual(i, g.Values[g.Nodes[i].Output].Producer);
        }
        Assert.AreEqual(g.Find($"r{n}")!.Index, g.BackwardFrom);
        Assert.IsTrue(g.NeedsGradient(g.Find("r1")!.Index));
        Assert.IsTrue(g.NeedsGradient(g.Find("x")!.Index));
        Assert.IsFalse(g.NeedsGradient(g.Find("x")!.Index, dataGradients: false));
    }

    [TestMethod]
    public void A_cycle_is_named_node_by_node_at_the_first_node_on_it()
    {
        var spec = NetSpec.Runtime.NetSpecEngine.LoadText("test.yaml", """
            network:
              p: {op: relu, x: x}
              a: {op: add, a: p, b: c}
              b: {op: relu, x: a}
              c: {op: relu, x: b}
            data: {x: [1, 2]}
            """);
        Assert.IsNull(spec.Graph);
        var error = spec.Diagnostics.Items.Single(e => e.Severity == Severity.Error);
        Assert.AreEqual(Codes.Cycle, error.Code);
        Assert.AreEqual("the network has a cycle: a takes c, c takes b, b takes a; no node may depend on its own output", error.Message);
        Assert.AreEqual(3, error.Span.Line);
    }

    [TestMethod]
    public void A_node_taking_its_own_output_is_reported_once_and_does_not_stop_the_others_being_ordered()
    {
        var spec = NetSpec.Runtime.NetSpecEngine.LoadText("test.yaml", """
            network:
              a: {op: add, a: x, b: a}
              b: {op: relu, x: x}
            data: {x: [1, 2]}
            """);
        var error = spec.Diagnostics.Items.Single(e => e.Severity == Severity.Error);
        Assert.AreEqual(Codes.Cycle, error.Code);
        Assert.AreEqual("node 'a' takes its own output as input 'b'", error.Message);
    }
}
