using System.Numerics;
using System.Numerics.Tensors;

namespace NetSpec.Runtime.Kernels;

/// <summary>
/// Element-wise and reduction kernels over spans, in one place so ops stay maths and these can
/// be made fast without touching them. Vectorised through <see cref="TensorPrimitives"/>.
/// </summary>
public static class Vec
{
    /// <summary>y += a * x.</summary>
    public static void Axpy<T>(T a, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.MultiplyAdd(x, a, y, y);

    /// <summary>y += x.</summary>
    public static void AddInPlace<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Add(x, y, y);

    /// <summary>Adds <paramref name="row"/> to every row of the rows x cols matrix <paramref name="m"/>.</summary>
    public static void AddRowToEachRow<T>(Span<T> m, int rows, int cols, ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var dst = m.Slice(r * cols, cols);
            TensorPrimitives.Add(dst, row, dst);
        }
    }

    /// <summary>sums[j] += sum over rows of m[r, j].</summary>
    public static void AccumulateColumnSums<T>(ReadOnlySpan<T> m, int rows, int cols, Span<T> sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(m.Slice(r * cols, cols), sums, sums);
    }

    /// <summary>y = max(x, 0).</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Max(x, T.Zero, y);

    /// <summary>dx += dy where x &gt; 0 (relu'(0) := 0).</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
            if (x[i] > T.Zero) dx[i] += dy[i];
    }

    /// <summary>Sum of squares of x.</summary>
    public static T SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.SumOfSquares(x);

    /// <summary>Row-wise softmax with the row maximum subtracted first.</summary>
    public static void SoftmaxRows<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            T max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            T sum = TensorPrimitives.Sum<T>(yr);
            TensorPrimitives.Divide(yr, sum, yr);
        }
    }

    /// <summary>Whether every value is finite (no NaN, no infinity).</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.IsFiniteAll(x);
}
