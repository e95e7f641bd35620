using System.Numerics.Tensors;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// A one-line description of a tensor: shape, min, max, mean, count of non-finite values, first
/// values; every number at the trace's precision (<see cref="TensorText.Number(double, bool)"/>:
/// float32 values and their mean in float32's shortest digits, float64 to 10 digits).
/// </summary>
public static class Summary
{
    public static string Of(Shape shape, TraceValues v, int first = 4) => $"{shape} {Stats(v, first)}";

    /// <summary>The summary without the shape: "min -1, max 2, mean 0.5, first [...]".</summary>
    public static string Stats(TraceValues v, int first = 4)
    {
        var (min, max, sum, finite, nonFinite) = v.IsSingle ? Stats(v.Singles) : Stats(v.Doubles);
        string N(double x) => TensorText.Number(x, v.IsSingle);
        var head = new List<string>();
        for (int i = 0; i < Math.Min(first, v.Length); i++) head.Add(N(v[i]));
        string stats = finite == 0 ? "no finite values" : $"min {N(min)}, max {N(max)}, mean {N(sum / finite)}";
        return $"{stats}{(nonFinite > 0 ? $", {nonFinite} non-finite" : "")}, first [{string.Join(", ", head)}{(v.Length > first ? ", ..." : "")}]";
    }

    /// <summary>
    /// The sum of finite elements in double: in element order up to 1,024 elements; above, in four
    /// interleaved running sums added at the end (a fixed order, so the same on every machine and
    /// thread count), which keeps a summary of a 1024 x 1024 tensor from costing a dependent add per element.
    /// </summary>
    private static double Sum<T>(ReadOnlySpan<T> v) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (v.Length <= 1024)
        {
            double s = 0;
            foreach (var e in v) s += double.CreateTruncating(e);
            return s;
        }
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= v.Length; i += 4)
        {
            s0 += double.CreateTruncating(v[i]);
            s1 += double.CreateTruncating(v[i + 1]);
            s2 += double.CreateTruncating(v[i + 2]);
            s3 += double.CreateTruncating(v[i + 3]);
        }
        for (; i < v.Length; i++) s0 += double.CreateTruncating(v[i]);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>Min, max and the sum (in element order, or see <see cref="Sum{T}"/>) of the finite elements, and the counts of finite and other elements.</summary>
    private static (double Min, double Max, double Sum, int Finite, int NonFinite) Stats<T>(ReadOnlySpan<T> v)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        if (v.Length > 0 && Vec.AllFinite(v))
        {
            // Vectorized min and max, the same as the loop below but where a zero could be +0 or -0
            // (the loop keeps the first of equal values); the sum stays in element order.
            T lo = TensorPrimitives.Min(v), hi = TensorPrimitives.Max(v);
            if (lo != T.Zero && hi != T.Zero)
                return (double.CreateTruncating(lo), double.CreateTruncating(hi), Sum(v), v.Length, 0);
        }
        int finite = 0;
        foreach (var e in v)
        {
            double x = double.CreateTruncating(e);
            if (!double.IsFinite(x)) continue;
            finite++;
            sum += x;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        return (min, max, sum, finite, v.Length - finite);
    }
}
