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
/// row is one block per row. An op supplies the maths of one block, where either operand may be
/// one element standing for itself repeated (the kernels in <see cref="Vec"/> take that form).
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

    /// <summary>y = a ∘ b over one block; a or b may be one element, repeated.</summary>
    protected abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>da += g ⊙ ∂y/∂a over one block; da of one element receives the sum over the block.</summary>
    protected abstract void GradientA<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> da) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>db += g ⊙ ∂y/∂b over one block; db of one element receives the sum over the block.</summary>
    protected abstract void GradientB<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> db) where T : unmanaged, IFloatingPointIeee754<T>;

    private static BroadcastPlan Plan<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T> =>
        c.State(static ctx => Broadcast.Plan(ctx.Input(0).Shape, ctx.Input(1).Shape, ctx.Output.Shape));

    protected sealed override void Forward<T>(OpContext<T> c)
    {
        ReadOnlySpan<T> a = c.Input(0).Span, b = c.Input(1).Span;
        Span<T> y = c.Output.Span;
        var p = Plan(c);
        for (int k = 0; k < p.Blocks; k++)
            Apply(p.A(a, k), p.B(b, k), y.Slice(k * p.Block, p.Block));
    }

    protected sealed override void Backward<T>(OpContext<T> c)
    {
        ReadOnlySpan<T> a = c.Input(0).Span, b = c.Input(1).Span, g = c.OutputGrad!.Span;
        var p = Plan(c);
        if (c.InputGrad(0) is { } da)
            for (int k = 0; k < p.Blocks; k++)
                GradientA(g.Slice(k * p.Block, p.Block), p.A(a, k), p.B(b, k), p.GradA(da.Span, k));
        if (c.InputGrad(1) is { } db)
            for (int k = 0; k < p.Blocks; k++)
                GradientB(g.Slice(k * p.Block, p.Block), p.A(a, k), p.B(b, k), p.GradB(db.Span, k));
    }
}
