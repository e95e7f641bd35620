using System.Text;
using NetSpec.Runtime;

namespace NetSpec.Tests.Graph;

/// <summary>
/// A 20,000-node chain (the size that once took 16-21 s to check): it loads and runs to the value
/// a hand count gives, declared in reverse order as well as in order, and a mistake near its end
/// is reported once at its line. Speed itself is measured by tools/bench/graph-size.sh, not here.
/// </summary>
[TestClass]
public sealed class LargeGraphTests
{
    private const int Nodes = 20_000;

    private static string Chain(bool reversed, int misspellAt = -1)
    {
        var lines = new List<string>();
        for (int i = 1; i <= Nodes; i++)
            lines.Add($"  n{i}: {{op: {(i == misspellAt ? "reul" : "add")}, a: {(i == 1 ? "x" : $"n{i - 1}")}, b: one}}");
        if (reversed) lines.Reverse();
        var sb = new StringBuilder("netspec: 1\ndata:\n  x: [1]\n  one: [1]\nnetwork:\n");
        foreach (var l in lines) sb.Append(l).Append('\n');
        return sb.ToString();
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void A_twenty_thousand_node_chain_loads_and_computes_its_value(bool reversed)
    {
        var loaded = NetSpecEngine.LoadText("chain.yaml", Chain(reversed));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items.Take(3)));
        var interp = new NetSpec.Runtime.Execution.Interpreter<double>(loaded.Graph!);
        Assert.IsTrue(interp.Forward(1));
        Assert.HasCount(Nodes, loaded.Graph!.Nodes);
        // x = 1 and each node adds one: n_k = 1 + k.
        Assert.AreEqual(1.0 + Nodes, interp.Value($"n{Nodes}")[0]);
        Assert.AreEqual(101.0, interp.Value("n100")[0]);
    }

    [TestMethod]
    public void A_mistake_near_the_end_of_a_long_chain_is_reported_once_at_its_line()
    {
        var loaded = NetSpecEngine.LoadText("chain.yaml", Chain(reversed: false, misspellAt: Nodes - 3));
        Assert.IsFalse(loaded.Ok);
        var errors = loaded.Diagnostics.Items.Where(d => d.Severity == NetSpec.Parser.Diagnostics.Severity.Error).ToList();
        Assert.HasCount(1, errors, string.Join("\n", errors.Take(5)));
        Assert.AreEqual("NS0104", errors[0].Code);
        Assert.AreEqual(5 + Nodes - 3, errors[0].Span.Line);
    }
}
