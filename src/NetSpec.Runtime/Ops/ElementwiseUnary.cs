using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The element function of an <see cref="ElementwiseUnary{TF}"/> op: f and f' (and, where one
/// exists, a vector kernel for the span) as static members of a struct.
/// </summary>
/// <remarks>
/// Static, not virtual: the span loops call f directly (inlined, no generic virtual call per
/// element), and the op's generic code has one exact instantiation per element type, which the
/// ReadyToRun build precompiles (a generic virtual method is always compiled at start-up there).
/// </remarks>
public interface IUnaryFunction<TSelf> where TSelf : struct, IUnaryFunction<TSelf>
{
    /// <summary>y = f(x) for one element.</summary>
    static abstract T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>f'(x), given x and y = f(x).</summary>
    static abstract T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y = f(x) over a span; implement with a vector kernel where one exists.</summary>
    static virtual void Apply<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = TSelf.F(x[i]);
    }

    /// <summary>dx += dy ⊙ f'(x, y) over a span; implement with a vector kernel where one exists.</summary>
    static virtual void Gradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] * TSelf.Df(x[i], y[i]);
    }

    /// <summary>
    /// dx = 0 + dy ⊙ f'(x, y) written over dx; only called for an op whose
    /// <see cref="Op.WritesFirstGradient"/> is true.
    /// </summary>
    static virtual void GradientInto<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        throw new NotSupportedException("this op does not write its first gradient");
}

/// <summary>
/// The shared frame of one-input element-wise ops: y = f(x) element by element, any rank, y of
/// x's shape; backward dJ/dx += dJ/dy ⊙ f'(x, y). An op supplies its name, docs, f and f' (given
/// both x and y = f(x), so sigmoid can write y (1 - y)) in a struct implementing
/// <see cref="IUnaryFunction{TSelf}"/>, its two <c>Run</c> lines, and nothing else; a faster span
/// kernel (e.g. from TensorPrimitives) may replace the element loops by implementing <see cref="IUnaryFunction{TSelf}.Apply{T}"/> and
/// <see cref="IUnaryFunction{TSelf}.Gradient{T}"/> there.
/// </summary>
/// <example>
/// <code>
/// public sealed class Tanh : ElementwiseUnary&lt;Tanh.Function&gt;
/// {
///     public override string Name => "tanh";
///     public override string Summary => "Hyperbolic tangent, element by element.";
///     public override string Formula => "y = tanh(x)";
///     public override string GradientFormula => "dJ/dx = dJ/dy ⊙ (1 - y²)";
///     public override string Example => "{op: tanh, x: z}";
///
///     protected override void Run(OpContext&lt;float&gt; c, bool backward) => Step(c, backward);
///     protected override void Run(OpContext&lt;double&gt; c, bool backward) => Step(c, backward);
///
///     public readonly struct Function : IUnaryFunction&lt;Function&gt;
///     {
///         public static T F&lt;T&gt;(T x) where T : unmanaged, IFloatingPointIeee754&lt;T&gt; => T.Tanh(x);
///         public static T Df&lt;T&gt;(T x, T y) where T : unmanaged, IFloatingPointIeee754&lt;T&gt; => T.One - y * y;
///     }
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

    /// <summary>Whether the op's function has a <see cref="IUnaryFunction{TSelf}.GradientInto{T}"/> (see <see cref="Op.WritesFirstGradient"/>).</summary>
    public override bool WritesFirstGradient => false;
}

/// <summary>
/// An element-wise unary op over its function <typeparamref name="TF"/> (see
/// <see cref="ElementwiseUnary"/>). The op file writes its two <c>Run</c> lines as every op does,
/// each a call of <see cref="Step{T}"/>:
/// <code>
/// protected override void Run(OpContext&lt;float&gt; c, bool backward) =&gt; Step(c, backward);
/// protected override void Run(OpContext&lt;double&gt; c, bool backward) =&gt; Step(c, backward);
/// </code>
/// </summary>
/// <remarks>
/// The two lines live in the op's own (non-generic) class so that the ReadyToRun build finds
/// the exact instantiations (this class over the op's struct, per element type) from them and
/// precompiles them; a method inherited from a generic base is never precompiled there.
/// </remarks>
/// <typeparam name="TF">The op's f and f' (a struct, so that every call is direct).</typeparam>
public abstract class ElementwiseUnary<TF> : ElementwiseUnary where TF : struct, IUnaryFunction<TF>
{
    public sealed override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ElementwiseExplanation.Backward(e, Name, (x, y) => TF.Df(x, y));
    }

    /// <summary>The forward (y = f(x)) or the backward pass (dx += or = dy ⊙ f'(x, y)) of one node.</summary>
    protected static void Step<T>(OpContext<T> c, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(c);
        if (!backward)
        {
            TF.Apply<T>(c.Input(0).Span, c.Output.Span);
            return;
        }
        if (c.InputGrad(0) is not { } dx) return;
        if (c.Overwrites(0)) TF.GradientInto<T>(c.Input(0).Span, c.Output.Span, c.OutputGrad!.Span, dx.Span);
        else TF.Gradient<T>(c.Input(0).Span, c.Output.Span, c.OutputGrad!.Span, dx.Span);
    }
}
