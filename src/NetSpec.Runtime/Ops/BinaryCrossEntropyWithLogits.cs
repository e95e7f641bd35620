namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sigmoid and binary cross-entropy in one stable step, torch.nn.BCEWithLogitsLoss: on logits x
/// and targets y, l_i = max(x_i, 0) - x_i y_i + ln(1 + e^(-|x_i|)), which is
/// -(y ln s(x) + (1 - y) ln(1 - s(x))) without overflow or cancellation for large |x|; then the
/// mean over every element (the default), the sum, or none. Backward: ∂l_i/∂x_i = s(x_i) - y_i.
/// </summary>
public sealed class BinaryCrossEntropyWithLogits : ElementwiseLoss
{
    public override string Name => "binary_cross_entropy_with_logits";
    public override string Summary => "Sigmoid and binary cross-entropy in one stable step, on logits, averaged over every element (or summed, or not reduced).";
    public override string Formula => "l_i = max(x_i, 0) - x_i y_i + ln(1 + e^(-|x_i|)) = -(y_i ln s(x_i) + (1 - y_i) ln(1 - s(x_i))); L = (1/n) Σ_i l_i (mean), Σ_i l_i (sum), l (none)";
    public override string GradientFormula => "dJ/dx = g ⊙ (s(x) - y), s the sigmoid, g = dJ/dL / n (mean), dJ/dL (sum), dJ/dl (none)";
    public override string Convention =>
        "torch.nn.BCEWithLogitsLoss(reduction) and torch.nn.functional.binary_cross_entropy_with_logits (without weight " +
        "and pos_weight): the mean runs over every element. Computed as max(x, 0) - x y + log1p(e^(-|x|)), exact for " +
        "large |x| (x = 1000, y = 0 gives 1000, where ln(1 - s(x)) would be -infinity); the gradient is s(x) - y with " +
        "the stable sigmoid. The target may be any value in [0, 1] and gets no gradient. ONNX has no such op: exported as " +
        "Relu, Mul, Sub, Abs, Neg, Exp, Add, Log (ln(1 + e^(-|x|)), not log1p), then ReduceMean, ReduceSum or Identity.";
    public override string Example => "{op: binary_cross_entropy_with_logits, x: z, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "logits, any shape"),
        new("y", "targets in [0, 1], the shape of x (no gradient)") { Differentiable = false, Domain = ValueDomain.Probability },
    ];

    protected override T F<T>(T x, T y) =>
        T.Max(x, T.Zero) - x * y + T.LogP1(T.Exp(-T.Abs(x)));

    protected override T Dfdx<T>(T x, T y)
    {
        // The sigmoid as the sigmoid op computes it: e^-x never overflows.
        T s;
        if (x >= T.Zero) s = T.One / (T.One + T.Exp(-x));
        else
        {
            T e = T.Exp(x);
            s = e / (T.One + e);
        }
        return s - y;
    }

    protected override string WriteLosses(IOnnxWriter writer, string name, string x, string y)
    {
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
}
