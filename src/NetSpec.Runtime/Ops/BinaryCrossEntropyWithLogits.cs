using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sigmoid and binary cross-entropy in one stable step, torch.nn.BCEWithLogitsLoss: on logits x
/// and targets y, l_i = max(x_i, 0) - x_i y_i + ln(1 + e^(-|x_i|)), which is
/// -(y ln s(x) + (1 - y) ln(1 - s(x))) without overflow or cancellation for large |x|; then the
/// mean over every element (the default), the sum, or none. Backward: ∂l_i/∂x_i = s(x_i) - y_i.
/// With pos_weight p (a vector along the last axis, torch's): l = p y softplus(-x) + (1 - y)
/// softplus(x), softplus(v) = ln(1 + e^(-|v|)) + max(v, 0); ∂l/∂x = (p y + 1 - y) s(x) - p y.
/// </summary>
public sealed class BinaryCrossEntropyWithLogits : ElementwiseLoss<BinaryCrossEntropyWithLogits.Function>
{
    public override string Name => "binary_cross_entropy_with_logits";
    public override string Summary => "Sigmoid and binary cross-entropy in one stable step, on logits, averaged over every element (or summed, or not reduced).";
    public override string Formula => "l_i = max(x_i, 0) - x_i y_i + ln(1 + e^(-|x_i|)) = -(y_i ln s(x_i) + (1 - y_i) ln(1 - s(x_i))); with pos_weight p: l_i = -(p_j y_i ln s(x_i) + (1 - y_i) ln(1 - s(x_i))), j i's position on the last axis; L = (1/n) Σ_i l_i (mean), Σ_i l_i (sum), l (none)";
    public override string GradientFormula => "dJ/dx = g ⊙ (s(x) - y), s the sigmoid, g = dJ/dL / n (mean), dJ/dL (sum), dJ/dl (none); with pos_weight p: g ⊙ ((p y + 1 - y) s(x) - p y)";
    public override string Convention =>
        "torch.nn.BCEWithLogitsLoss(reduction, pos_weight) and torch.nn.functional.binary_cross_entropy_with_logits (without " +
        "its element weight): the mean runs over every element. pos_weight (optional, a vector of x's last axis, torch's " +
        "broadcast for N x classes) weighs the positive term of each class: p y softplus(-x) + (1 - y) softplus(x), " +
        "softplus(v) = ln(1 + e^(-|v|)) + max(v, 0): torch's (1 - y) x + (1 + (p - 1) y) softplus(-x) without its " +
        "cancellation at large negative x (where torch loses the last digits: 9.24e-14 for 9.36e-14 at x = -30, y = 0, " +
        "p = 2); pos_weight gets no gradient. Computed as max(x, 0) - x y + log1p(e^(-|x|)), exact for " +
        "large |x| (x = 1000, y = 0 gives 1000, where ln(1 - s(x)) would be -infinity); the gradient is s(x) - y with " +
        "the stable sigmoid. The target may be any value in [0, 1] and gets no gradient. ONNX has no such op: exported as " +
        "Relu, Mul, Sub, Abs, Neg, Exp, Add, Log (ln(1 + e^(-|x|)), not log1p), then ReduceMean, ReduceSum or Identity.";
    public override string ShapeRule => "x and y: the same shape, any rank (0 to 8); pos_weight: a vector of x's last axis; L: a scalar (mean, sum), or x's shape (none)";

    public override string Example => "{op: binary_cross_entropy_with_logits, x: z, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "logits, any shape"),
        new("y", "targets in [0, 1], the shape of x (no gradient)") { Differentiable = false, Domain = ValueDomain.Probability },
        new("pos_weight", "weights of the positive term, a vector of x's last axis (no gradient); left out: 1") { Optional = true, Differentiable = false, Domain = ValueDomain.Positive, MinRank = 1, MaxRank = 1 },
    ];

    /// <summary>The frame's cases, and pos_weight at ranks 2 and 3.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        .. base.GradientCases(batch),
        new("rank 2, pos_weight, mean", [[batch, 3], [batch, 3], [3]]),
        new("rank 3, pos_weight, none", [[batch, 2, 3], [batch, 2, 3], [3]]) { Attributes = [("reduction", "none")] },
        new("vector, pos_weight, sum", [[4], [4], [4]]) { Attributes = [("reduction", "sum")] },
    ];

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The element loss of binary_cross_entropy_with_logits and its derivative (see <see cref="IElementLoss{TSelf}"/>).</summary>
    public readonly struct Function : IElementLoss<Function>
    {
        public static T F<T>(T x, T y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            p == T.One ? T.Max(x, T.Zero) - x * y + T.LogP1(T.Exp(-T.Abs(x)))
            // p y softplus(-x) + (1 - y) softplus(x): -ln s(x) and -ln(1 - s(x)), each without cancellation
            : p * y * (T.LogP1(T.Exp(-T.Abs(x))) + T.Max(-x, T.Zero)) + (T.One - y) * (T.LogP1(T.Exp(-T.Abs(x))) + T.Max(x, T.Zero));

        public static T Dfdx<T>(T x, T y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            // The sigmoid as the sigmoid op computes it: e^-x never overflows.
            T s;
            if (x >= T.Zero) s = T.One / (T.One + T.Exp(-x));
            else
            {
                T e = T.Exp(x);
                s = e / (T.One + e);
            }
            return p == T.One ? s - y : (p * y + T.One - y) * s - p * y;
        }
    }

    /// <summary>max(x, 0) - (x)(y) + log(1 + e^(-|x|)), -|x| substituted; with pos_weight p: -((p)(y)log(σ(x)) + (1 - y)log(1 - σ(x))).</summary>
    protected override Explain.MathExpr? ExplainTerm(Explain.MathNumber x, Explain.MathNumber y, Explain.MathNumber? p)
    {
        var one = new Explain.MathNumber(1);
        if (p is null || p.Value == 1)
            return new Explain.MathSum([
                new Explain.MathDifference(Explain.M.Call("max", x, new Explain.MathNumber(0)), new Explain.MathProduct([x, y])),
                Explain.M.Call("log", new Explain.MathSum([one, Explain.M.Exp(new Explain.MathNumber(-Math.Abs(x.Value), x.Single))])),
            ]);
        var s = Explain.M.Call("σ", x);
        return new Explain.MathNegation(new Explain.MathSum([
            new Explain.MathProduct([p, y, Explain.M.Call("log", s)]),
            new Explain.MathProduct([new Explain.MathDifference(one, y), Explain.M.Call("log", new Explain.MathDifference(one, s))]),
        ]));
    }

    protected override IReadOnlyList<Explain.MathExpr>? ExplainDerivative(Explain.MathNumber x, Explain.MathNumber y, Explain.MathNumber? p)
    {
        var s = Explain.M.Call("σ", x);
        if (p is null || p.Value == 1) return [new Explain.MathDifference(s, y)];
        var one = new Explain.MathNumber(1);
        return [new Explain.MathDifference(
            new Explain.MathProduct([new Explain.MathSum([new Explain.MathProduct([p, y]), new Explain.MathDifference(one, y)]), s]),
            new Explain.MathProduct([p, y]))];
    }

    protected override string WriteLosses(IOnnxWriter writer, string name, string x, string y, string? w)
    {
        if (w is not null) return WriteWeighted(writer, name, x, y, w);
        string one = writer.Scalar($"{name}/one", 1);
        writer.Node("Relu", $"{name}/relu", [x], $"{name}/relu");
        writer.Node("Mul", $"{name}/xy", [x, y], $"{name}/xy");
        writer.Node("Sub", $"{name}/linear", [$"{name}/relu", $"{name}/xy"], $"{name}/linear");
        writer.Node("Abs", $"{name}/abs", [x], $"{name}/abs");
        writer.Node("Neg", $"{name}/neg_abs", [$"{name}/abs"], $"{name}/neg_abs");
        writer.Node("Exp", $"{name}/exp", [$"{name}/neg_abs"], $"{name}/exp");
        writer.Node("Add", $"{name}/one_plus", [one, $"{name}/exp"], $"{name}/one_plus");
        writer.Node("Log", $"{name}/softplus", [$"{name}/one_plus"], $"{name}/softplus");
        writer.Node("Add", $"{name}/losses", [$"{name}/linear", $"{name}/softplus"], $"{name}/losses");
        return $"{name}/losses";
    }

    // (1 - y) x + (1 + (p - 1) y)(ln(1 + e^(-|x|)) + max(-x, 0))
    private static string WriteWeighted(IOnnxWriter writer, string name, string x, string y, string p)
    {
        string one = writer.Scalar($"{name}/one", 1);
        writer.Node("Abs", $"{name}/abs", [x], $"{name}/abs");
        writer.Node("Neg", $"{name}/neg_abs", [$"{name}/abs"], $"{name}/neg_abs");
        writer.Node("Exp", $"{name}/exp", [$"{name}/neg_abs"], $"{name}/exp");
        writer.Node("Add", $"{name}/one_plus", [one, $"{name}/exp"], $"{name}/one_plus");
        writer.Node("Log", $"{name}/log1p", [$"{name}/one_plus"], $"{name}/log1p");
        writer.Node("Neg", $"{name}/neg_x", [x], $"{name}/neg_x");
        writer.Node("Relu", $"{name}/relu_neg", [$"{name}/neg_x"], $"{name}/relu_neg");
        writer.Node("Add", $"{name}/softplus_neg", [$"{name}/log1p", $"{name}/relu_neg"], $"{name}/softplus_neg");
        writer.Node("Sub", $"{name}/p_minus_one", [p, one], $"{name}/p_minus_one");
        writer.Node("Mul", $"{name}/p_y", [$"{name}/p_minus_one", y], $"{name}/p_y");
        writer.Node("Add", $"{name}/log_weight", [one, $"{name}/p_y"], $"{name}/log_weight");
        writer.Node("Mul", $"{name}/positive", [$"{name}/log_weight", $"{name}/softplus_neg"], $"{name}/positive");
        writer.Node("Sub", $"{name}/not_y", [one, y], $"{name}/not_y");
        writer.Node("Mul", $"{name}/negative", [$"{name}/not_y", x], $"{name}/negative");
        writer.Node("Add", $"{name}/losses", [$"{name}/negative", $"{name}/positive"], $"{name}/losses");
        return $"{name}/losses";
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>NetSpec's stable losses: softplus(x) - x y, with pos_weight p y softplus(-x) + (1 - y) softplus(x),
    /// softplus as max(z, 0) + log1p(e^-|z|) term by term (TorchForms.Softplus; F.binary_cross_entropy_with_logits computes (1 - y) x + softplus(-x), losing digits at large
    /// negative x); then the reduction. Autograd gives s(x) - y (and the weighted form), s(0) = ½ included.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string x = node[0], y = node[1];
        string losses = node.Count > 2
            ? $"{node[2]} * {y} * {TorchForms.Softplus("-" + x)} + (1 - {y}) * {TorchForms.Softplus(x)}"
            : $"{TorchForms.Softplus(x)} - {x} * {y}";
        return TorchForm.Of(TorchForms.Reduce(losses, LossReduction.Of(node.Attributes, 0)));
    }
}
