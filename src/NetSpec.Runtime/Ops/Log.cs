using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The natural logarithm, element by element: y = ln x, for x &gt; 0.
/// Backward: dJ/dx = dJ/dy / x.
/// </summary>
public sealed class Log : ElementwiseUnary<Log.Function>
{
    public override string Name => "log";
    public override string Summary => "The natural logarithm, element by element.";
    public override string Formula => "y = ln x";
    public override string GradientFormula => "dJ/dx = dJ/dy / x";
    public override string Convention =>
        "torch.log and ONNX Log: ln 0 = -infinity and ln of a negative number is NaN (either stops the run at this node); " +
        "the gradient is dJ/dy / x, from the input, as PyTorch's.";
    public override string Example => "{op: log, x: z}";
    protected override string InputDoc => "any tensor, rank 0 to 8, of positive values";
    protected override ValueDomain Domain => ValueDomain.Positive;

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of log (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Log(x);

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.One / x;
    }

    /// <summary>ONNX Log (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Log") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.log(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.log", node);
}
