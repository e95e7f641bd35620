using System.Numerics;
using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Element-wise quotient with broadcasting (ONNX Div, any rank): y = a / b.
/// Backward: dJ/da = G / b, dJ/db = -G ⊙ a / b², each summed over the axes its input was broadcast along.
/// </summary>
public sealed class Div : ElementwiseBinary<Div.Function>
{
    public override string Name => "div";
    public override string Summary => "Element-wise quotient of two tensors with NumPy broadcasting (ONNX Div), e.g. every row divided by a per-feature scale.";
    public override string Example => "{op: div, a: X, b: scale}";
    public override string Formula => "y = a / b";
    public override string GradientFormula => "dJ/da = G / b; dJ/db = -G ⊙ a / b² (G = dJ/dy, each summed over the axes its input was broadcast along)";

    public override string Convention => base.Convention +
        " torch.div and ONNX Div: a / 0 is ±infinity, and 0 / 0 NaN (either stops the run at this node); " +
        "the gradient of b is -G a / (b b), from the inputs, as PyTorch's.";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("a", "any tensor, rank 0 to 8: the dividend"),
        new("b", "the divisor, any tensor that broadcasts with a (aligned on the right, each axis equal or 1), nonzero") { Domain = ValueDomain.Positive },
    ];

    /// <summary>Element <paramref name="i"/> of a block operand, which may be one element repeated.</summary>
    private static T At<T>(ReadOnlySpan<T> s, int i) => s.Length == 1 ? s[0] : s[i];

    protected override Explain.MathExpr? ExplainValue(Explain.MathExpr a, Explain.MathExpr b) => new Explain.MathFraction(a, b);

    protected override Explain.MathExpr? ExplainGradient(int input, Explain.MathNumber g, Explain.MathNumber a, Explain.MathNumber b) =>
        input == 0 ? new Explain.MathFraction(g, b) : new Explain.MathNegation(new Explain.MathFraction(new Explain.MathProduct([g, a]), new Explain.MathPower(b, new Explain.MathNumber(2))));

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The block kernels of div (see <see cref="IBinaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IBinaryFunction<Function>
    {
        public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (a.Length == y.Length && b.Length == y.Length) TensorPrimitives.Divide(a, b, y);
            else if (a.Length == y.Length) TensorPrimitives.Divide(a, b[0], y);
            else if (b.Length == y.Length) TensorPrimitives.Divide(a[0], b, y);
            else y.Fill(a[0] / b[0]);
        }

        public static void GradientA<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> da) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (da.Length == g.Length)
                for (int i = 0; i < g.Length; i++) da[i] += g[i] / At(b, i);
            else
            {
                T sum = T.Zero;
                for (int i = 0; i < g.Length; i++) sum += g[i] / At(b, i);
                da[0] += sum;
            }
        }

        public static void GradientB<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (db.Length == g.Length)
                for (int i = 0; i < g.Length; i++)
                {
                    T bi = At(b, i);
                    db[i] -= g[i] * At(a, i) / (bi * bi);
                }
            else
            {
                T sum = T.Zero;
                for (int i = 0; i < g.Length; i++)
                {
                    T bi = At(b, i);
                    sum += g[i] * At(a, i) / (bi * bi);
                }
                db[0] -= sum;
            }
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Div with NumPy broadcasting (opset 7 on).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Div") { MinOpset = 7 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, -G a / (b b) for b as torch's div backward.

    /// <summary>a / b, torch broadcasting as NumPy's.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"{node[0]} / {node[1]}");
    }
}
