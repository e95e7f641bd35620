using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The hyperbolic tangent, element by element: y = tanh(x).
/// Backward: dJ/dx = dJ/dy ⊙ (1 - y²), from the output as PyTorch computes it.
/// </summary>
public sealed class Tanh : ElementwiseUnary<Tanh.Function>
{
    public override string Name => "tanh";
    public override string Category => "activation";
    public override string Summary => "Hyperbolic tangent, element by element: values squashed into (-1, 1).";
    public override string Formula => "y = tanh(x)";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ (1 - y²)";
    public override string Convention =>
        "torch.tanh and ONNX Tanh. The gradient is 1 - y² from the output, as PyTorch's tanh_backward, " +
        "so it is 0 where y has rounded to ±1 (|x| above about 19 in float64, 9 in float32).";
    public override string Example => "{op: tanh, x: z}";

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of tanh (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Tanh(x);

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.One - y * y;
    }

    /// <summary>ONNX Tanh (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Tanh") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.tanh(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.tanh", node);
}
