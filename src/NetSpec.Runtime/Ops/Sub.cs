using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Element-wise difference with broadcasting (ONNX Sub, any rank): y = a - b.
/// Backward: dJ/da = G, dJ/db = -G, each summed over the axes its input was broadcast along.
/// </summary>
public sealed class Sub : ElementwiseBinary<Sub.Function>
{
    public override string Name => "sub";
    public override string Summary => "Element-wise difference of two tensors with NumPy broadcasting (ONNX Sub), e.g. a mean subtracted from every row.";
    public override string Example => "{op: sub, a: X, b: mean}";
    public override string Formula => "y = a - b";
    public override string GradientFormula => "dJ/da = G; dJ/db = -G (G = dJ/dy, each summed over the axes its input was broadcast along)";

    protected override Explain.MathExpr? ExplainValue(Explain.MathExpr a, Explain.MathExpr b) => new Explain.MathDifference(a, b);

    protected override Explain.MathExpr? ExplainGradient(int input, Explain.MathNumber g, Explain.MathNumber a, Explain.MathNumber b) =>
        input == 0 ? g : new Explain.MathNegation(g);

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The block kernels of sub (see <see cref="IBinaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IBinaryFunction<Function>
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vec.Subtract(a, b, y);
        public static void GradientA<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> da) where T : unmanaged, IFloatingPointIeee754<T> => Vec.AddReduced(g, da);
        public static void GradientB<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T> => Vec.SubtractReduced(g, db);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Sub with NumPy broadcasting (opset 7 on).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Sub") { MinOpset = 7 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, a broadcast input's gradient summed as NetSpec sums it.

    /// <summary>a - b, torch broadcasting as NumPy's.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"{node[0]} - {node[1]}");
    }
}
