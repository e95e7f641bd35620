using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Negation, element by element: y = -x.
/// Backward: dJ/dx = -dJ/dy.
/// </summary>
public sealed class Neg : ElementwiseUnary<Neg.Function>
{
    public override string Name => "neg";
    public override string Summary => "Negation, element by element.";
    public override string Formula => "y = -x";
    public override string GradientFormula => "dJ/dx = -dJ/dy";
    public override string Convention => "torch.neg and ONNX Neg; -0 is negative zero, as in IEEE arithmetic.";
    public override string Example => "{op: neg, x: z}";

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of neg (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => -x;

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => -T.One;
    }

    /// <summary>ONNX Neg (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Neg") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.neg(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.neg", node);
}
