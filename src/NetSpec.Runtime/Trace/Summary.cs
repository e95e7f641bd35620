using System.Globalization;
using System.Numerics.Tensors;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Trace;

/// <summary>A one-line description of a tensor: shape, min, max, mean, count of non-finite values, first values.</summary>
public static class Summary
{
    public static string Of(Shape shape, TraceValues v, int first = 4)
    {
        var (min, max, sum, finite, nonFinite) = v.IsSingle ? Stats(v.Singles) : Stats(v.Doubles);
        var head = new List<string>();
        for (int i = 0; i < Math.Min(first, v.Length); i++) head.Add(Format.Number(v[i]));
        string stats = finite == 0 ? "no finite values"
            : string.Create(CultureInfo.InvariantCulture, $"min {Format.Number(min)}, max {Format.Number(max)}, mean {Format.Number(sum / finite)}");
        return $"{shape} {stats}{(nonFinite > 0 ? $", {nonFinite} non-finite" : "")}, first [{string.Join(", ", head)}{(v.Length > first ? ", ..." : "")}]";
    }

    /// <summary>Min, max and the sum (in element order) of the finite elements, and the counts of finite and other elements.</summary>
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
            {
                foreach (var e in v) sum += double.CreateTruncating(e);
                return (double.CreateTruncating(lo), double.CreateTruncating(hi), sum, v.Length, 0);
            }
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
