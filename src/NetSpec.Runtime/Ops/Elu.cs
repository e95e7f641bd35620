using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The exponential linear unit, any rank: y_i = x_i if x_i &gt; 0, else alpha (e^(x_i) - 1)
/// (alpha 1 unless given), with e^x - 1 computed as expm1 (<see cref="SpecialFunctions.Expm1"/>) so that it keeps its digits near 0.
/// Backward: dJ/dx = dJ/dy ⊙ (1 if x &gt; 0, else alpha e^x), so at x = 0 the gradient is alpha · dJ/dy.
/// </summary>
public sealed class Elu : Op
{
    public override string Name => "elu";
    public override string Category => "activation";
    public override string Summary => "Exponential linear unit, element by element: x for x > 0, alpha (e^x - 1) below, saturating at -alpha.";
    public override string Formula => "y = x if x > 0, else alpha (e^x - 1)";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ (1 if x > 0, else alpha e^x)";
    public override string Convention =>
        "torch.nn.ELU(alpha) and ONNX Elu(alpha), both with the default 1.0; at x = 0 the gradient is alpha, as PyTorch's elu_backward " +
        "(x <= 0 takes alpha e^x). The derivative jumps at 0 from alpha to 1 unless alpha = 1, so gradient checks keep their inputs away from 0 " +
        "(a kink at zero). e^x - 1 is computed as expm1: near 0 it keeps every digit where PyTorch 1.13's exp(x) - 1 loses some " +
        "(elu(-1e-10) is -9.9999999995e-11, torch gives -1.000000082740371e-10, an absolute difference of 8e-18). " +
        "ONNX's alpha is a float32 attribute, so an exported alpha is rounded to float32 (0.5 stays exact, 0.1 does not); " +
        "ONNX Runtime has no float64 Elu kernel, so a float64 export of elu runs in other runtimes only.";
    public override string ShapeRule => "x: any shape (rank 0 to 8); y: the shape of x";
    public override string Example => "{op: elu, x: z, alpha: 0.5}";

    /// <summary>The derivative jumps from alpha to 1 at 0 whenever alpha is not 1.</summary>
    public override bool HasKinkAtZero => true;

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Number("alpha", "the scale of the negative part, alpha (e^x - 1) for x <= 0 (torch's alpha)", 1.0) with { ShowDefault = false },
    ];

    /// <summary>Ranks 2 to 4, a vector and a scalar, at the default alpha and at 0.5 and 2.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 5]]),
        new("rank 3, alpha 0.5", [[batch, 2, 3]]) { Attributes = [("alpha", "0.5")] },
        new("rank 4, alpha 2", [[batch, 2, 1, 3]]) { Attributes = [("alpha", "2")] },
        new("vector, alpha 0.5", [[4]]) { Attributes = [("alpha", "0.5")] },
        new("scalar", [[]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);

    // Explanation: y_1 = elu(x_1) = value per entry; backward (dJ/dy_1)(elu'(x_1)), the derivative read off the node's own backward.

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
        T alpha = c.Number(0);
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : alpha * T.CreateTruncating(SpecialFunctions.Expm1(double.CreateTruncating(x[i])));
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        T alpha = c.Number(0);
        var x = c.Input(0).Span;
        var dy = c.OutputGrad!.Span;
        var dx = dxt.Span;
        for (int i = 0; i < x.Length; i++) dx[i] += x[i] > T.Zero ? dy[i] : dy[i] * (alpha * T.Exp(x[i]));
    }

    /// <summary>ONNX Elu (opset 6 on; before 6 it had a consumed_inputs attribute): alpha with the same default 1.0.</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
        [new("Elu") { MinOpset = 6, Attributes = [new OnnxAttribute("alpha", "alpha")] }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, alpha at 0.

    /// <summary>
    /// torch.where(x > 0, x, alpha · expm1(min(x, 0))): NetSpec's expm1 where torch 1.13's F.elu computes exp(x) - 1 (and loses
    /// digits near 0); the clamp keeps expm1 finite on the branch not taken, so its zero gradient stays zero.
    /// </summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string x = node[0];
        return TorchForm.Of($"torch.where({x} > 0, {x}, {Py.Num(node.Attributes.Number(0))} * torch.expm1({x}.clamp(max=0)))");
    }
}
