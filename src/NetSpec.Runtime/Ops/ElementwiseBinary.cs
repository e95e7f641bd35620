using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The shared frame of add, sub and mul: inputs a and b broadcast to one shape (rank 2 at
/// most, NumPy rules, see <see cref="Broadcast"/>); the gradient of an input that was
/// broadcast is summed over the axes it was repeated along.
/// </summary>
public abstract class ElementwiseBinary : Op
{
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("a"), new("b")];

    public override ShapeResult InferShape(IReadOnlyList<Shape> s, IReadOnlyList<string> n) =>
        Broadcast.Of(s[0], s[1]) is { } y ? ShapeResult.Ok(y)
        : ShapeResult.Fail($"{n[0]} is {s[0]} and {n[1]} is {s[1]}: they do not broadcast (each axis equal, or 1)");

    /// <summary>y = f(a, b) for one element.</summary>
    protected abstract T Apply<T>(T a, T b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

    /// <summary>(dy/da, dy/db) at one element.</summary>
    protected abstract (T Da, T Db) Derivatives<T>(T a, T b) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

    public sealed override void Forward<T>(OpContext<T> c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        var y = c.Output;
        int rows = y.Shape.Rows, cols = y.Shape.Cols;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = Apply(a[Broadcast.Index(a.Shape, r, j)], b[Broadcast.Index(b.Shape, r, j)]);
    }

    public sealed override void Backward<T>(OpContext<T> c)
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
