using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// ReLU, any rank: y_i = x_i if x_i &gt; 0, else 0 (the notes' h = relu(z)).
/// Backward: dJ/dx = dJ/dy ⊙ relu'(x), relu'(x_i) = 1 if x_i &gt; 0 else 0 (so relu'(0) = 0).
/// </summary>
public sealed class Relu : ElementwiseUnary<Relu.Function>
{
    public override string Name => "relu";
    public override string Category => "activation";
    public override string Summary => "Rectified linear unit, element by element: negative values become 0.";
    public override string Formula => "y = relu(x) = max(x, 0)";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ [x > 0]";
    public override string Convention => "relu'(0) = 0, as PyTorch and ONNX: an element exactly at 0 passes no gradient.";
    public override string Example => "{op: relu, x: z}";
    public override bool HasKinkAtZero => true;

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of relu (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Max(x, T.Zero);

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? T.One : T.Zero;

        // F and Df, vectorised (Vec's kernels: the gradient adds dy where v > 0 and leaves dx alone elsewhere).
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vec.Relu(x, y);

        public static void Gradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T> => Vec.ReluBackward(x, dy, dx);

        public static void GradientInto<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T> => Vec.ReluBackwardInto(x, dy, dx);
    }

    /// <summary>Relu's gradient is written over dx by <see cref="Function.GradientInto{T}"/> when it is dx's first contributor.</summary>
    public override bool WritesFirstGradient => true;

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Relu (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Relu") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); torch's relu'(0) is 0 too.

    /// <summary>F.relu(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("F.relu", node);
}
