using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
    public static string Stats(TraceValues v, int first = 4) => Stats(v, first, Numbers(v));

    /// <summary><see cref="Stats(TraceValues, int)"/> from the numbers <see cref="Numbers(TraceValues)"/> gave.</summary>
    internal static string Stats(TraceValues v, int first, (double Min, double Max, double Sum, int Finite, int NonFinite) numbers)
    {
        var (min, max, sum, finite, nonFinite) = numbers;
        string N(double x) => TensorText.Number(x, v.IsSingle);
        var head = new List<string>();
        for (int i = 0; i < Math.Min(first, v.Length); i++) head.Add(N(v[i]));
        string stats = finite == 0 ? "no finite values" : $"min {N(min)}, max {N(max)}, mean {N(sum / finite)}";
        return $"{stats}{(nonFinite > 0 ? $", {nonFinite} non-finite" : "")}, first [{string.Join(", ", head)}{(v.Length > first ? ", ..." : "")}]";
    }

    /// <summary>The summary's numbers: min, max and sum of the finite elements (see <see cref="Stats{T}"/>), the counts of finite and other elements.</summary>
    internal static (double Min, double Max, double Sum, int Finite, int NonFinite) Numbers(TraceValues v) =>
        v.IsSingle ? Stats(v.Singles) : Stats(v.Doubles);

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

    /// <summary>
    /// The running state of <see cref="OnePass{T}(ReadOnlySpan{T}, out double, out double, out double)"/>
    /// for one tensor: the four running sums of <see cref="Sum{T}"/> as the four lanes of one
    /// vector (lane j adds elements j, j + 4, ..., the same additions in the same order), the
    /// lanes' min and max, and whether a value was not finite.
    /// </summary>
    private struct Lanes
    {
        public Vector256<double> Sum, Lo, Hi;
        public Vector256<ulong> Bad;

        public static Lanes Start() => new()
        {
            Lo = Vector256.Create(double.PositiveInfinity),
            Hi = Vector256.Create(double.NegativeInfinity),
        };

        /// <summary>Four elements, each as its float64 (exact for a float32).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Vector256<double> x)
        {
            var exponent = Vector256.Create(0x7FF0000000000000UL);
            Bad |= Vector256.Equals(x.AsUInt64() & exponent, exponent);
            Lo = Avx.Min(Lo, x);
            Hi = Avx.Max(Hi, x);
            Sum = Avx.Add(Sum, x);
        }

        /// <summary>The tail from <paramref name="i"/> into the first sum, then the numbers; false as <see cref="OnePass{T}(ReadOnlySpan{T}, out double, out double, out double)"/> says.</summary>
        public readonly bool Finish<T>(ReadOnlySpan<T> v, int i, out double min, out double max, out double sum)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            min = Math.Min(Math.Min(Lo[0], Lo[1]), Math.Min(Lo[2], Lo[3]));
            max = Math.Max(Math.Max(Hi[0], Hi[1]), Math.Max(Hi[2], Hi[3]));
            sum = 0;
            if (Bad != Vector256<ulong>.Zero) return false;
            double s0 = Sum[0];
            for (; i < v.Length; i++)
            {
                double x = double.CreateTruncating(v[i]);
                if (!double.IsFinite(x)) return false;
                s0 += x;
                if (x < min) min = x;
                if (x > max) max = x;
            }
            sum = (s0 + Sum[1]) + (Sum[2] + Sum[3]);
            return min != 0 && max != 0;
        }
    }

    /// <summary>Elements [i, i + 4) as float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load4<T>(ref T p, int i) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref p), (nuint)i))
            : Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref p), (nuint)i);

    /// <summary>
    /// Above 1,024 elements, what <see cref="Stats{T}"/> computes in one pass over the data instead
    /// of four (see <see cref="Lanes"/>). False (nothing promised) when a value is not finite or the
    /// min or max is zero (a signed zero: the element loop decides which one is kept).
    /// </summary>
    private static bool OnePass<T>(ReadOnlySpan<T> v, out double min, out double max, out double sum)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ref T p = ref MemoryMarshal.GetReference(v);
        var lanes = Lanes.Start();
        int i = 0;
        for (; i + 4 <= v.Length; i += 4) lanes.Add(Load4(ref p, i));
        return lanes.Finish(v, i, out min, out max, out sum);
    }

    /// <summary>
    /// The numbers of three tensors of one length (an update's old value, gradient and new value),
    /// as three calls of <see cref="Numbers(TraceValues)"/> give them; above 1,024 elements their
    /// passes run interleaved, so that each tensor's additions (a chain per lane) overlap the others'.
    /// </summary>
    internal static void Numbers(TraceValues a, TraceValues b, TraceValues c, Span<(double Min, double Max, double Sum, int Finite, int NonFinite)> results)
    {
        if (a.Length > 1024 && Avx.IsSupported && a.Length == b.Length && a.Length == c.Length && a.IsSingle == b.IsSingle && a.IsSingle == c.IsSingle)
        {
            bool ok = a.IsSingle ? ThreePasses(a.Singles, b.Singles, c.Singles, results) : ThreePasses(a.Doubles, b.Doubles, c.Doubles, results);
            if (ok) return;
        }
        results[0] = Numbers(a);
        results[1] = Numbers(b);
        results[2] = Numbers(c);
    }

    /// <summary><see cref="OnePass{T}(ReadOnlySpan{T}, out double, out double, out double)"/> of three tensors at once; false unless it holds for each.</summary>
    private static bool ThreePasses<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c, Span<(double Min, double Max, double Sum, int Finite, int NonFinite)> results)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ref T pa = ref MemoryMarshal.GetReference(a);
        ref T pb = ref MemoryMarshal.GetReference(b);
        ref T pc = ref MemoryMarshal.GetReference(c);
        Lanes la = Lanes.Start(), lb = Lanes.Start(), lc = Lanes.Start();
        int i = 0;
        for (; i + 4 <= a.Length; i += 4)
        {
            la.Add(Load4(ref pa, i));
            lb.Add(Load4(ref pb, i));
            lc.Add(Load4(ref pc, i));
        }
        if (!la.Finish(a, i, out double min, out double max, out double sum)) return false;
        results[0] = (min, max, sum, a.Length, 0);
        if (!lb.Finish(b, i, out min, out max, out sum)) return false;
        results[1] = (min, max, sum, b.Length, 0);
        if (!lc.Finish(c, i, out min, out max, out sum)) return false;
        results[2] = (min, max, sum, c.Length, 0);
        return true;
    }

    /// <summary>Min, max and the sum (in element order, or see <see cref="Sum{T}"/>) of the finite elements, and the counts of finite and other elements.</summary>
    private static (double Min, double Max, double Sum, int Finite, int NonFinite) Stats<T>(ReadOnlySpan<T> v)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        if (v.Length > 1024 && Avx.IsSupported)
        {
            if (OnePass(v, out min, out max, out sum)) return (min, max, sum, v.Length, 0);
            (min, max, sum) = (double.PositiveInfinity, double.NegativeInfinity, 0);
        }
        else if (v.Length > 0 && Vec.AllFinite(v))
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
