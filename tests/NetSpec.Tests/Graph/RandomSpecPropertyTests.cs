using CsCheck;
using NetSpec.Runtime;
using NetSpec.Runtime.Checks;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Graph;

/// <summary>
/// Property tests over random valid specs (CsCheck, shrinking to the smallest failing case): one
/// node of a random op, one of its gradient-check cases (ranks 0 to 5, attributes, shared
/// inputs), a random batch size and random inputs, with a random upstream gradient. For every
/// spec that `check` accepts, no op throws in forward
/// or backward; each node's output has the shape its op's shape rule gives for the shapes of the
/// tensors it actually received; and float32 computes what float64 does (1e-3 relative).
/// </summary>
[TestClass]
public sealed class RandomSpecPropertyTests
{
    private static readonly Op[] Ops = [.. OpRegistry.All];

    private static readonly Gen<(int Op, int Case, int Batch, int Seed)> Specs =
        Gen.Select(Gen.Int[0, Ops.Length - 1], Gen.Int[0, 63], Gen.Int[1, 6], Gen.Int[0, 1_000_000]);

    private static string? SpecText((int Op, int Case, int Batch, int Seed) s)
    {
        var op = Ops[s.Op];
        var cases = op.GradientCases(s.Batch).ToList();
        var c = cases[s.Case % cases.Count];
        return GradientCaseSpecs.Spec(op, c, s.Batch, s.Seed);
    }

    [TestMethod]
    public void Every_accepted_random_spec_runs_with_the_inferred_shapes_and_agrees_across_element_types()
    {
        Specs.Sample(s =>
        {
            string text = SpecText(s)!;
            var loaded = NetSpecEngine.LoadText("random.yaml", text);
            if (!loaded.Ok) return true; // check refused it: nothing to run
            var graph = loaded.Graph!;
            var f64 = new Interpreter<double>(graph, new InterpreterOptions { StopOnNonFinite = false });
            f64.Forward(1);
            if (graph.BackwardFrom >= 0) f64.Backward(1);
            foreach (var n in graph.Nodes)
            {
                var actual = n.Inputs.Select(i => f64.Value(graph.Values[i].Name).Shape).ToList();
                var again = n.Op.Setup(actual, [.. n.Inputs.Select(i => graph.Values[i].Name)], n.Attributes);
                if (again.Shape is not { } shape || !shape.Equals(f64.Value(n.Name).Shape)) return false;
            }
            var f32 = new Interpreter<float>(graph, new InterpreterOptions { StopOnNonFinite = false });
            f32.Forward(1);
            foreach (var n in graph.Nodes)
            {
                var a = f64.Value(n.Name).ToDoubles();
                var b = f32.Value(n.Name).ToDoubles();
                for (int i = 0; i < a.Length; i++)
                    if (double.IsFinite(a[i]) && Math.Abs(a[i] - b[i]) > 1e-3 * Math.Max(1, Math.Abs(a[i]))) return false;
            }
            return true;
        }, iter: 400, print: s => $"{Ops[s.Op].Name} case {s.Case} batch {s.Batch} seed {s.Seed}:\n{SpecText(s)}");
    }
}
