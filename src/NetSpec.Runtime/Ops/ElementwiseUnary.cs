using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The shared frame of one-input element-wise ops: y = f(x) element by element, any rank, y of
/// x's shape; backward dJ/dx += dJ/dy ⊙ f'(x, y). An op supplies its name, docs, f and f' (given
/// both x and y = f(x), so sigmoid can write y (1 - y)), and nothing else; a faster span kernel
/// (e.g. from TensorPrimitives) may replace the element loops by overriding <see cref="Apply{T}(ReadOnlySpan{T}, Span{T})"/>
/// and <see cref="Gradient{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>.
/// </summary>
/// <example>
/// <code>
/// public sealed class Tanh : ElementwiseUnary
/// {
///     public override string Name => "tanh";
///     public override string Summary => "Hyperbolic tangent, element by element.";
///     public override string Formula => "y = tanh(x)";
///     public override string GradientFormula => "dJ/dx = dJ/dy ⊙ (1 - y²)";
///     public override string Example => "{op: tanh, x: z}";
///     protected override T F&lt;T&gt;(T x) => T.Tanh(x);
///     protected override T Df&lt;T&gt;(T x, T y) => T.One - y * y;
/// }
/// </code>
/// </example>
public abstract class ElementwiseUnary : Op
{
    public override string Category => "element-wise";

    public override string ShapeRule => "x: any shape (rank 0 to 8); y: the shape of x";

    private IReadOnlyList<InputSlot>? _inputs;

    public sealed override IReadOnlyList<InputSlot> Inputs => _inputs ??= [new("x", InputDoc) { Domain = Domain }];

    /// <summary>What x is, for the docs' input table.</summary>
    protected virtual string InputDoc => "any tensor, rank 0 to 8";

    /// <summary>Where f is defined, for the gradient check's random inputs (<see cref="ValueDomain.Positive"/> for log and sqrt).</summary>
    protected virtual ValueDomain Domain => ValueDomain.Real;

    /// <summary>Rank 2, 3 and 4 (broadcast-free: every shape works) and a scalar.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 5]]),
        new("rank 3", [[batch, 2, 3]]),
        new("rank 4", [[batch, 2, 1, 3]]),
        new("vector", [[4]]),
        new("scalar", [[]]),
    ];

    protected sealed override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);

    /// <summary>y = f(x) for one element.</summary>
    protected abstract T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>f'(x), given x and y = f(x).</summary>
    protected abstract T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = f(x) over a span; override with a vector kernel where one exists.</summary>
    protected virtual void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = F(x[i]);
    }

    /// <summary>dx += dy ⊙ f'(x, y) over a span; override with a vector kernel where one exists.</summary>
    protected virtual void Gradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] * Df(x[i], y[i]);
    }

    // Explanation: h_1 = relu(24) = 24 per entry; backward dJ/dz_1 = (dJ/dh_1)(relu'(24)) = (2)(1) = 2.

    /// <summary>
    /// The working between f(x) and its value for one entry, e.g. sigmoid's 1 / (1 + e^-x); null
    /// (the default) writes f(x) = value only.
    /// </summary>
    protected virtual Explain.MathExpr? ExplainWorking(Explain.MathNumber x) => null;

    public sealed override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ElementwiseExplanation.Forward(e, Name, ExplainWorking);
    }

    public sealed override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ElementwiseExplanation.Backward(e, Name, (x, y) => Df(x, y));
    }

    protected sealed override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected sealed override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => Apply<T>(c.Input(0).Span, c.Output.Span);

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        if (c.Overwrites(0)) GradientInto<T>(c.Input(0).Span, c.Output.Span, c.OutputGrad!.Span, dx.Span);
        else Gradient<T>(c.Input(0).Span, c.Output.Span, c.OutputGrad!.Span, dx.Span);
    }

    /// <summary>Whether the op has a <see cref="GradientInto{T}"/> (see <see cref="Op.WritesFirstGradient"/>).</summary>
    public override bool WritesFirstGradient => false;

    /// <summary>dx = 0 + dy ⊙ f'(x, y) written over dx; only called for an op with <see cref="WritesFirstGradient"/>.</summary>
    protected virtual void GradientInto<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException($"{Name} does not write its first gradient");
}
