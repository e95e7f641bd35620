using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The logistic sigmoid, element by element: y = s(x) = 1 / (1 + e^-x), computed as
/// e^x / (1 + e^x) for negative x so that e^-x never overflows (s(-800) is 0, not NaN).
/// Backward: dJ/dx = dJ/dy ⊙ y (1 - y), from the output as PyTorch computes it.
/// </summary>
public sealed class Sigmoid : ElementwiseUnary<Sigmoid.Function>
{
    public override string Name => "sigmoid";
    public override string Category => "activation";
    public override string Summary => "The logistic sigmoid, element by element: values squashed into (0, 1).";
    public override string Formula => "y = s(x) = 1 / (1 + e^-x)";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ y (1 - y)";
    public override string Convention =>
        "torch.sigmoid and ONNX Sigmoid. Computed stably: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) for x < 0; " +
        "the gradient is y (1 - y) from the output, as PyTorch's, so it is 0 where y has rounded to 0 or 1.";
    public override string Example => "{op: sigmoid, x: z}";

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of sigmoid (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
            T e = T.Exp(x);
            return e / (T.One + e);
        }

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => y * (T.One - y);
    }

    /// <summary>sigmoid(2) = 1 / (1 + e^-2).</summary>
    protected override Explain.MathExpr? ExplainWorking(Explain.MathNumber x) =>
        Explain.M.Num(1) / (Explain.M.Num(1) + Explain.M.Exp(x with { Value = -x.Value }));

    /// <summary>ONNX Sigmoid (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Sigmoid") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.sigmoid(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.sigmoid", node);
}
