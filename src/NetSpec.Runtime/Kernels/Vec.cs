using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>
    /// y += a * x (rounded as <see cref="Axpy{T}"/>: the product, then the sum), and whether every
    /// updated y is finite: the update and the fault check in one pass over y.
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    public static bool AxpyAllFinite<T>(T a, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length, i = 0;
        if (x.Length < n) throw new ArgumentException("x must be at least as long as y");
        ref T px = ref MemoryMarshal.GetReference(x);
        ref T py = ref MemoryMarshal.GetReference(y);
        bool finite = true;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var av = Vector512.Create(a);
            // Four independent finiteness chains (one add chain is latency-bound at three or four
            // cycles a vector); the updated values are computed as in the one-vector loop.
            int w = Vector512<T>.Count;
            Vector512<T> acc = Vector512<T>.Zero, acc1 = Vector512<T>.Zero, acc2 = Vector512<T>.Zero, acc3 = Vector512<T>.Zero;
            for (; i <= n - 4 * w; i += 4 * w)
            {
                var r0 = Vector512.LoadUnsafe(ref px, (nuint)i) * av + Vector512.LoadUnsafe(ref py, (nuint)i);
                var r1 = Vector512.LoadUnsafe(ref px, (nuint)(i + w)) * av + Vector512.LoadUnsafe(ref py, (nuint)(i + w));
                var r2 = Vector512.LoadUnsafe(ref px, (nuint)(i + 2 * w)) * av + Vector512.LoadUnsafe(ref py, (nuint)(i + 2 * w));
                var r3 = Vector512.LoadUnsafe(ref px, (nuint)(i + 3 * w)) * av + Vector512.LoadUnsafe(ref py, (nuint)(i + 3 * w));
                r0.StoreUnsafe(ref py, (nuint)i);
                r1.StoreUnsafe(ref py, (nuint)(i + w));
                r2.StoreUnsafe(ref py, (nuint)(i + 2 * w));
                r3.StoreUnsafe(ref py, (nuint)(i + 3 * w));
                acc += r0 - r0;
                acc1 += r1 - r1;
                acc2 += r2 - r2;
                acc3 += r3 - r3;
            }
            for (; i <= n - w; i += w)
            {
                var r = Vector512.LoadUnsafe(ref px, (nuint)i) * av + Vector512.LoadUnsafe(ref py, (nuint)i);
                r.StoreUnsafe(ref py, (nuint)i);
                acc += r - r;
            }
            finite = Vector512.EqualsAll((acc + acc1) + (acc2 + acc3), Vector512<T>.Zero);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var av = Vector256.Create(a);
            Vector256<T> acc = Vector256<T>.Zero;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var r = Vector256.LoadUnsafe(ref px, (nuint)i) * av + Vector256.LoadUnsafe(ref py, (nuint)i);
                r.StoreUnsafe(ref py, (nuint)i);
                acc += r - r;
            }
            finite = Vector256.EqualsAll(acc, Vector256<T>.Zero);
        }
        for (; i < n; i++)
        {
            ref T yi = ref Unsafe.Add(ref py, i);
            yi = Unsafe.Add(ref px, i) * a + yi;
            finite &= T.IsFinite(yi);
        }
        return finite;
    }

    /// <summary>y += x.</summary>
    public static void AddInPlace<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Add(x, y, y);

    // Broadcast blocks: in the kernels below an operand of one element stands for that element
    // repeated along the block (see BroadcastPlan), and a gradient buffer of one element receives
    // the sum over the block.

    /// <summary>y = a + b, a or b possibly one element repeated.</summary>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length == y.Length && b.Length == y.Length) TensorPrimitives.Add(a, b, y);
        else if (a.Length == y.Length) TensorPrimitives.Add(a, b[0], y);
        else if (b.Length == y.Length) TensorPrimitives.Add(b, a[0], y);
        else y.Fill(a[0] + b[0]);
    }

    /// <summary>y = a - b, a or b possibly one element repeated.</summary>
    public static void Subtract<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length == y.Length && b.Length == y.Length) TensorPrimitives.Subtract(a, b, y);
        else if (a.Length == y.Length) TensorPrimitives.Subtract(a, b[0], y);
        else if (b.Length == y.Length) TensorPrimitives.Subtract(a[0], b, y);
        else y.Fill(a[0] - b[0]);
    }

    /// <summary>y = a ⊙ b, a or b possibly one element repeated.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length == y.Length && b.Length == y.Length) TensorPrimitives.Multiply(a, b, y);
        else if (a.Length == y.Length) TensorPrimitives.Multiply(a, b[0], y);
        else if (b.Length == y.Length) TensorPrimitives.Multiply(b, a[0], y);
        else y.Fill(a[0] * b[0]);
    }

    /// <summary>d += g, or d[0] += Σ g when d is one element (summed over the broadcast block).</summary>
    public static void AddReduced<T>(ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (d.Length == g.Length) TensorPrimitives.Add(g, d, d);
        else d[0] += TensorPrimitives.Sum(g);
    }

    /// <summary>d -= g, or d[0] -= Σ g when d is one element.</summary>
    public static void SubtractReduced<T>(ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (d.Length == g.Length) TensorPrimitives.Subtract(d, g, d);
        else d[0] -= TensorPrimitives.Sum(g);
    }

    /// <summary>d += g ⊙ x, or d[0] += Σ g ⊙ x when d is one element; x may be one element repeated.</summary>
    public static void AddProductReduced<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool xFull = x.Length == g.Length;
        if (d.Length == g.Length)
        {
            if (xFull) TensorPrimitives.MultiplyAdd(g, x, d, d);
            else TensorPrimitives.MultiplyAdd(g, x[0], d, d);
        }
        else d[0] += xFull ? TensorPrimitives.Dot(g, x) : TensorPrimitives.Sum(g) * x[0];
    }

    /// <summary>dx += dy ⊙ d, for an element-wise op's local derivative d (dx, dy, d of one length).</summary>
    public static void AddProduct<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> d, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.MultiplyAdd(dy, d, dx, dx);

    /// <summary>Adds <paramref name="row"/> to every row of the rows x cols matrix <paramref name="m"/>.</summary>
    /// <remarks>One add per element (the same bits in any order); plain vector loops, no call per row.</remarks>
    [MethodImpl(HotLoop.Options)]
    public static void AddRowToEachRow<T>(Span<T> m, int rows, int cols, ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m.Length < rows * cols || row.Length < cols) throw new ArgumentException("m must hold rows x cols values and row cols values");
        ref T pm = ref MemoryMarshal.GetReference(m);
        ref T pb = ref MemoryMarshal.GetReference(row);
        for (int r = 0; r < rows; r++)
        {
            ref T pr = ref Unsafe.Add(ref pm, r * cols);
            int j = 0;
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
                for (; j <= cols - Vector512<T>.Count; j += Vector512<T>.Count)
                    (Vector512.LoadUnsafe(ref pr, (nuint)j) + Vector512.LoadUnsafe(ref pb, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
                for (; j <= cols - Vector256<T>.Count; j += Vector256<T>.Count)
                    (Vector256.LoadUnsafe(ref pr, (nuint)j) + Vector256.LoadUnsafe(ref pb, (nuint)j)).StoreUnsafe(ref pr, (nuint)j);
            for (; j < cols; j++) Unsafe.Add(ref pr, j) += Unsafe.Add(ref pb, j);
        }
    }

    /// <summary>sums[j] += sum over rows of m[r, j].</summary>
    public static void AccumulateColumnSums<T>(ReadOnlySpan<T> m, int rows, int cols, Span<T> sums) where T : unmanaged, IFloatingPointIeee754<T> =>
        ColumnSums(m, rows, cols, sums, overwrite: false);

    /// <summary>
    /// sums[j] (+)= m[0, j] + m[1, j] + ... in row order: added to sums, or with
    /// <paramref name="overwrite"/> written over it starting from 0 (the bits of accumulating
    /// into a cleared buffer). Vectorised across the columns, each column summed in row order.
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    public static void ColumnSums<T>(ReadOnlySpan<T> m, int rows, int cols, Span<T> sums, bool overwrite) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m.Length < rows * cols || sums.Length < cols) throw new ArgumentException("m must hold rows x cols values and sums cols values");
        ref T pm = ref MemoryMarshal.GetReference(m);
        ref T ps = ref MemoryMarshal.GetReference(sums);
        int j = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
            for (; j <= cols - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var acc = overwrite ? Vector512<T>.Zero : Vector512.LoadUnsafe(ref ps, (nuint)j);
                for (int r = 0; r < rows; r++) acc += Vector512.LoadUnsafe(ref pm, (nuint)(r * cols + j));
                acc.StoreUnsafe(ref ps, (nuint)j);
            }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
            for (; j <= cols - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                var acc = overwrite ? Vector256<T>.Zero : Vector256.LoadUnsafe(ref ps, (nuint)j);
                for (int r = 0; r < rows; r++) acc += Vector256.LoadUnsafe(ref pm, (nuint)(r * cols + j));
                acc.StoreUnsafe(ref ps, (nuint)j);
            }
        for (; j < cols; j++)
        {
            T acc = overwrite ? T.Zero : Unsafe.Add(ref ps, j);
            for (int r = 0; r < rows; r++) acc += Unsafe.Add(ref pm, r * cols + j);
            Unsafe.Add(ref ps, j) = acc;
        }
    }

    /// <summary>y = a * x + 0 (the bits of y += a * x on a cleared y: the product, then +0, so -0 becomes +0).</summary>
    [MethodImpl(HotLoop.Options)]
    public static void ScaleInto<T>(T a, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length, i = 0;
        if (x.Length < n) throw new ArgumentException("x must be at least as long as y");
        ref T px = ref MemoryMarshal.GetReference(x);
        ref T py = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var av = Vector512.Create(a);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                (Vector512.LoadUnsafe(ref px, (nuint)i) * av + Vector512<T>.Zero).StoreUnsafe(ref py, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var av = Vector256.Create(a);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref px, (nuint)i) * av + Vector256<T>.Zero).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = Unsafe.Add(ref px, i) * a + T.Zero;
    }

    /// <summary>y = x + 0 (the bits of y += x on a cleared y: -0 becomes +0).</summary>
    public static void CopyAsSum<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Add(x, T.Zero, y);

    /// <summary>y = max(x, 0).</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorPrimitives.Max(x, T.Zero, y);

    /// <summary>dx += dy where x &gt; 0 (relu'(0) := 0).</summary>
    /// <remarks>
    /// Branch-free: the vector path selects dx + dy or the untouched dx per lane, so every element
    /// (signed zeros included) is exactly what the scalar loop gives.
    /// </remarks>
    [MethodImpl(HotLoop.Options)]
    public static void ReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (dy.Length < n || dx.Length < n) throw new ArgumentException("dy and dx must be at least as long as x");
        ref T px = ref MemoryMarshal.GetReference(x);
        ref T pdy = ref MemoryMarshal.GetReference(dy);
        ref T pdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var xv = Vector512.LoadUnsafe(ref px, (nuint)i);
                var d = Vector512.LoadUnsafe(ref pdx, (nuint)i);
                var g = Vector512.LoadUnsafe(ref pdy, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(xv, Vector512<T>.Zero), d + g, d).StoreUnsafe(ref pdx, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var xv = Vector256.LoadUnsafe(ref px, (nuint)i);
                var d = Vector256.LoadUnsafe(ref pdx, (nuint)i);
                var g = Vector256.LoadUnsafe(ref pdy, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(xv, Vector256<T>.Zero), d + g, d).StoreUnsafe(ref pdx, (nuint)i);
            }
        }
        for (; i < n; i++)
            if (Unsafe.Add(ref px, i) > T.Zero) Unsafe.Add(ref pdx, i) += Unsafe.Add(ref pdy, i);
    }

    /// <summary>
    /// dx = dy + 0 where x &gt; 0, else +0: <see cref="ReluBackward{T}"/> on a cleared dx, written
    /// over dx's old contents (the first contributor to the gradient).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    public static void ReluBackwardInto<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (dy.Length < n || dx.Length < n) throw new ArgumentException("dy and dx must be at least as long as x");
        ref T px = ref MemoryMarshal.GetReference(x);
        ref T pdy = ref MemoryMarshal.GetReference(dy);
        ref T pdx = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var xv = Vector512.LoadUnsafe(ref px, (nuint)i);
                var g = Vector512.LoadUnsafe(ref pdy, (nuint)i) + Vector512<T>.Zero;
                Vector512.ConditionalSelect(Vector512.GreaterThan(xv, Vector512<T>.Zero), g, Vector512<T>.Zero).StoreUnsafe(ref pdx, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var xv = Vector256.LoadUnsafe(ref px, (nuint)i);
                var g = Vector256.LoadUnsafe(ref pdy, (nuint)i) + Vector256<T>.Zero;
                Vector256.ConditionalSelect(Vector256.GreaterThan(xv, Vector256<T>.Zero), g, Vector256<T>.Zero).StoreUnsafe(ref pdx, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref pdx, i) = Unsafe.Add(ref px, i) > T.Zero ? T.Zero + Unsafe.Add(ref pdy, i) : T.Zero;
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

    /// <summary>
    /// Softmax along the middle axis of an outer x size x inner tensor (element (o, j, i) at
    /// (o · size + j) · inner + i), the maximum along the axis subtracted first: the strided form
    /// of <see cref="SoftmaxRows{T}"/> for an axis that is not the last, vectorised across the
    /// inner positions. <paramref name="scratch"/> holds 2 · inner values.
    /// </summary>
    public static void SoftmaxAxis<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> y, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (size == 0 || inner == 0) return;
        var max = scratch[..inner];
        var sum = scratch.Slice(inner, inner);
        for (int o = 0; o < outer; o++)
        {
            int off = o * size * inner;
            x.Slice(off, inner).CopyTo(max);
            for (int j = 1; j < size; j++) TensorPrimitives.Max(max, x.Slice(off + j * inner, inner), max);
            sum.Clear();
            for (int j = 0; j < size; j++)
            {
                var yj = y.Slice(off + j * inner, inner);
                TensorPrimitives.Subtract(x.Slice(off + j * inner, inner), max, yj);
                TensorPrimitives.Exp(yj, yj);
                TensorPrimitives.Add(sum, yj, sum);
            }
            for (int j = 0; j < size; j++)
            {
                var yj = y.Slice(off + j * inner, inner);
                TensorPrimitives.Divide(yj, sum, yj);
            }
        }
    }

    /// <summary>
    /// dx += o ⊙ (g - Σ_j g_j o_j) along the middle axis of an outer x size x inner tensor: the
    /// backward of <see cref="SoftmaxAxis{T}"/> given its output o and the upstream gradient g.
    /// <paramref name="scratch"/> holds 2 · inner values.
    /// </summary>
    public static void SoftmaxAxisBackward<T>(ReadOnlySpan<T> o, ReadOnlySpan<T> g, int outer, int size, int inner, Span<T> dx, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (size == 0 || inner == 0) return;
        var dot = scratch[..inner];
        var diff = scratch.Slice(inner, inner);
        for (int b = 0; b < outer; b++)
        {
            int off = b * size * inner;
            dot.Clear();
            for (int j = 0; j < size; j++)
                TensorPrimitives.MultiplyAdd(g.Slice(off + j * inner, inner), o.Slice(off + j * inner, inner), dot, dot);
            for (int j = 0; j < size; j++)
            {
                var dxj = dx.Slice(off + j * inner, inner);
                TensorPrimitives.Subtract(g.Slice(off + j * inner, inner), dot, diff);
                TensorPrimitives.MultiplyAdd(o.Slice(off + j * inner, inner), diff, dxj, dxj);
            }
        }
    }

    /// <summary>dst[j] = src[start + j · stride] for every j of dst: one line of a tensor along a strided axis.</summary>
    public static void Gather<T>(ReadOnlySpan<T> src, int start, int stride, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < dst.Length; j++) dst[j] = src[start + j * stride];
    }

    /// <summary>dst[start + j · stride] = src[j] for every j of src: the inverse of <see cref="Gather{T}"/>.</summary>
    public static void Scatter<T>(ReadOnlySpan<T> src, Span<T> dst, int start, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < src.Length; j++) dst[start + j * stride] = src[j];
    }

    /// <summary>Whether every value is finite (no NaN, no infinity).</summary>
    /// <remarks>x - x is zero for every finite x and NaN for an infinity or NaN; NaN survives the sum.</remarks>
    [MethodImpl(HotLoop.Options)]
    public static bool AllFinite<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, i = 0;
        ref T p = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            // Four independent chains: one add chain is latency-bound.
            int w = Vector512<T>.Count;
            Vector512<T> a0 = Vector512<T>.Zero, a1 = Vector512<T>.Zero, a2 = Vector512<T>.Zero, a3 = Vector512<T>.Zero;
            for (; i <= n - 4 * w; i += 4 * w)
            {
                var v0 = Vector512.LoadUnsafe(ref p, (nuint)i);
                var v1 = Vector512.LoadUnsafe(ref p, (nuint)(i + w));
                var v2 = Vector512.LoadUnsafe(ref p, (nuint)(i + 2 * w));
                var v3 = Vector512.LoadUnsafe(ref p, (nuint)(i + 3 * w));
                a0 += v0 - v0;
                a1 += v1 - v1;
                a2 += v2 - v2;
                a3 += v3 - v3;
            }
            for (; i <= n - w; i += w)
            {
                var v0 = Vector512.LoadUnsafe(ref p, (nuint)i);
                a0 += v0 - v0;
            }
            if (!Vector512.EqualsAll((a0 + a1) + (a2 + a3), Vector512<T>.Zero)) return false;
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> a0 = Vector256<T>.Zero, a1 = Vector256<T>.Zero;
            for (; i <= n - 2 * Vector256<T>.Count; i += 2 * Vector256<T>.Count)
            {
                var v0 = Vector256.LoadUnsafe(ref p, (nuint)i);
                var v1 = Vector256.LoadUnsafe(ref p, (nuint)(i + Vector256<T>.Count));
                a0 += v0 - v0;
                a1 += v1 - v1;
            }
            if (!Vector256.EqualsAll(a0 + a1, Vector256<T>.Zero)) return false;
        }
        for (; i < n; i++)
            if (!T.IsFinite(Unsafe.Add(ref p, i))) return false;
        return true;
    }

    /// <summary>
    /// Cross-entropy of one row of logits x against the target row y:
    /// Σ_j y_j ((m - x_j) + ln s) with m = max x and s = Σ_j e^(x_j - m), which is
    /// -Σ_j y_j ln softmax(x)_j computed without cancellation. <paramref name="scratch"/> holds
    /// x.Length values.
    /// </summary>
    public static T SoftmaxCrossEntropyRow<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T> =>
        SoftmaxCrossEntropyRowKept(x, y, scratch, out _);

    /// <summary>
    /// <see cref="SoftmaxCrossEntropyRow{T}"/>, leaving
    /// e^(x_j - m) in <paramref name="exp"/> and their sum s in <paramref name="sum"/>: the softmax
    /// is exp / s, which backward reuses.
    /// </summary>
    public static T SoftmaxCrossEntropyRowKept<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> exp, out T sum) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = exp;
        T m = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, m, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        sum = TensorPrimitives.Sum<T>(scratch);
        T logS = T.Log(sum);
        T loss = T.Zero;
        for (int j = 0; j < x.Length; j++)
            if (y[j] != T.Zero) loss += y[j] * ((m - x[j]) + logS);
        return loss;
    }

    /// <summary>
    /// Whether <see cref="TensorPrimitives.Exp{T}(ReadOnlySpan{T}, Span{T})"/> over a span of
    /// <paramref name="length"/> values gives each element the bits it gets in a longer span: for
    /// float32 from 4 values on, where every element goes through the vector kernel, whose 128-,
    /// 256- and 512-bit forms give the same bits (checked for every float32 from -0 to -infinity,
    /// the arguments x - max the softmax passes); shorter spans are computed one element at a time
    /// by the scalar function, which rounds differently (e^-0 is 1 there and 1.0000001 in the
    /// vector kernel). Not for float64, whose 256- and 512-bit kernels differ in the last bit.
    /// </summary>
    internal static bool RowExpSameAsWhole<T>(int length) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) && length >= 4 && Vector128.IsHardwareAccelerated;

    /// <summary>
    /// <see cref="SoftmaxCrossEntropyRowKept{T}"/> for <paramref name="rows"/> rows of
    /// <paramref name="cols"/> values at once, with the same bits: per row the maximum and the sum
    /// are the same calls on the same row, x - m is exact either way, and the exponentials of all
    /// rows are one call over the whole buffer, which gives each element the bits the per-row call
    /// gives it when <see cref="RowExpSameAsWhole{T}"/>(<paramref name="cols"/>) holds (the caller
    /// checks). Fills <paramref name="exp"/>, <paramref name="sums"/>, <paramref name="maxes"/> and one
    /// loss per row.
    /// </summary>
    internal static void SoftmaxCrossEntropyRowsKept<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, int rows, int cols, Span<T> exp, Span<T> sums, Span<T> maxes, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = rows * cols;
        if (x.Length < n || y.Length < n || exp.Length < n || sums.Length < rows || maxes.Length < rows || losses.Length < rows)
            throw new ArgumentException("x, y and exp must hold rows x cols values, sums, maxes and losses rows values");
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            T m = TensorPrimitives.Max(xr);
            maxes[r] = m;
            TensorPrimitives.Subtract(xr, m, exp.Slice(r * cols, cols));
        }
        TensorPrimitives.Exp(exp[..n], exp[..n]);
        for (int r = 0; r < rows; r++)
        {
            T sum = TensorPrimitives.Sum<T>(exp.Slice(r * cols, cols));
            sums[r] = sum;
            T logS = T.Log(sum), m = maxes[r], loss = T.Zero;
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            for (int j = 0; j < cols; j++)
                if (yr[j] != T.Zero) loss += yr[j] * ((m - xr[j]) + logS);
            losses[r] = loss;
        }
    }

    /// <summary>
    /// dx += g (softmax(x) Σ_j y_j - y) for one row: the gradient of
    /// <see cref="SoftmaxCrossEntropyRow{T}"/> scaled by g. <paramref name="scratch"/> holds x.Length values.
    /// </summary>
    public static void SoftmaxCrossEntropyRowBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, T g, Span<T> scratch, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T> =>
        SoftmaxCrossEntropyRowBackward(x, y, g, scratch, dx, overwrite: false);

    /// <summary>
    /// The same, with <paramref name="overwrite"/>: dx = 0 + g (softmax(x) Σ_j y_j - y) written
    /// over dx (the bits of accumulating into a cleared dx).
    /// </summary>
    public static void SoftmaxCrossEntropyRowBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, T g, Span<T> scratch, Span<T> dx, bool overwrite) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SoftmaxRows(x, 1, x.Length, scratch);
        T ySum = TensorPrimitives.Sum(y);
        if (overwrite)
            for (int j = 0; j < x.Length; j++) dx[j] = T.Zero + g * (scratch[j] * ySum - y[j]);
        else
            for (int j = 0; j < x.Length; j++) dx[j] += g * (scratch[j] * ySum - y[j]);
    }

    /// <summary>
    /// The same gradient from the forward pass's e^(x_j - m) (<paramref name="exp"/>) and their sum
    /// <paramref name="sum"/> (<see cref="SoftmaxCrossEntropyRowKept{T}"/>):
    /// softmax_j = exp_j / sum, the division <see cref="SoftmaxRows{T}"/> makes, so the bits are the same.
    /// </summary>
    public static void SoftmaxCrossEntropyRowBackwardKept<T>(ReadOnlySpan<T> exp, T sum, ReadOnlySpan<T> y, T g, Span<T> dx, bool overwrite) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T ySum = TensorPrimitives.Sum(y);
        int n = exp.Length;
        if (y.Length < n || dx.Length < n) throw new ArgumentException("y and dx must be as long as exp");
        if (overwrite)
            for (int j = 0; j < n; j++) dx[j] = T.Zero + g * (exp[j] / sum * ySum - y[j]);
        else
            for (int j = 0; j < n; j++) dx[j] += g * (exp[j] / sum * ySum - y[j]);
    }
}

/// <summary>
/// Element-wise passes over large buffers (the update, the L2 term's gradient, clears, fault
/// checks) split across the product's helper threads (<see cref="GemmParallel"/>). Each element
/// is computed exactly as <see cref="Vec"/>'s one-thread kernel computes it, whatever the split,
/// so the results are the same bits at any thread count; a buffer of fewer than
/// <see cref="MinPart"/> elements per thread runs on the calling thread alone.
/// </summary>
internal static unsafe class VecParallel
{
    /// <summary>The fewest elements worth handing to another thread (128 KB of float32).</summary>
    internal const int MinPart = 1 << 15;

    private enum Kind { AxpyAllFinite, Axpy, ScaleInto, Clear, AllFinite }

    private struct Job<T> where T : unmanaged
    {
        public Kind Kind;
        public T A;
        public T* X, Y;
        public int N;
        public int* Finite;
    }

    /// <summary>How many parts <paramref name="n"/> elements are split into on <paramref name="threads"/> threads.</summary>
    internal static int Parts(int n, int threads) => threads <= 1 ? 1 : Math.Clamp(n / MinPart, 1, threads);

    /// <summary>y += a x and whether every updated y is finite (<see cref="Vec.AxpyAllFinite{T}"/>).</summary>
    public static bool AxpyAllFinite<T>(T a, ReadOnlySpan<T> x, Span<T> y, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length, threads);
        if (parts == 1) return Vec.AxpyAllFinite(a, x, y);
        if (x.Length < y.Length) throw new ArgumentException("x must be at least as long as y");
        return Run(Kind.AxpyAllFinite, a, x, y, parts);
    }

    /// <summary>y += a x (<see cref="Vec.Axpy{T}"/>).</summary>
    public static void Axpy<T>(T a, ReadOnlySpan<T> x, Span<T> y, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length, threads);
        if (parts == 1) Vec.Axpy(a, x, y);
        else Run(Kind.Axpy, a, x[..y.Length], y, parts);
    }

    /// <summary>y = a x + 0 (<see cref="Vec.ScaleInto{T}"/>).</summary>
    public static void ScaleInto<T>(T a, ReadOnlySpan<T> x, Span<T> y, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length, threads);
        if (parts == 1) Vec.ScaleInto(a, x, y);
        else Run(Kind.ScaleInto, a, x[..y.Length], y, parts);
    }

    /// <summary>y = 0.</summary>
    public static void Clear<T>(Span<T> y, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length, threads);
        if (parts == 1) y.Clear();
        else Run(Kind.Clear, T.Zero, y, y, parts);
    }

    /// <summary>Whether every value is finite (<see cref="Vec.AllFinite{T}"/>).</summary>
    public static bool AllFinite<T>(Span<T> y, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = Parts(y.Length, threads);
        return parts == 1 ? Vec.AllFinite<T>(y) : Run(Kind.AllFinite, T.Zero, y, y, parts);
    }

    private static bool Run<T>(Kind kind, T a, ReadOnlySpan<T> x, Span<T> y, int parts) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int* finite = stackalloc int[parts];
        fixed (T* px = x, py = y)
        {
            var job = new Job<T> { Kind = kind, A = a, X = px, Y = py, N = y.Length, Finite = finite };
            GemmParallel.Run(parts, &Body<T>, &job);
        }
        for (int p = 0; p < parts; p++)
            if (finite[p] == 0) return false;
        return true;
    }

    private static void Body<T>(void* arg, int part, int parts) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref var job = ref Unsafe.AsRef<Job<T>>(arg);
        // Whole 64-element blocks per part (every vector width divides 64), the remainder in the last part.
        int per = (job.N / parts) & ~63, start = part * per, length = part == parts - 1 ? job.N - start : per;
        var y = new Span<T>(job.Y + start, length);
        var x = new ReadOnlySpan<T>(job.X + start, length);
        bool finite = true;
        switch (job.Kind)
        {
            case Kind.AxpyAllFinite: finite = Vec.AxpyAllFinite(job.A, x, y); break;
            case Kind.Axpy: Vec.Axpy(job.A, x, y); break;
            case Kind.ScaleInto: Vec.ScaleInto(job.A, x, y); break;
            case Kind.Clear: y.Clear(); break;
            case Kind.AllFinite: finite = Vec.AllFinite<T>(y); break;
        }
        job.Finite[part] = finite ? 1 : 0;
    }
}
