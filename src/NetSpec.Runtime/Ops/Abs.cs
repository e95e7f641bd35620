using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Absolute value, element by element: y = |x|.
/// Backward: dJ/dx = dJ/dy ⊙ sign(x), 0 at x = 0 as PyTorch's.
/// </summary>
public sealed class Abs : ElementwiseUnary<Abs.Function>
{
    public override string Name => "abs";
    public override string Summary => "Absolute value, element by element.";
    public override string Formula => "y = |x|";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ sign(x) (0 at x = 0)";
    public override string Convention => "torch.abs and ONNX Abs; the gradient at 0 is 0, as PyTorch's sgn(x) · dJ/dy.";
    public override string Example => "{op: abs, x: z}";
    public override bool HasKinkAtZero => true;

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of abs (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(x);

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    }

    /// <summary>ONNX Abs (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Abs") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, torch's sgn(0) = 0 included.

    /// <summary>torch.abs(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.abs", node);
}
