using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softplus, any rank: y = (1/beta) ln(1 + e^(beta x)), and y = x where beta x &gt; threshold
/// (beta 1 and threshold 20 unless given, as torch.nn.Softplus). Computed as
/// (max(z, 0) + ln(1 + e^-|z|)) / beta with z = beta x, so e^z never overflows.
/// Backward: dJ/dx = dJ/dy ⊙ s(beta x) (the logistic sigmoid), and dJ/dy where beta x &gt; threshold.
/// </summary>
public sealed class Softplus : Op
{
    /// <summary>The smallest threshold exported as ONNX Softplus alone (see <see cref="Convention"/>).</summary>
    private const double OnnxThreshold = 20;

    public override string Name => "softplus";
    public override string Category => "activation";
    public override string Summary => "Softplus, element by element: a smooth relu, (1/beta) ln(1 + e^(beta x)), x itself above the threshold.";
    public override string Formula => "y = (1/beta) ln(1 + e^(beta x)), y = x where beta x > threshold";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ s(beta x), s(z) = 1/(1 + e^-z); dJ/dy where beta x > threshold";
    public override string Convention =>
        "torch.nn.Softplus(beta, threshold), defaults 1 and 20, the linear part taken where beta x > threshold as PyTorch's " +
        "(so y jumps there by ln(1 + e^-threshold)/beta, 2.1e-9 at 20). Stable for large |x|: (max(z, 0) + ln(1 + e^-|z|))/beta with z = beta x, " +
        "where PyTorch 1.13's log1p(exp(z)) overflows to infinity above z = 709.78 (reachable only with a threshold that large); " +
        "the gradient s(beta x) is a stable sigmoid for the same reason. beta must be > 0. " +
        "ONNX Softplus is ln(1 + e^x) with no beta or threshold. Exported as Softplus when beta = 1, as Mul by beta, Softplus, Div by beta otherwise, " +
        "either alone when threshold >= 20: above the threshold the two differ by ln(1 + e^-z)/beta, below e^-threshold/beta absolute " +
        "and e^-threshold/threshold relative (1.1e-10 at 20: below half a unit in float32's last place, visible in float64). A threshold below 20 adds Greater and Where, " +
        "the exact rule, which NetSpec does not import back. ONNX Softplus imports as softplus with beta 1 and threshold 20, the same caveat " +
        "applying (and it is how torch.onnx 1.13 exports nn.Softplus() at the defaults). ONNX Runtime has no float64 Softplus kernel.";
    public override string ShapeRule => "x: any shape (rank 0 to 8); y: the shape of x";
    public override string Example => "{op: softplus, x: z, beta: 2}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Number("beta", "the sharpness beta > 0: (1/beta) ln(1 + e^(beta x)) (torch's beta)", 1.0) with { ShowDefault = false },
        AttributeSpec.Number("threshold", "above it (beta x > threshold) y = x (torch's threshold)", 20.0) with { ShowDefault = false },
    ];

    /// <summary>Ranks 2 to 4, a vector and a scalar, at beta 1, 2 and 0.5 (inputs in [-1, 1] stay below every threshold used).</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 5]]),
        new("rank 3, beta 2", [[batch, 2, 3]]) { Attributes = [("beta", "2")] },
        new("rank 4, beta 0.5, threshold 5", [[batch, 2, 1, 3]]) { Attributes = [("beta", "0.5"), ("threshold", "5")] },
        new("vector, beta 2", [[4]]) { Attributes = [("beta", "2")] },
        new("scalar", [[]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) =>
        q.Attributes.Number(0) > 0 ? ShapeResult.Ok(q[0])
        : ShapeResult.Fail($"attribute 'beta' must be > 0 (softplus divides by it), not {q.Attributes[0]}");

    /// <summary>ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|).</summary>
    private static double Log1pExp(double z) => Math.Max(z, 0) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(z)));

    /// <summary>The logistic sigmoid 1/(1 + e^-z), stable for either sign.</summary>
    private static double Sigmoid(double z)
    {
        if (z >= 0) return 1.0 / (1.0 + Math.Exp(-z));
        double e = Math.Exp(z);
        return e / (1.0 + e);
    }

    // Explanation: y_1 = softplus(x_1) = value per entry; backward (dJ/dy_1)(softplus'(x_1)), the derivative read off the node's own backward.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        double beta = e.Attributes.Number(0), threshold = e.Attributes.Number(1);
        // softplus(-1) = (1 / 2) log(1 + e^((2)(-1))) with beta 2; x itself above the threshold.
        ElementwiseExplanation.Forward(e, Name, x => beta * x.Value > threshold ? Explain.M.Text($"x, since {Parser.Model.Format.Number(beta)} x > {Parser.Model.Format.Number(threshold)}")
            : beta == 1 ? Explain.M.Call("log", Explain.M.Num(1) + Explain.M.Exp(x))
            : Explain.M.Product(new Explain.MathFraction(Explain.M.Num(1), e.N(beta)), Explain.M.Call("log", Explain.M.Num(1) + Explain.M.Exp(Explain.M.Product(e.N(beta), x)))));
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
        double beta = c.Attributes.Number(0), threshold = c.Attributes.Number(1);
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        for (int i = 0; i < x.Length; i++)
        {
            double z = beta * double.CreateTruncating(x[i]);
            y[i] = z > threshold ? x[i] : T.CreateTruncating(Log1pExp(z) / beta);
        }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        double beta = c.Attributes.Number(0), threshold = c.Attributes.Number(1);
        var x = c.Input(0).Span;
        var dy = c.OutputGrad!.Span;
        var dx = dxt.Span;
        for (int i = 0; i < x.Length; i++)
        {
            double z = beta * double.CreateTruncating(x[i]);
            dx[i] += z > threshold ? dy[i] : dy[i] * T.CreateTruncating(Sigmoid(z));
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as Softplus, with Mul and Div for beta and Greater and Where for a low threshold; imported from ONNX Softplus.</summary>
    public override bool WritesOwnOnnx => true;

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Softplus")
        {
            ImportOnly = true,
            Note = "ln(1 + e^x) as beta 1 and threshold 20, y = x above 20 (a difference below 2.1e-9)",
        },
    ];

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        string n = node.Name, x = node.Inputs[0];
        double beta = node.Attributes.Number(0), threshold = node.Attributes.Number(1);
        bool exact = threshold < OnnxThreshold;
        string z = x, b = beta == 1 ? "" : writer.Scalar($"{n}/beta", beta);
        if (beta != 1)
        {
            z = $"{n}/z";
            writer.Node("Mul", z, [x, b], z);
        }
        string soft = beta == 1 && !exact ? n : $"{n}/softplus";
        writer.Node("Softplus", soft, [z], soft);
        string scaled = soft;
        if (beta != 1)
        {
            scaled = exact ? $"{n}/scaled" : n;
            writer.Node("Div", scaled, [soft, b], scaled);
        }
        if (!exact) return;
        writer.Node("Greater", $"{n}/linear", [z, writer.Scalar($"{n}/threshold", threshold)], $"{n}/linear");
        writer.Node("Where", n, [$"{n}/linear", x, scaled], n);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>
    /// torch.where(z > threshold, x, (max(z, 0) + ln(1 + e^-|z|)) / beta), z = beta x: NetSpec's stable form term by term
    /// (TorchForms.Softplus), whose autograd gradient is s(z), s(0) = ½ included (torch.maximum halves a tie; |z|' = 0 at 0).
    /// F.softplus(x, beta, threshold) computes ln(1 + e^z) directly and overflows above z = 709.78.
    /// </summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        double beta = node.Attributes.Number(0), threshold = node.Attributes.Number(1);
        string x = node[0], z = beta == 1 ? x : node.Let("z", $"{Py.Num(beta)} * {x}");
        string soft = beta == 1 ? TorchForms.Softplus(z) : $"{TorchForms.Softplus(z)} / {Py.Num(beta)}";
        return TorchForm.Of($"torch.where({z} > {Py.Num(threshold)}, {x}, {soft})");
    }
}
