namespace NetSpec.Runtime.Ops;

/// <summary>
/// Leaky ReLU, any rank: y_i = x_i if x_i &gt; 0, else slope · x_i (slope 0.01 unless given).
/// Backward: dJ/dx = dJ/dy ⊙ (1 if x &gt; 0, else slope), so at x = 0 the gradient is slope · dJ/dy.
/// </summary>
public sealed class LeakyRelu : Op
{
    public override string Name => "leaky_relu";
    public override string Category => "activation";
    public override string Summary => "Leaky rectified linear unit, element by element: negative values scaled by slope.";
    public override string Formula => "y = x if x > 0, else slope · x";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ (1 if x > 0, else slope)";
    public override string Convention =>
        "torch.nn.LeakyReLU(negative_slope) and ONNX LeakyRelu(alpha), both with the default 0.01; " +
        "at x = 0 the gradient is slope, as PyTorch's leaky_relu_backward (x > 0 ? 1 : slope). " +
        "ONNX's alpha is a float32 attribute, so an exported slope is rounded to float32 (0.25 stays exact, 0.2 does not).";
    public override string ShapeRule => "x: any shape (rank 0 to 8); y: the shape of x";
    public override string Example => "{op: leaky_relu, x: z, slope: 0.1}";
    public override bool HasKinkAtZero => true;

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Number("slope", "the slope for x <= 0 (torch's negative_slope)", 0.01),
    ];

    /// <summary>Ranks 2 to 4, a vector and a scalar, at the default slope and at 0.3.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 5]]),
        new("rank 3, slope 0.3", [[batch, 2, 3]]) { Attributes = [("slope", "0.3")] },
        new("rank 4", [[batch, 2, 1, 3]]),
        new("vector, slope 0.3", [[4]]) { Attributes = [("slope", "0.3")] },
        new("scalar", [[]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T slope = c.Number(0);
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : slope * x[i];
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        T slope = c.Number(0);
        var x = c.Input(0).Span;
        var dy = c.OutputGrad!.Span;
        var dx = dxt.Span;
        for (int i = 0; i < x.Length; i++) dx[i] += x[i] > T.Zero ? dy[i] : slope * dy[i];
    }

    /// <summary>ONNX LeakyRelu (opset 6 on): alpha is slope, with the same default 0.01.</summary>
    // Explanation: leaky_relu(-4) = (0.01)(-4) = -0.04; leaky_relu'(x) = 1 if x > 0, else slope.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        double slope = e.Attributes.Number(0);
        ElementwiseExplanation.Forward(e, Name, x => x.Value > 0 ? null : Explain.M.Product(e.N(slope), x));
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        double slope = e.Attributes.Number(0);
        ElementwiseExplanation.Backward(e, Name, (x, _) => x > 0 ? 1 : slope);
    }

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
        [new("LeakyRelu") { MinOpset = 6, Attributes = [new OnnxAttribute("alpha", "slope")] }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, slope at 0 as torch's leaky_relu_backward.

    /// <summary>F.leaky_relu(x, slope).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForms.Call("F.leaky_relu", node, Py.Num(node.Attributes.Number(0)));
    }
}
