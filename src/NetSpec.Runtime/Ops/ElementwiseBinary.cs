using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The shared frame of add, sub and mul: inputs a and b broadcast to one shape (rank 2 at
/// most, NumPy rules, see <see cref="Broadcast"/>); the gradient of an input that was
/// broadcast is summed over the axes it was repeated along.
/// </summary>
public abstract class ElementwiseBinary : Op
{
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("a", "any tensor"), new("b", "any tensor that broadcasts with a")];

    public override string Category => "element-wise";
    public override string ShapeRule => "a and b broadcast (NumPy rules: aligned on the right, each axis equal or 1); y: the broadcast shape";

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("same shape", [[batch, 3], [batch, 3]]),
        new("row broadcast", [[batch, 3], [3]]),
        new("column and row", [[batch, 1], [1, 3]]),
        new("same value twice", [[batch, 3], [batch, 3]]) { Shared = [[0, 1]] },
    ];

    protected override ShapeResult InferShape(ShapeQuery q) =>
        Broadcast.Of(q[0], q[1]) is { Rank: <= 2 } y ? ShapeResult.Ok(y)
        : ShapeResult.Fail($"{q.Name(0)} is {q[0]} and {q.Name(1)} is {q[1]}: they do not broadcast (each axis equal, or 1)");

    /// <summary>y = f(a, b) for one element.</summary>
    protected abstract T Apply<T>(T a, T b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

    /// <summary>(dy/da, dy/db) at one element.</summary>
    protected abstract (T Da, T Db) Derivatives<T>(T a, T b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

    protected sealed override void Forward<T>(OpContext<T> c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        var y = c.Output;
        int rows = y.Shape.Rows, cols = y.Shape.Cols;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = Apply(a[Broadcast.Index(a.Shape, r, j)], b[Broadcast.Index(b.Shape, r, j)]);
    }

    protected sealed override void Backward<T>(OpContext<T> c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        var g = c.OutputGrad!;
        var da = c.InputGrad(0);
        var db = c.InputGrad(1);
        int rows = g.Shape.Rows, cols = g.Shape.Cols;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
            {
                int ia = Broadcast.Index(a.Shape, r, j), ib = Broadcast.Index(b.Shape, r, j);
                var (dya, dyb) = Derivatives(a[ia], b[ib]);
                T gi = g[r * cols + j];
                if (da is not null) da[ia] += gi * dya;
                if (db is not null) db[ib] += gi * dyb;
            }
    }
}
