using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The Gaussian error linear unit, any rank: y = x Φ(x) with Φ the standard normal distribution
/// function, exactly (approximate: none) y = ½ x (1 + erf(x/√2)), or with PyTorch's tanh
/// approximation (approximate: tanh) y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))).
/// Backward: dJ/dx = dJ/dy ⊙ (Φ(x) + x φ(x)), φ(x) = e^(-x²/2)/√(2π); for tanh, with
/// u = √(2/π) (x + 0.044715 x³) and t = tanh u: dJ/dy ⊙ (½ (1 + t) + ½ x (1 - t²) √(2/π) (1 + 3 · 0.044715 x²)).
/// </summary>
/// <remarks>
/// Computed without cancellation for large negative x: 1 + erf(x/√2) as erfc(-x/√2), and
/// ½ (1 + tanh u) as the sigmoid s(2u), with 1 - s(2u) as s(-2u).
/// </remarks>
public sealed class Gelu : Op
{
    /// <summary>1/√2.</summary>
    private const double Sqrt1Over2 = 0.7071067811865476;

    /// <summary>√2, the divisor of PyTorch's exported Erf chain.</summary>
    private const double Sqrt2 = 1.4142135623730951;

    /// <summary>1/√(2π), the normal density at 0.</summary>
    private const double InvSqrt2Pi = 0.3989422804014327;

    /// <summary>√(2/π), PyTorch's kBeta.</summary>
    private const double Beta = 0.7978845608028654;

    /// <summary>PyTorch's kKappa.</summary>
    private const double Kappa = 0.044715;

    public override string Name => "gelu";
    public override string Category => "activation";
    public override string Summary => "Gaussian error linear unit, element by element: x weighted by the normal distribution function Φ(x), exactly or by the tanh approximation.";
    public override string Formula => "y = x Φ(x) = ½ x (1 + erf(x/√2)); approximate: tanh, y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))";
    public override string GradientFormula =>
        "dJ/dx = dJ/dy ⊙ (Φ(x) + x φ(x)), φ(x) = e^(-x²/2)/√(2π); tanh: dJ/dy ⊙ (½ (1 + t) + ½ x (1 - t²) √(2/π) (1 + 0.134145 x²)), t = tanh(√(2/π) (x + 0.044715 x³))";
    public override string Convention =>
        "torch.nn.GELU(approximate='none' or 'tanh') and ONNX Gelu (opset 20, the same attribute). " +
        "Computed without cancellation for large negative x: 1 + erf(x/√2) as erfc(-x/√2) and ½ (1 + tanh u) as the sigmoid s(2u), " +
        "so gelu(-10) is -7.6e-23 where PyTorch 1.13's 1 + erf form gives -0 (and its gelu(-8), -4.885e-15, is 1.8% off the true -4.977e-15); " +
        "the differences are below 1e-15 in absolute terms. Exported as PyTorch 1.13 exports it, as a chain valid from opset 13: " +
        "Div by √2, Erf, Add 1, Mul by x, Mul by 0.5 (tanh: Mul, Mul, Mul, Add, Mul, Tanh, Add, Mul, Mul); such a chain imports as those " +
        "element-wise ops, and an ONNX Gelu node (opset 20) imports as gelu. ONNX Runtime has no float64 Erf kernel, so a float64 export of the exact " +
        "form runs in other runtimes only.";
    public override string ShapeRule => "x: any shape (rank 0 to 8); y: the shape of x";
    public override string Example => "{op: gelu, x: z, approximate: tanh}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Enum("approximate", "none: the exact erf form; tanh: PyTorch's tanh approximation", "none", "none", "tanh") with { ShowDefault = false },
    ];

    /// <summary>Ranks 2 to 4, a vector and a scalar, in both forms.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 5]]),
        new("rank 3, tanh", [[batch, 2, 3]]) { Attributes = [("approximate", "tanh")] },
        new("rank 4", [[batch, 2, 1, 3]]),
        new("rank 4, tanh", [[batch, 2, 1, 3]]) { Attributes = [("approximate", "tanh")] },
        new("vector, tanh", [[4]]) { Attributes = [("approximate", "tanh")] },
        new("scalar", [[]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);

    private static bool Tanh<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => c.Attributes.Choice(0) == "tanh";

    /// <summary>Φ(x) = ½ erfc(-x/√2).</summary>
    private static double Cdf(double x) => 0.5 * SpecialFunctions.Erfc(-x * Sqrt1Over2);

    /// <summary>The logistic sigmoid 1/(1 + e^-z), stable for either sign.</summary>
    private static double Sigmoid(double z)
    {
        if (z >= 0) return 1.0 / (1.0 + Math.Exp(-z));
        double e = Math.Exp(z);
        return e / (1.0 + e);
    }

    /// <summary>u = √(2/π) (x + 0.044715 x³), as PyTorch forms it.</summary>
    private static double Inner(double x) => Beta * (x + Kappa * (x * x * x));

    // Explanation: y_1 = gelu(x_1) = value per entry; backward (dJ/dy_1)(gelu'(x_1)), the derivative read off the node's own backward.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ElementwiseExplanation.Forward(e, Name, _ => null);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ElementwiseExplanation.Backward(e, Name, null);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        if (Tanh(c))
            for (int i = 0; i < x.Length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                y[i] = T.CreateTruncating(v * Sigmoid(2 * Inner(v)));   // ½ x (1 + tanh u) = x s(2u)
            }
        else
            for (int i = 0; i < x.Length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                y[i] = T.CreateTruncating(v * Cdf(v));
            }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        var x = c.Input(0).Span;
        var dy = c.OutputGrad!.Span;
        var dx = dxt.Span;
        if (Tanh(c))
            for (int i = 0; i < x.Length; i++)
            {
                double v = double.CreateTruncating(x[i]), u = Inner(v);
                double s = Sigmoid(2 * u), sc = Sigmoid(-2 * u);   // ½ (1 + t) and ½ (1 - t)
                // ½ (1 + t) + ½ x (1 - t²) u' with ½ (1 - t²) = 2 s (1 - s)
                double d = s + 2 * v * s * sc * Beta * (1 + 3 * Kappa * v * v);
                dx[i] += dy[i] * T.CreateTruncating(d);
            }
        else
            for (int i = 0; i < x.Length; i++)
            {
                double v = double.CreateTruncating(x[i]);
                double d = Cdf(v) + v * InvSqrt2Pi * SpecialFunctions.ExpMinusHalfSquare(v);
                dx[i] += dy[i] * T.CreateTruncating(d);
            }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as the chain PyTorch 1.13 writes (ONNX Gelu needs opset 20); imported from ONNX Gelu.</summary>
    public override bool WritesOwnOnnx => true;

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Gelu")
        {
            MinOpset = 20,
            ImportOnly = true,
            Attributes = [new OnnxAttribute("approximate", "approximate")],
            Note = "approximate none or tanh, as ONNX's",
        },
    ];

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        string n = node.Name, x = node.Inputs[0];
        if (node.Attributes.Choice(0) == "tanh")
        {
            // ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))), as torch.onnx's opset-9 symbolic writes it.
            writer.Node("Mul", $"{n}/square", [x, x], $"{n}/square");
            writer.Node("Mul", $"{n}/cube", [x, $"{n}/square"], $"{n}/cube");
            writer.Node("Mul", $"{n}/kappa_cube", [writer.Scalar($"{n}/kappa", Kappa), $"{n}/cube"], $"{n}/kappa_cube");
            writer.Node("Add", $"{n}/sum", [x, $"{n}/kappa_cube"], $"{n}/sum");
            writer.Node("Mul", $"{n}/inner", [writer.Scalar($"{n}/beta", Beta), $"{n}/sum"], $"{n}/inner");
            writer.Node("Tanh", $"{n}/tanh", [$"{n}/inner"], $"{n}/tanh");
            writer.Node("Add", $"{n}/one_plus", [writer.Scalar($"{n}/one", 1.0), $"{n}/tanh"], $"{n}/one_plus");
            writer.Node("Mul", $"{n}/x_times", [x, $"{n}/one_plus"], $"{n}/x_times");
            writer.Node("Mul", $"{n}/half", [writer.Scalar($"{n}/half_c", 0.5), $"{n}/x_times"], n);
            return;
        }
        // ½ x (1 + erf(x/√2)), as torch.onnx 1.13 writes it: Div, Erf, Add, Mul, Mul.
        writer.Node("Div", $"{n}/scaled", [x, writer.Scalar($"{n}/sqrt2", Sqrt2)], $"{n}/scaled");
        writer.Node("Erf", $"{n}/erf", [$"{n}/scaled"], $"{n}/erf");
        writer.Node("Add", $"{n}/one_plus", [$"{n}/erf", writer.Scalar($"{n}/one", 1.0)], $"{n}/one_plus");
        writer.Node("Mul", $"{n}/x_times", [x, $"{n}/one_plus"], $"{n}/x_times");
        writer.Node("Mul", $"{n}/half", [$"{n}/x_times", writer.Scalar($"{n}/half_c", 0.5)], n);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>
    /// NetSpec's forms, which F.gelu(x, approximate=...) computes with cancellation for large negative x: exact
    /// x · ½ erfc(-x/√2); tanh x · s(2u), u = √(2/π) (x + 0.044715 x³). Autograd of either is the derivative above.
    /// </summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string x = node[0];
        return TorchForm.Of(node.Attributes.Choice(0) == "tanh"
            ? $"{x} * torch.sigmoid(2 * ({Py.Num(Beta)} * ({x} + {Py.Num(Kappa)} * ({x} * {x} * {x}))))"
            : $"{x} * (0.5 * torch.special.erfc(-{x} * {Py.Num(Sqrt1Over2)}))");
    }
}
