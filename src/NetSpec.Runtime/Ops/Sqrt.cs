using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The square root, element by element: y = √x, for x &gt;= 0.
/// Backward: dJ/dx = dJ/dy / (2y), from the output as PyTorch computes it.
/// </summary>
public sealed class Sqrt : ElementwiseUnary<Sqrt.Function>
{
    public override string Name => "sqrt";
    public override string Summary => "The square root, element by element.";
    public override string Formula => "y = √x";
    public override string GradientFormula => "dJ/dx = dJ/dy / (2y)";
    public override string Convention =>
        "torch.sqrt and ONNX Sqrt: √ of a negative number is NaN (which stops the run at this node); " +
        "the gradient is dJ/dy / (2y) from the output, as PyTorch's, so at x = 0 it is infinite.";
    public override string Example => "{op: sqrt, x: z}";
    protected override string InputDoc => "any tensor, rank 0 to 8, of non-negative values";
    protected override ValueDomain Domain => ValueDomain.Positive;

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of sqrt (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Sqrt(x);

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (y + y);
    }

    /// <summary>sqrt(2) = √(2).</summary>
    protected override Explain.MathExpr? ExplainWorking(Explain.MathNumber x) => new Explain.MathRoot(x);

    /// <summary>ONNX Sqrt (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Sqrt") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.sqrt(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.sqrt", node);
}
