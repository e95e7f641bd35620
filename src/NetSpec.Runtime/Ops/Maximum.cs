using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Element-wise maximum of two tensors with broadcasting (torch.maximum, ONNX Max of two inputs):
/// y = max(a, b), NaN when either is NaN. Backward as PyTorch's: the gradient goes to the larger
/// input, and is split in halves between them where they are equal.
/// </summary>
public sealed class Maximum : ElementwiseBinary<Maximum.Function>
{
    public override string Name => "maximum";
    public override string Summary => "Element-wise maximum of two tensors with NumPy broadcasting (torch.maximum, ONNX Max), e.g. a floor under a value.";
    public override string Example => "{op: maximum, a: logp, b: floor}";
    public override string Formula => "y = max(a, b) (NaN if either is NaN)";
    public override string GradientFormula => "dJ/da = G ⊙ (1 if a > b, 1/2 if a = b, else 0); dJ/db = G ⊙ (1 if b > a, 1/2 if a = b, else 0) (G = dJ/dy, each summed over the axes its input was broadcast along)";

    public override string Convention => base.Convention +
        " torch.maximum: NaN propagates, and where a = b each input receives half the gradient " +
        "(PyTorch's derivative of maximum); ONNX Max with two inputs (its one- and three-or-more-input forms are not imported).";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("a", "any tensor, rank 0 to 8"),
        new("b", "any tensor that broadcasts with a (aligned on the right, each axis equal or 1)"),
    ];

    private static T At<T>(ReadOnlySpan<T> s, int i) => s.Length == 1 ? s[0] : s[i];

    private static T Max<T>(T a, T b) where T : IFloatingPointIeee754<T> =>
        T.IsNaN(a) || T.IsNaN(b) ? T.NaN : a >= b ? a : b;

    protected override Explain.MathExpr? ExplainValue(Explain.MathExpr a, Explain.MathExpr b) => Explain.M.Call("max", a, b);

    protected override Explain.MathExpr? ExplainGradient(int input, Explain.MathNumber g, Explain.MathNumber a, Explain.MathNumber b) =>
        new Explain.MathProduct([g, new Explain.MathNumber(Share(input == 0 ? a.Value : b.Value, input == 0 ? b.Value : a.Value))]);

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The block kernels of maximum (see <see cref="IBinaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IBinaryFunction<Function>
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = Max(At(a, i), At(b, i));
        }

        public static void GradientA<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> da) where T : unmanaged, IFloatingPointIeee754<T> => Accumulate(g, a, b, da);
        public static void GradientB<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T> => Accumulate(g, b, a, db);
    }

    /// <summary>The share of G that goes to the first of (x, other): 1 if larger, 1/2 if equal, else 0.</summary>
    private static T Share<T>(T x, T other) where T : IFloatingPointIeee754<T> =>
        x > other ? T.One : x == other ? T.One / (T.One + T.One) : T.Zero;

    private static void Accumulate<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> other, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dx.Length == g.Length)
            for (int i = 0; i < g.Length; i++) dx[i] += g[i] * Share(At(x, i), At(other, i));
        else
        {
            T sum = T.Zero;
            for (int i = 0; i < g.Length; i++) sum += g[i] * Share(At(x, i), At(other, i));
            dx[0] += sum;
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Max of two inputs with NumPy broadcasting (opset 8 on).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Max") { MinOpset = 8 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, ties split in halves as torch's maximum backward.

    /// <summary>torch.maximum(a, b).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"torch.maximum({node[0]}, {node[1]})");
    }
}
