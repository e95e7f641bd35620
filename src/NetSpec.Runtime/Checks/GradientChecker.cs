using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Checks;

/// <summary>The largest relative error found for one value, and where.</summary>
public sealed record GradientCheckResult(string Name, ValueKind Kind, double MaxRelativeError, int WorstIndex, double Analytic, double Numeric, int Checked, int SkippedAtKinks);

/// <summary>
/// Checks the gradients the backward pass computes against central differences in float64,
/// the way Caffe's GradientChecker does: for every element of every data input and parameter
/// the objective depends on, dJ/dv is compared with (J(v + h) - J(v - h)) / 2h using the
/// relative error |a - n| / max(|a|, |n|, 1). For an assumed upstream gradient G on a node z,
/// J = Σ G ⊙ z. Elements whose perturbation moves an input of a kinked op (relu) across zero
/// are skipped, since the derivative is not defined there.
/// </summary>
public static class GradientChecker
{
    public static IReadOnlyList<GradientCheckResult> Check(NetworkGraph graph, double step = 1e-6)
    {
        if (graph.BackwardFrom < 0) return [];
        var interp = new Interpreter<double>(graph, new InterpreterOptions { StopOnNonFinite = false });
        interp.Forward(1);
        interp.Backward(1);
        var kinkInputs = graph.Nodes.Where(n => n.Op.HasKinkAtZero).SelectMany(n => n.Inputs).Distinct().ToArray();
        var signs0 = Signs(interp, graph, kinkInputs);
        var results = new List<GradientCheckResult>();
        foreach (var v in graph.Values)
        {
            if (v.Kind == ValueKind.Node || interp.Gradient(v.Name) is not { } grad) continue;
            var analytic = grad.ToDoubles();
            var x = interp.Value(v.Name).Data;
            double worst = 0, worstA = 0, worstN = 0;
            int worstIndex = 0, checkedCount = 0, skipped = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double orig = x[i];
                x[i] = orig + step;
                double jPlus = Objective(interp, graph, kinkInputs, out var signsPlus);
                x[i] = orig - step;
                double jMinus = Objective(interp, graph, kinkInputs, out var signsMinus);
                x[i] = orig;
                if (!signs0.AsSpan().SequenceEqual(signsPlus) || !signs0.AsSpan().SequenceEqual(signsMinus))
                {
                    skipped++;
                    continue;
                }
                double numeric = (jPlus - jMinus) / (2 * step);
                double err = Math.Abs(analytic[i] - numeric) / Math.Max(1, Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)));
                checkedCount++;
                if (err > worst || double.IsNaN(err))
                {
                    worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                    worstIndex = i;
                    worstA = analytic[i];
                    worstN = numeric;
                }
            }
            interp.Forward(1);
            results.Add(new GradientCheckResult(v.Name, v.Kind, worst, worstIndex, worstA, worstN, checkedCount, skipped));
        }
        return results;
    }

    private static double Objective(Interpreter<double> interp, NetworkGraph graph, int[] kinkInputs, out sbyte[] signs)
    {
        interp.Forward(1);
        signs = Signs(interp, graph, kinkInputs);
        var root = interp.Value(graph.Values[graph.BackwardFrom].Name).Data;
        if (graph.SeedGradient is not { } seed) return root[0];
        double j = 0;
        for (int i = 0; i < root.Length; i++) j += seed[i] * root[i];
        return j;
    }

    private static sbyte[] Signs(Interpreter<double> interp, NetworkGraph graph, int[] kinkInputs)
    {
        var list = new List<sbyte>();
        foreach (var k in kinkInputs)
            foreach (var x in interp.Value(graph.Values[k].Name).Data) list.Add((sbyte)Math.Sign(x));
        return [.. list];
    }
}
