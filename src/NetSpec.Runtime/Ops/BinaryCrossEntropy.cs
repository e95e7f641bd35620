using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Binary cross-entropy of probabilities p against targets y, torch.nn.BCELoss:
/// l_i = -(y_i max(ln p_i, -100) + (1 - y_i) max(ln(1 - p_i), -100)), then the mean over every
/// element (the default), the sum, or none. The logarithms are clamped at -100 as PyTorch's, so
/// p = 0 or 1 gives a finite loss of at most 100 per element. Backward, as PyTorch's:
/// ∂l_i/∂p_i = (p_i - y_i) / max(p_i (1 - p_i), ε), ε = 1e-12 rounded to float32 as in PyTorch.
/// </summary>
public sealed class BinaryCrossEntropy : ElementwiseLoss<BinaryCrossEntropy.Function>
{
    public override string Name => "binary_cross_entropy";
    public override string Summary => "Binary cross-entropy of probabilities p in [0, 1] against targets y, averaged over every element (or summed, or not reduced).";
    public override string Formula => "l_i = -(y_i max(ln p_i, -100) + (1 - y_i) max(ln(1 - p_i), -100)); L = (1/n) Σ_i l_i (mean), Σ_i l_i (sum), l (none)";
    public override string GradientFormula => "dJ/dp = g ⊙ (p - y) / max(p (1 - p), 1e-12), g = dJ/dL / n (mean), dJ/dL (sum), dJ/dl (none)";
    public override string Convention =>
        "torch.nn.BCELoss(reduction) and torch.nn.functional.binary_cross_entropy (without its weight): the mean runs over " +
        "every element. As PyTorch's, each logarithm is clamped at -100 (ln 0 counts as -100, so p = 0 or 1 gives a finite " +
        "loss), ln(1 - p) is computed as log1p(-p), and the gradient is (p - y) / max(p (1 - p), 1e-12), which is the " +
        "derivative of the unclamped loss away from p = 0 and 1 (PyTorch's 1e-12 is a float32 constant, 9.99999996e-13, " +
        "so at p = 1, y = 0 the gradient is 1.000000004e12). p outside [0, 1] gives NaN (torch refuses it). The target " +
        "may be any value in [0, 1] (soft labels) and gets no gradient. For logits prefer binary_cross_entropy_with_logits, " +
        "exact where sigmoid rounds to 0 or 1. ONNX has no BCE op: exported as Log, Max with -100, Mul, Sub, Add, Neg, then " +
        "ReduceMean, ReduceSum or Identity (with ln(1 - p), not log1p).";
    public override string Example => "{op: binary_cross_entropy, p: o, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("p", "probabilities in [0, 1] (a sigmoid's output), any shape") { Domain = ValueDomain.Probability },
        new("y", "targets in [0, 1], the shape of p (no gradient)") { Differentiable = false, Domain = ValueDomain.Probability },
    ];

    private static T Clamp<T>(T log) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Max(log, T.CreateChecked(-100));

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The element loss of binary_cross_entropy and its derivative (see <see cref="IElementLoss{TSelf}"/>).</summary>
    public readonly struct Function : IElementLoss<Function>
    {
        public static T F<T>(T p, T y, T w) where T : unmanaged, IFloatingPointIeee754<T> =>
            (y - T.One) * Clamp(T.LogP1(-p)) - y * Clamp(T.Log(p));

        public static T Dfdx<T>(T p, T y, T w) where T : unmanaged, IFloatingPointIeee754<T> =>
            (p - y) / T.Max((T.One - p) * p, T.CreateChecked(Epsilon));
    }

    /// <summary>PyTorch's floor of p (1 - p) in the gradient: 1e-12 as a float32 constant (Loss.cpp's EPSILON), 9.99999996e-13.</summary>
    private const double Epsilon = 1e-12f;

    /// <summary>-((y)log(p) + (1 - y)log(1 - p)); where a log is clamped at -100 the clamp is written (max(log(0), -100)).</summary>
    protected override Explain.MathExpr? ExplainTerm(Explain.MathNumber p, Explain.MathNumber y, Explain.MathNumber? w)
    {
        Explain.MathExpr Log(Explain.MathExpr v, double value) =>
            Math.Log(value) >= -100 ? Explain.M.Call("log", v) : new Explain.MathNumber(-100);
        var q = new Explain.MathDifference(new Explain.MathNumber(1), p);
        return new Explain.MathNegation(new Explain.MathSum([
            new Explain.MathProduct([y, Log(p, p.Value)]),
            new Explain.MathProduct([new Explain.MathDifference(new Explain.MathNumber(1), y), Log(q, 1 - p.Value)]),
        ]));
    }

    protected override IReadOnlyList<Explain.MathExpr>? ExplainDerivative(Explain.MathNumber p, Explain.MathNumber y, Explain.MathNumber? w) =>
        (1 - p.Value) * p.Value < Epsilon ? null
        : [new Explain.MathFraction(new Explain.MathDifference(p, y), new Explain.MathProduct([p, new Explain.MathDifference(new Explain.MathNumber(1), p)]))];

    protected override string WriteLosses(IOnnxWriter writer, string name, string p, string y, string? w)
    {
        string one = writer.Scalar($"{name}/one", 1), floor = writer.Scalar($"{name}/floor", -100);
        writer.Node("Log", $"{name}/log_p", [p], $"{name}/log_p");
        writer.Node("Max", $"{name}/clamped_log_p", [$"{name}/log_p", floor], $"{name}/clamped_log_p");
        writer.Node("Sub", $"{name}/q", [one, p], $"{name}/q");
        writer.Node("Log", $"{name}/log_q", [$"{name}/q"], $"{name}/log_q");
        writer.Node("Max", $"{name}/clamped_log_q", [$"{name}/log_q", floor], $"{name}/clamped_log_q");
        writer.Node("Mul", $"{name}/y_log_p", [y, $"{name}/clamped_log_p"], $"{name}/y_log_p");
        writer.Node("Sub", $"{name}/not_y", [one, y], $"{name}/not_y");
        writer.Node("Mul", $"{name}/not_y_log_q", [$"{name}/not_y", $"{name}/clamped_log_q"], $"{name}/not_y_log_q");
        writer.Node("Add", $"{name}/log_likelihood", [$"{name}/y_log_p", $"{name}/not_y_log_q"], $"{name}/log_likelihood");
        writer.Node("Neg", $"{name}/losses", [$"{name}/log_likelihood"], $"{name}/losses");
        return $"{name}/losses";
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.binary_cross_entropy(p, y, reduction=reduction): torch's clamp at -100, log1p(-p) and 1e-12 (as float32) in the gradient are NetSpec's.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"F.binary_cross_entropy({node[0]}, {node[1]}, reduction={Py.Str(LossReduction.Of(node.Attributes, 0))})");
    }
}
