using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Checks;

/// <summary>
/// What the check found for one value: its worst element (the one farthest outside the
/// allowance atol + rtol max(|a|, |n|), nearest to it when all pass), with the analytic and
/// numeric derivatives there.
/// </summary>
/// <param name="Name">The data input or parameter.</param>
/// <param name="Kind">Data or parameter.</param>
/// <param name="WorstIndex">Row-major index of the worst element.</param>
/// <param name="Analytic">dJ/dv there, from the backward pass.</param>
/// <param name="Numeric">(J(v + h) - J(v - h)) / 2h there.</param>
/// <param name="Checked">Elements compared.</param>
/// <param name="SkippedAtKinks">Elements left out because their perturbation moved an input of a kinked op across zero.</param>
/// <param name="Passed">Whether every checked element is within its allowance.</param>
public sealed record GradientCheckResult(string Name, ValueKind Kind, int WorstIndex, double Analytic, double Numeric, int Checked, int SkippedAtKinks, bool Passed)
{
    /// <summary>The smallest scale of the relative error: below it two derivatives are both zero for this check.</summary>
    public const double Tiny = 1e-300;

    /// <summary>|a - n| at the worst element (infinite for a NaN).</summary>
    public double AbsoluteError => Error(Math.Abs(Analytic - Numeric));

    /// <summary>|a - n| / max(|a|, |n|, tiny) at the worst element (infinite for a NaN).</summary>
    public double RelativeError => Error(Math.Abs(Analytic - Numeric) / Math.Max(Tiny, Math.Max(Math.Abs(Analytic), Math.Abs(Numeric))));

    private static double Error(double e) => double.IsNaN(e) ? double.PositiveInfinity : e;
}

/// <summary>
/// Checks the gradients the backward pass computes against central differences in float64,
/// the way Caffe's GradientChecker does: for every element of every data input and parameter
/// the objective depends on, dJ/dv (a) is compared with n = (J(v + h) - J(v - h)) / 2h; an
/// element passes when |a - n| &lt;= atol + rtol max(|a|, |n|): relative error rtol, with atol
/// as the floor of what central differences resolve (their rounding error is about
/// 1e-16 |J| / h). For an assumed upstream gradient G on a node z, J = Σ G ⊙ z. Elements whose
/// perturbation moves an input of a kinked op (relu) across zero, or off zero, are skipped,
/// since the derivative is not defined there; elements that move no such input, or move one
/// without a change of sign, are checked.
/// </summary>
public static class GradientChecker
{
    /// <summary>Checks every gradient of <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph; it needs a backward section.</param>
    /// <param name="step">The finite-difference step h.</param>
    /// <param name="rtol">The relative error accepted.</param>
    /// <param name="atol">The absolute error accepted whatever the size of the derivatives.</param>
    /// <param name="data">Values of data inputs in place of the graph's (a training spec's real batch), by name.</param>
    public static IReadOnlyList<GradientCheckResult> Check(NetworkGraph graph, double step = 1e-6, double rtol = 1e-6, double atol = 1e-8,
        IReadOnlyDictionary<string, double[]>? data = null)
    {
        if (graph.BackwardFrom < 0) return [];
        var interp = new Interpreter<double>(graph, new InterpreterOptions { StopOnNonFinite = false });
        if (data is not null)
            foreach (var (name, values) in data)
                values.CopyTo(interp.Value(name).Data, 0);
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
            double worst = -1, worstA = 0, worstN = 0;
            int worstIndex = 0, checkedCount = 0, skipped = 0;
            bool passed = true;
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
                double err = Math.Abs(analytic[i] - numeric);
                double allowance = atol + rtol * Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric));
                double score = double.IsNaN(err) ? double.PositiveInfinity : err / (allowance + GradientCheckResult.Tiny);
                if (!(err <= allowance)) passed = false;
                checkedCount++;
                if (score > worst)
                {
                    worst = score;
                    worstIndex = i;
                    worstA = analytic[i];
                    worstN = numeric;
                }
            }
            interp.Forward(1);
            results.Add(new GradientCheckResult(v.Name, v.Kind, worstIndex, worstA, worstN, checkedCount, skipped, passed));
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
