namespace NetSpec.Runtime.Ops;

/// <summary>
/// Negation, element by element: y = -x.
/// Backward: dJ/dx = -dJ/dy.
/// </summary>
public sealed class Neg : ElementwiseUnary
{
    public override string Name => "neg";
    public override string Summary => "Negation, element by element.";
    public override string Formula => "y = -x";
    public override string GradientFormula => "dJ/dx = -dJ/dy";
    public override string Convention => "torch.neg and ONNX Neg; -0 is negative zero, as in IEEE arithmetic.";
    public override string Example => "{op: neg, x: z}";

    protected override T F<T>(T x) => -x;
    protected override T Df<T>(T x, T y) => -T.One;

    /// <summary>ONNX Neg (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Neg") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.neg(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.neg", node);
}
