using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The shared frame of add, sub and mul: y = a ∘ b with a and b broadcast to one shape of any
/// rank (NumPy / ONNX rules, see <see cref="Broadcast"/>). The gradient of an input that was
/// broadcast is summed over the axes it was repeated along, and accumulated (+=), so a value fed
/// into both inputs (a: A, b: A) receives both contributions.
/// </summary>
/// <remarks>
/// The output is walked in the blocks of a <see cref="BroadcastPlan"/> computed once per node:
/// equal shapes are one block, a scalar is one block against one element, a bias added to every
/// row is one block per row. An op supplies the maths of one block (its
/// <see cref="IBinaryFunction{TSelf}"/>), where either operand may be one element standing for
/// itself repeated (the kernels in <see cref="Vec"/> take that form).
/// </remarks>
public abstract class ElementwiseBinary : Op
{
    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("a", "any tensor, rank 0 to 8"),
        new("b", "any tensor that broadcasts with a (aligned on the right, each axis equal or 1)"),
    ];

    public override string Category => "element-wise";

    public override string ShapeRule =>
        "a and b broadcast: aligned on the right, a missing leading axis counts as 1, and along each axis the sizes are equal or one of them is 1; y: the broadcast shape, e.g. [N, 3, 4] and [4] give [N, 3, 4], [N, 1, 4] and [3, 1] give [N, 3, 4]";

    public override string Convention =>
        "NumPy / ONNX multidirectional broadcasting, as PyTorch: either input may be repeated along an axis of size 1 or a missing leading axis. " +
        "The gradient of a repeated input is the upstream gradient summed over the axes it was repeated along, so it has the input's own shape.";

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("same shape", [[batch, 3], [batch, 3]]),
        new("bias over rows", [[batch, 3], [3]]),
        new("column and row", [[batch, 1], [1, 3]]),
        new("scalar on the right", [[batch, 3], []]),
        new("scalar on the left", [[], [batch, 2]]),
        new("rank 3 and a vector", [[batch, 3, 4], [4]]),
        new("rank 3, both broadcast", [[batch, 1, 4], [3, 1]]),
        new("rank 4 and rank 3", [[batch, 2, 1, 3], [2, 4, 1]]),
        new("same value into both inputs", [[batch, 3], [batch, 3]]) { Shared = [[0, 1]] },
        new("same value into both inputs, rank 3", [[batch, 2, 3], [batch, 2, 3]]) { Shared = [[0, 1]] },
    ];

    protected override ShapeResult InferShape(ShapeQuery q) =>
        Broadcast.Of(q[0], q[1]) is { } y ? ShapeResult.Ok(y)
        : ShapeResult.Fail($"{q.Name(0)} is {q[0]} and {q.Name(1)} is {q[1]}: they do not broadcast (aligned on the right, each axis equal, or 1)");

    /// <summary>
    /// One entry's arithmetic from its operands' entries (symbols or numbers): a + b, (a)(b),
    /// max(a, b); null (an op that writes none) falls back to the generic explanation.
    /// </summary>
    protected virtual Explain.MathExpr? ExplainValue(Explain.MathExpr a, Explain.MathExpr b) => null;

    /// <summary>
    /// This entry's term of dJ/d(input <paramref name="input"/>) from the upstream gradient g and the
    /// operands' numbers: dJ/da = (g)(b) for mul. A broadcast input's entry sums its terms.
    /// </summary>
    protected virtual Explain.MathExpr? ExplainGradient(int input, Explain.MathNumber g, Explain.MathNumber a, Explain.MathNumber b) => null;

    /// <summary>
    /// Writes each output entry with the operand entries it reads (with broadcasting, the one
    /// entry of a repeated operand each output entry uses): y_12 = a_12 + b_2 = 3 + 4 = 7.
    /// </summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor a = e.Input(0), b = e.Input(1), y = e.Output;
        if (ExplainValue(new Explain.MathSymbol(a.Name), new Explain.MathSymbol(b.Name)) is not { } formula)
        {
            base.ExplainForward(e);
            return;
        }
        e.Formula(y.WholeSym, formula);
        if (!a.Shape.Equals(b.Shape)) e.Note($"{a.Name} is {a.Shape} and {b.Name} is {b.Shape}: broadcast to {y.Shape}, each output entry reads the entries named in its line");
        OpExplain.Each(e, y, () =>
        {
            foreach (int k in e.Entries(y))
            {
                var full = OpExplain.Full(e, y, k);
                int[] ia = OpExplain.Broadcast(full, a.Shape), ib = OpExplain.Broadcast(full, b.Shape);
                e.Entry(y, k, ExplainValue(OpExplain.Sym(a, ia), OpExplain.Sym(b, ib))!, ExplainValue(OpExplain.Num(a, ia), OpExplain.Num(b, ib))!);
            }
        });
    }

    /// <summary>
    /// Writes each input's gradient entry by entry from dJ/dy and the operands; an input repeated by
    /// broadcasting gets the sum of the terms of every output entry that read it.
    /// </summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (ExplainGradient(0, new(0), new(0), new(1)) is null)
        {
            base.ExplainBackward(e);
            return;
        }
        e.Note(GradientFormula);
        Explain.ExplainTensor a = e.Input(0), b = e.Input(1), y = e.Output, g = e.OutputGrad!;
        for (int i = 0; i < 2; i++)
        {
            if (e.Contribution(i) is not { } d) continue;
            var x = i == 0 ? a : b;
            var terms = new Dictionary<int, List<Explain.MathExpr>>();
            for (int f = 0; f < y.Shape.Length; f++)
            {
                var full = OpExplain.Unflatten(y.Shape, f);
                int[] ia = OpExplain.Broadcast(full, a.Shape), ib = OpExplain.Broadcast(full, b.Shape);
                OpExplain.Add(terms, OpExplain.Flat(x.Shape, i == 0 ? ia : ib),
                    ExplainGradient(i, OpExplain.NumFlat(g, f), OpExplain.Num(a, ia), OpExplain.Num(b, ib))!);
            }
            if (x.Shape.Length < y.Shape.Length)
            {
                e.Note($"{x.Name} was broadcast: each entry of dJ/d{x.Name} sums the terms of the output entries that read it");
                OpExplain.Scatter(e, d, terms);
                continue;
            }
            // Not broadcast: one term per entry, the upstream gradient named when it passes unchanged (add, sub).
            OpExplain.Each(e, d, () =>
            {
                foreach (int k in e.Entries(d))
                {
                    var full = OpExplain.Full(e, d, k);
                    var yFull = full.Length < y.Shape.Rank ? [.. new int[y.Shape.Rank - full.Length], .. full] : full;
                    var term = terms[OpExplain.Flat(x.Shape, full)][0];
                    var gSym = OpExplain.Sym(g, yFull);
                    if (term is Explain.MathNumber) e.Entry(d, k, gSym);
                    else if (term is Explain.MathNegation { Of: Explain.MathNumber }) e.Entry(d, k, new Explain.MathNegation(gSym), term);
                    else e.Entry(d, k, term);
                }
            });
        }
    }
}

/// <summary>
/// The block kernels of an <see cref="ElementwiseBinary{TF}"/> op, as static members of a struct:
/// called directly, and precompiled by the ReadyToRun build (see <see cref="IUnaryFunction{TSelf}"/>).
/// </summary>
public interface IBinaryFunction<TSelf> where TSelf : struct, IBinaryFunction<TSelf>
{
    /// <summary>y = a ∘ b over one block; a or b may be one element, repeated.</summary>
    static abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>da += g ⊙ ∂y/∂a over one block; da of one element receives the sum over the block.</summary>
    static abstract void GradientA<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> da) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>db += g ⊙ ∂y/∂b over one block; db of one element receives the sum over the block.</summary>
    static abstract void GradientB<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// An element-wise binary op over its block kernels <typeparamref name="TF"/> (see
/// <see cref="ElementwiseBinary"/>); the op file's two <c>Run</c> lines call <see cref="Step{T}"/>
/// (see <see cref="ElementwiseUnary{TF}"/> for why they are the op's own).
/// </summary>
/// <typeparam name="TF">The op's block kernels (a struct, so that every call is direct).</typeparam>
public abstract class ElementwiseBinary<TF> : ElementwiseBinary where TF : struct, IBinaryFunction<TF>
{
    private static BroadcastPlan Plan<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T> =>
        c.State(static ctx => Broadcast.Plan(ctx.Input(0).Shape, ctx.Input(1).Shape, ctx.Output.Shape));

    /// <summary>The forward (y = a ∘ b, block by block) or the backward pass of one node.</summary>
    protected static void Step<T>(OpContext<T> c, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(c);
        ReadOnlySpan<T> a = c.Input(0).Span, b = c.Input(1).Span;
        var p = Plan(c);
        if (!backward)
        {
            Span<T> y = c.Output.Span;
            for (int k = 0; k < p.Blocks; k++)
                TF.Apply(p.A(a, k), p.B(b, k), y.Slice(k * p.Block, p.Block));
            return;
        }
        ReadOnlySpan<T> g = c.OutputGrad!.Span;
        if (c.InputGrad(0) is { } da)
            for (int k = 0; k < p.Blocks; k++)
                TF.GradientA(g.Slice(k * p.Block, p.Block), p.A(a, k), p.B(b, k), p.GradA(da.Span, k));
        if (c.InputGrad(1) is { } db)
            for (int k = 0; k < p.Blocks; k++)
                TF.GradientB(g.Slice(k * p.Block, p.Block), p.A(a, k), p.B(b, k), p.GradB(db.Span, k));
    }
}
