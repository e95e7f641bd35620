using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Element-wise sum with broadcasting (ONNX Add, any rank): y = a + b.
/// Backward: dJ/da = G, dJ/db = G, each summed over the axes its input was broadcast along.
/// </summary>
public sealed class Add : ElementwiseBinary<Add.Function>
{
    public override string Name => "add";
    public override string Summary => "Element-wise sum of two tensors with NumPy broadcasting (ONNX Add), e.g. a bias added to every row.";
    public override string Example => "{op: add, a: Z, b: bias}";
    public override string Formula => "y = a + b";
    public override string GradientFormula => "dJ/da = G; dJ/db = G (G = dJ/dy, each summed over the axes its input was broadcast along)";

    protected override Explain.MathExpr? ExplainValue(Explain.MathExpr a, Explain.MathExpr b) => new Explain.MathSum([a, b]);

    protected override Explain.MathExpr? ExplainGradient(int input, Explain.MathNumber g, Explain.MathNumber a, Explain.MathNumber b) =>
        g;

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The block kernels of add (see <see cref="IBinaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IBinaryFunction<Function>
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => Vec.Add(a, b, y);
        public static void GradientA<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> da) where T : unmanaged, IFloatingPointIeee754<T> => Vec.AddReduced(g, da);
        public static void GradientB<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T> => Vec.AddReduced(g, db);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Add with NumPy broadcasting (opset 7 on; before 7 it broadcast by an attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Add") { MinOpset = 7 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, a broadcast input's gradient summed as NetSpec sums it.

    /// <summary>a + b, torch broadcasting as NumPy's.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"{node[0]} + {node[1]}");
    }
}
