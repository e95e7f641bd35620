using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The exponential, element by element: y = e^x.
/// Backward: dJ/dx = dJ/dy ⊙ y, from the output as PyTorch computes it.
/// </summary>
public sealed class Exp : ElementwiseUnary<Exp.Function>
{
    public override string Name => "exp";
    public override string Summary => "The exponential, element by element.";
    public override string Formula => "y = e^x";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ y";
    public override string Convention =>
        "torch.exp and ONNX Exp. The gradient is the output y itself, as PyTorch's; e^x overflows to infinity " +
        "above x = 709.78 in float64 (88.72 in float32), which stops the run at this node as any infinity does.";
    public override string Example => "{op: exp, x: z}";

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of exp (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Exp(x);

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => y;
    }

    /// <summary>exp(2) = e^2.</summary>
    protected override Explain.MathExpr? ExplainWorking(Explain.MathNumber x) => Explain.M.Exp(x);

    /// <summary>ONNX Exp (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Exp") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.exp(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.exp", node);
}
