using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// ReLU, any rank: y_i = x_i if x_i &gt; 0, else 0 (the notes' h = relu(z)).
/// Backward: dJ/dx = dJ/dy ⊙ relu'(x), relu'(x_i) = 1 if x_i &gt; 0 else 0 (so relu'(0) = 0).
/// </summary>
public sealed class Relu : ElementwiseUnary
{
    public override string Name => "relu";
    public override string Category => "activation";
    public override string Summary => "Rectified linear unit, element by element: negative values become 0.";
    public override string Formula => "y = relu(x) = max(x, 0)";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ [x > 0]";
    public override string Convention => "relu'(0) = 0, as PyTorch and ONNX: an element exactly at 0 passes no gradient.";
    public override string Example => "{op: relu, x: z}";
    public override bool HasKinkAtZero => true;

    protected override T F<T>(T x) => T.Max(x, T.Zero);
    protected override T Df<T>(T x, T y) => x > T.Zero ? T.One : T.Zero;

    // F and Df, vectorised (Vec's kernels: the gradient adds dy where v > 0 and leaves dx alone elsewhere).
    protected override void Apply<T>(ReadOnlySpan<T> x, Span<T> y) => Vec.Relu(x, y);
    protected override void Gradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) => Vec.ReluBackward(x, dy, dx);

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Relu (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Relu") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); torch's relu'(0) is 0 too.

    /// <summary>F.relu(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("F.relu", node);
}
