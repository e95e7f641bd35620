using System.Numerics;
using System.Runtime.CompilerServices;

namespace NetSpec.Runtime.Kernels;

/// <summary>Which kernel family computes a product. Chosen once per call from the whole problem.</summary>
internal enum GemmPath
{
    /// <summary>op(B) rows are contiguous: broadcast op(A) elements (any strides) against B row vectors, no packing.</summary>
    DirectRows,
    /// <summary>
    /// As <see cref="DirectRows"/>, one column strip of op(B) (all of k, 4 vectors wide) at a time, first copied into a
    /// contiguous reusable buffer (transposed when B is stored transposed). Each strip stays in cache while every row
    /// of A passes over it, and B is never transposed whole.
    /// </summary>
    PanelRows,
    /// <summary>
    /// At most <see cref="GemmKernels{T, TV, TOps}.NarrowMax"/> columns: one vector of rows of op(A) (packed k x lanes)
    /// against every column at once, so that all lanes do useful work and enough independent sums are in flight.
    /// </summary>
    Narrow,
    /// <summary>Cache-blocked: op(A) and op(B) packed into reusable per-thread buffers, 8-row register tiles (4-row on 16 registers).</summary>
    Packed,
}

/// <summary>
/// A product C = alpha * op(A) * op(B) + beta * C described by raw pointers and element strides:
/// op(A)[i,p] = A[i*RsA + p*CsA], op(B)[p,j] = B[p*RsB + j*CsB], C[i,j] = C[i*Ldc + j].
/// Lives on the caller's stack while helper threads read it.
/// </summary>
internal unsafe struct GemmProblem<T> where T : unmanaged
{
    public int M, N, K;
    public T* A;
    public nint RsA, CsA;
    public T* B;
    public nint RsB, CsB;
    public T* C;
    public nint Ldc;
    public T Alpha, Beta;
    public GemmPath Path;
    public bool SplitRows;
    public int SplitUnit;

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> of the side the problem is split along (rows when
    /// <see cref="SplitRows"/>, else columns): [start, end), in whole units of <see cref="SplitUnit"/>, empty past the end.
    /// </summary>
    public readonly (int Start, int End) PartRange(int part, int parts)
    {
        int total = SplitRows ? M : N;
        int units = (total + SplitUnit - 1) / SplitUnit;
        int start = (int)Math.Min((long)units * part / parts * SplitUnit, total);
        int end = (int)Math.Min((long)units * (part + 1) / parts * SplitUnit, total);
        return (start, end);
    }

    /// <summary>This problem restricted to rows (or columns) [<paramref name="start"/>, <paramref name="end"/>) of its split side.</summary>
    public readonly GemmProblem<T> Slice(int start, int end)
    {
        GemmProblem<T> p = this;
        if (p.SplitRows)
        {
            p.M = end - start;
            p.A += start * p.RsA;
            p.C += start * p.Ldc;
        }
        else
        {
            p.N = end - start;
            p.B += start * p.CsB;
            p.C += start;
        }
        return p;
    }
}

/// <summary>
/// Runs a product in <c>parts</c> fixed ranges of its split side (<see cref="GemmProblem{T}.PartRange"/>), each as its
/// own <see cref="GemmProblem{T}.Slice"/> handed to one kernel family's body: part 0 on the caller, the rest on
/// <see cref="GemmParallel"/>'s helpers. The one place where a product is divided between threads.
/// </summary>
internal static unsafe class GemmSplit<T> where T : unmanaged
{
    private struct Job
    {
        public GemmProblem<T>* Problem;
        public delegate*<in GemmProblem<T>, void> Body;
    }

    /// <summary>Runs <paramref name="body"/> over the whole problem, or over each of <paramref name="parts"/> slices of it.</summary>
    public static void Run(ref GemmProblem<T> problem, int parts, delegate*<in GemmProblem<T>, void> body)
    {
        if (parts <= 1)
        {
            body(in problem);
            return;
        }
        fixed (GemmProblem<T>* p = &problem)
        {
            Job job = new() { Problem = p, Body = body };
            GemmParallel.Run(parts, &RunPart, &job);
        }
    }

    private static void RunPart(void* arg, int part, int parts)
    {
        Job* job = (Job*)arg;
        var (start, end) = job->Problem->PartRange(part, parts);
        if (end > start)
        {
            GemmProblem<T> slice = job->Problem->Slice(start, end);
            job->Body(in slice);
        }
    }
}

/// <summary>Reusable pinned packing buffers, one set per thread, grown on first use and kept.</summary>
internal static class GemmPackBuffers<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? packA;
    [ThreadStatic] private static T[]? packB;

    public static T[] A(int length) => packA is { } a && a.Length >= length ? a : packA = GC.AllocateUninitializedArray<T>(length, pinned: true);
    public static T[] B(int length) => packB is { } b && b.Length >= length ? b : packB = GC.AllocateUninitializedArray<T>(length, pinned: true);
}

/// <summary>
/// The kernels, written once and specialised by the JIT per element type and vector width.
/// Every kernel computes each element of C as a chain of fused multiply-adds in increasing k
/// (per k-block for <see cref="GemmPath.Packed"/>), independent of where the element sits in a
/// tile, so splitting the output between threads never changes the result.
/// The products <see cref="Gemm.SplitOrder"/> selects (A not transposed, B stored transposed, long k with few
/// rows or few columns, or one row) go to <see cref="GemmDot{T, TW, TWOps}"/> instead, which sums each element in
/// a fixed split-k order (64 bytes of partial sums over interleaved k, then a halving tree), also a function of the
/// shape only.
/// </summary>
internal static unsafe class GemmKernels<T, TV, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TV : struct
    where TOps : IGemmVectorOps<T, TV>
{
    private const int PackMr = 8;

    // Packed-path blocking. k blocks of at most Kc (this fixes where each element's chain of fused multiply-adds is
    // split, so it decides the bits: keep it). For each k block an up to McMax-row block of op(A) is packed once (it
    // may live in L3); a kc x nc block of op(B) of at most PackedBBytes stays in L2; the 8 x kc A micro-panel of the
    // register tile stays in L1 while every B micro-panel of the block streams past it from L2.
    private static int Kc => Gemm.PackedKBlock;
    private const int McMax = 1024;
    private const int PackedBBytes = 448 * 1024;

    // Packed B panels are 3 vectors wide (2 where 3 would leave one vector or none, see TileWidth); the register tile
    // is all 8 rows of an A panel by a B panel where 32 vector registers allow (512-bit). On 16 registers the packed
    // path has its own blocking and 6 x 2-vector tile (see Packed6x2).

    // Whether the register tiles may use 32 vector registers. The 256-bit kernels are the ones of processors without
    // AVX-512 (elsewhere they run only when asked for), which have 16: there the widest tiles would spill
    // accumulators to the stack inside the k loop, so they are computed as narrower tiles. The tile never changes a
    // bit of the result: every element is the same chain of fused multiply-adds in increasing k.
    private static bool ManyRegisters => Unsafe.SizeOf<TV>() == 64;

    // ---------------------------------------------------------------- entry

    /// <summary>Runs the product, split into <paramref name="parts"/> fixed ranges.</summary>
    public static void Run(ref GemmProblem<T> problem, int parts) => GemmSplit<T>.Run(ref problem, parts, &RunSlice);

    private static void RunSlice(in GemmProblem<T> p)
    {
        switch (p.Path)
        {
            case GemmPath.DirectRows:
                DirectRows(in p);
                break;
            case GemmPath.PanelRows:
                PanelRows(in p);
                break;
            case GemmPath.Narrow:
                Narrow(in p);
                break;
            default:
                Packed(in p);
                break;
        }
    }

    // ---------------------------------------------------------------- shared epilogue

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(T* c, TV acc, TV alpha, TV beta, bool betaZero)
    {
        TV r = TOps.Mul(acc, alpha);
        TOps.Store(c, betaZero ? r : TOps.Fma(beta, TOps.Load(c), r));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutMasked(T* c, TV mask, TV acc, TV alpha, TV beta, bool betaZero)
    {
        TV r = TOps.Mul(acc, alpha);
        TOps.StoreMasked(c, mask, betaZero ? r : TOps.Fma(beta, TOps.LoadMasked(c, mask), r));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutScalar(T* c, T acc, T alpha, T beta, bool betaZero)
    {
        T r = alpha * acc;
        *c = betaZero ? r : T.FusedMultiplyAdd(beta, *c, r);
    }

    // ---------------------------------------------------------------- direct rows (op(B) rows contiguous)

    [MethodImpl(HotLoop.Options)]
    private static void DirectRows(in GemmProblem<T> p)
    {
        int w = TOps.Count;
        int m = p.M, n = p.N, k = p.K;
        TV alpha = TOps.Broadcast(p.Alpha), beta = TOps.Broadcast(p.Beta);
        bool betaZero = T.IsZero(p.Beta);
        nint rsA = p.RsA, csA = p.CsA, ldb = p.RsB, ldc = p.Ldc;
        if (k == 1)
        {
            Outer(m, n, p.A, rsA, p.B, p.C, ldc, alpha, beta, betaZero);
            return;
        }

        int j = 0;
        int fullRows = m / 4 * 4;
        if (ManyRegisters)
        {
            for (; j + 4 * w <= n; j += 4 * w)
            {
                for (int i = 0; i < fullRows; i += 4)
                {
                    Rows4x4(k, p.A + i * rsA, rsA, csA, p.B + j, ldb, p.C + i * ldc + j, ldc, alpha, beta, betaZero);
                }
            }
        }
        else
        {
            // 16 registers: the 4 x 4 tile (16 accumulators and 4 row vectors) would spill; 4 x 3 tiles (12 and 3) fit,
            // and 4 x 2 ones where 2 or 4 whole vectors are left, so that no 1-vector tile (4 chains, half the
            // multiply-add rate) is left while 2 or more are. A partial vector goes, as below, a vector at a time.
            while (j + 2 * w <= n)
            {
                int vectors = (n - j) / w;
                if (vectors is 2 or 4)
                {
                    for (int i = 0; i < fullRows; i += 4)
                    {
                        Rows4x2(k, p.A + i * rsA, rsA, csA, p.B + j, ldb, p.C + i * ldc + j, ldc, alpha, beta, betaZero);
                    }
                    j += 2 * w;
                }
                else
                {
                    for (int i = 0; i < fullRows; i += 4)
                    {
                        Rows4x3(k, p.A + i * rsA, rsA, csA, p.B + j, ldb, p.C + i * ldc + j, ldc, alpha, beta, betaZero);
                    }
                    j += 3 * w;
                }
            }
        }
        if (fullRows < m)
        {
            // The last m % 4 rows, 8 vectors at a time: 8 independent chains keep the multiply-adds busy even for short k.
            int j8 = 0;
            for (; j8 + 8 * w <= j; j8 += 8 * w)
            {
                for (int i = fullRows; i < m; i++)
                {
                    Rows1x8(k, p.A + i * rsA, csA, p.B + j8, ldb, p.C + i * ldc + j8, alpha, beta, betaZero);
                }
            }
            if (!ManyRegisters)
            {
                // The 6-vector strips of the column-strip path: one call of 6 chains per row, not 4 and then 1 and 1.
                for (; j8 + 6 * w <= j; j8 += 6 * w)
                {
                    for (int i = fullRows; i < m; i++)
                    {
                        Rows1x6(k, p.A + i * rsA, csA, p.B + j8, 3 * w, ldb, p.C + i * ldc + j8, alpha, beta, betaZero);
                    }
                }
            }
            for (; j8 + 4 * w <= j; j8 += 4 * w)
            {
                for (int i = fullRows; i < m; i++)
                {
                    Rows1x4(k, p.A + i * rsA, csA, p.B + j8, ldb, p.C + i * ldc + j8, alpha, beta, betaZero);
                }
            }
            for (; j8 < j; j8 += w)
            {
                // Whole vectors (j is a multiple of the vector width).
                for (int i = fullRows; i < m; i++)
                {
                    Rows1x1(k, p.A + i * rsA, csA, p.B + j8, ldb, p.C + i * ldc + j8, alpha, beta, betaZero, true, default);
                }
            }
        }
        for (; j < n; j += w)
        {
            TV mask = TOps.FirstLanes(Math.Min(w, n - j));
            bool full = j + w <= n;
            int i = 0;
            for (; i + 4 <= m; i += 4)
            {
                Rows4x1(k, p.A + i * rsA, rsA, csA, p.B + j, ldb, p.C + i * ldc + j, ldc, alpha, beta, betaZero, full, mask);
            }
            for (; i < m; i++)
            {
                Rows1x1(k, p.A + i * rsA, csA, p.B + j, ldb, p.C + i * ldc + j, alpha, beta, betaZero, full, mask);
            }
        }
    }

    /// <summary>
    /// k = 1: C[i, j] = alpha * fma(a[i], b[j], +0) (the one-step chain), then beta as in <see cref="Put"/>; row by row,
    /// one multiply-add, one multiply and one store per vector.
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static void Outer(int m, int n, T* a, nint rsA, T* b, T* c, nint ldc, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        int full = n / w * w;
        TV tailMask = TOps.FirstLanes(n - full);
        for (int i = 0; i < m; i++)
        {
            TV x = TOps.Broadcast(a[i * rsA]);
            T* ci = c + i * ldc;
            int j = 0;
            if (betaZero && n >= w)
            {
                // C is only written: one unaligned first and last vector, whole aligned vectors between (no store
                // splits a cache line); the overlaps are written twice with the same values.
                Put(ci, TOps.Fma(x, TOps.Load(b), TOps.Zero), alpha, beta, true);
                j = (int)(((nuint)(-(nint)ci) & (nuint)(w * Unsafe.SizeOf<T>() - 1)) / (nuint)Unsafe.SizeOf<T>());
                for (; j + w <= n; j += w)
                {
                    Put(ci + j, TOps.Fma(x, TOps.Load(b + j), TOps.Zero), alpha, beta, true);
                }
                if (j < n)
                {
                    Put(ci + n - w, TOps.Fma(x, TOps.Load(b + n - w), TOps.Zero), alpha, beta, true);
                }
                continue;
            }
            for (; j < full; j += w)
            {
                Put(ci + j, TOps.Fma(x, TOps.Load(b + j), TOps.Zero), alpha, beta, betaZero);
            }
            if (j < n)
            {
                PutMasked(ci + j, tailMask, TOps.Fma(x, TOps.LoadMasked(b + j, tailMask), TOps.Zero), alpha, beta, betaZero);
            }
        }
    }

    [MethodImpl(HotLoop.Options)]
    private static void Rows4x4(int k, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TV c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TV c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        T* a0 = a, a1 = a + rsA, a2 = a + 2 * rsA, a3 = a + 3 * rsA;
        for (int q = 0; q < k; q++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w), b2 = TOps.Load(b + 2 * w), b3 = TOps.Load(b + 3 * w);
            TV x = TOps.Broadcast(*a0);
            c00 = TOps.Fma(x, b0, c00); c01 = TOps.Fma(x, b1, c01); c02 = TOps.Fma(x, b2, c02); c03 = TOps.Fma(x, b3, c03);
            x = TOps.Broadcast(*a1);
            c10 = TOps.Fma(x, b0, c10); c11 = TOps.Fma(x, b1, c11); c12 = TOps.Fma(x, b2, c12); c13 = TOps.Fma(x, b3, c13);
            x = TOps.Broadcast(*a2);
            c20 = TOps.Fma(x, b0, c20); c21 = TOps.Fma(x, b1, c21); c22 = TOps.Fma(x, b2, c22); c23 = TOps.Fma(x, b3, c23);
            x = TOps.Broadcast(*a3);
            c30 = TOps.Fma(x, b0, c30); c31 = TOps.Fma(x, b1, c31); c32 = TOps.Fma(x, b2, c32); c33 = TOps.Fma(x, b3, c33);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
            b += ldb;
        }
        Put(c, c00, alpha, beta, betaZero); Put(c + w, c01, alpha, beta, betaZero); Put(c + 2 * w, c02, alpha, beta, betaZero); Put(c + 3 * w, c03, alpha, beta, betaZero);
        c += ldc;
        Put(c, c10, alpha, beta, betaZero); Put(c + w, c11, alpha, beta, betaZero); Put(c + 2 * w, c12, alpha, beta, betaZero); Put(c + 3 * w, c13, alpha, beta, betaZero);
        c += ldc;
        Put(c, c20, alpha, beta, betaZero); Put(c + w, c21, alpha, beta, betaZero); Put(c + 2 * w, c22, alpha, beta, betaZero); Put(c + 3 * w, c23, alpha, beta, betaZero);
        c += ldc;
        Put(c, c30, alpha, beta, betaZero); Put(c + w, c31, alpha, beta, betaZero); Put(c + 2 * w, c32, alpha, beta, betaZero); Put(c + 3 * w, c33, alpha, beta, betaZero);
    }

    /// <summary>Rows4x4's tile three vectors wide (12 accumulators and 3 row vectors): for 16 vector registers.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Rows4x3(int k, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        T* a0 = a, a1 = a + rsA, a2 = a + 2 * rsA, a3 = a + 3 * rsA;
        for (int q = 0; q < k; q++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w), b2 = TOps.Load(b + 2 * w);
            TV x = TOps.Broadcast(*a0);
            c00 = TOps.Fma(x, b0, c00); c01 = TOps.Fma(x, b1, c01); c02 = TOps.Fma(x, b2, c02);
            x = TOps.Broadcast(*a1);
            c10 = TOps.Fma(x, b0, c10); c11 = TOps.Fma(x, b1, c11); c12 = TOps.Fma(x, b2, c12);
            x = TOps.Broadcast(*a2);
            c20 = TOps.Fma(x, b0, c20); c21 = TOps.Fma(x, b1, c21); c22 = TOps.Fma(x, b2, c22);
            x = TOps.Broadcast(*a3);
            c30 = TOps.Fma(x, b0, c30); c31 = TOps.Fma(x, b1, c31); c32 = TOps.Fma(x, b2, c32);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
            b += ldb;
        }
        Put(c, c00, alpha, beta, betaZero); Put(c + w, c01, alpha, beta, betaZero); Put(c + 2 * w, c02, alpha, beta, betaZero);
        c += ldc;
        Put(c, c10, alpha, beta, betaZero); Put(c + w, c11, alpha, beta, betaZero); Put(c + 2 * w, c12, alpha, beta, betaZero);
        c += ldc;
        Put(c, c20, alpha, beta, betaZero); Put(c + w, c21, alpha, beta, betaZero); Put(c + 2 * w, c22, alpha, beta, betaZero);
        c += ldc;
        Put(c, c30, alpha, beta, betaZero); Put(c + w, c31, alpha, beta, betaZero); Put(c + 2 * w, c32, alpha, beta, betaZero);
    }

    /// <summary>Rows4x4's tile two vectors wide (8 accumulators): for 16 vector registers.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Rows4x2(int k, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        T* a0 = a, a1 = a + rsA, a2 = a + 2 * rsA, a3 = a + 3 * rsA;
        for (int q = 0; q < k; q++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Broadcast(*a0);
            c00 = TOps.Fma(x, b0, c00); c01 = TOps.Fma(x, b1, c01);
            x = TOps.Broadcast(*a1);
            c10 = TOps.Fma(x, b0, c10); c11 = TOps.Fma(x, b1, c11);
            x = TOps.Broadcast(*a2);
            c20 = TOps.Fma(x, b0, c20); c21 = TOps.Fma(x, b1, c21);
            x = TOps.Broadcast(*a3);
            c30 = TOps.Fma(x, b0, c30); c31 = TOps.Fma(x, b1, c31);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
            b += ldb;
        }
        Put(c, c00, alpha, beta, betaZero); Put(c + w, c01, alpha, beta, betaZero);
        c += ldc;
        Put(c, c10, alpha, beta, betaZero); Put(c + w, c11, alpha, beta, betaZero);
        c += ldc;
        Put(c, c20, alpha, beta, betaZero); Put(c + w, c21, alpha, beta, betaZero);
        c += ldc;
        Put(c, c30, alpha, beta, betaZero); Put(c + w, c31, alpha, beta, betaZero);
    }

    [MethodImpl(HotLoop.Options)]
    private static void Rows1x4(int k, T* a, nint csA, T* b, nint ldb, T* c, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        for (int q = 0; q < k; q++)
        {
            TV x = TOps.Broadcast(*a);
            c0 = TOps.Fma(x, TOps.Load(b), c0);
            c1 = TOps.Fma(x, TOps.Load(b + w), c1);
            c2 = TOps.Fma(x, TOps.Load(b + 2 * w), c2);
            c3 = TOps.Fma(x, TOps.Load(b + 3 * w), c3);
            a += csA;
            b += ldb;
        }
        Put(c, c0, alpha, beta, betaZero); Put(c + w, c1, alpha, beta, betaZero); Put(c + 2 * w, c2, alpha, beta, betaZero); Put(c + 3 * w, c3, alpha, beta, betaZero);
    }

    /// <summary>One row by 6 vectors; the last 3 vectors of each row of B start <paramref name="second"/> elements after the first (3 vectors for a plain row, more for two packed panels).</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Rows1x6(int k, T* a, nint csA, T* b, nint second, nint ldb, T* c, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero;
        T* b2 = b + second;
        for (int q = 0; q < k; q++)
        {
            TV x = TOps.Broadcast(*a);
            c0 = TOps.Fma(x, TOps.Load(b), c0);
            c1 = TOps.Fma(x, TOps.Load(b + w), c1);
            c2 = TOps.Fma(x, TOps.Load(b + 2 * w), c2);
            c3 = TOps.Fma(x, TOps.Load(b2), c3);
            c4 = TOps.Fma(x, TOps.Load(b2 + w), c4);
            c5 = TOps.Fma(x, TOps.Load(b2 + 2 * w), c5);
            a += csA;
            b += ldb;
            b2 += ldb;
        }
        Put(c, c0, alpha, beta, betaZero); Put(c + w, c1, alpha, beta, betaZero); Put(c + 2 * w, c2, alpha, beta, betaZero);
        Put(c + 3 * w, c3, alpha, beta, betaZero); Put(c + 4 * w, c4, alpha, beta, betaZero); Put(c + 5 * w, c5, alpha, beta, betaZero);
    }

    [MethodImpl(HotLoop.Options)]
    private static void Rows1x8(int k, T* a, nint csA, T* b, nint ldb, T* c, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int q = 0; q < k; q++)
        {
            TV x = TOps.Broadcast(*a);
            c0 = TOps.Fma(x, TOps.Load(b), c0);
            c1 = TOps.Fma(x, TOps.Load(b + w), c1);
            c2 = TOps.Fma(x, TOps.Load(b + 2 * w), c2);
            c3 = TOps.Fma(x, TOps.Load(b + 3 * w), c3);
            c4 = TOps.Fma(x, TOps.Load(b + 4 * w), c4);
            c5 = TOps.Fma(x, TOps.Load(b + 5 * w), c5);
            c6 = TOps.Fma(x, TOps.Load(b + 6 * w), c6);
            c7 = TOps.Fma(x, TOps.Load(b + 7 * w), c7);
            a += csA;
            b += ldb;
        }
        Put(c, c0, alpha, beta, betaZero); Put(c + w, c1, alpha, beta, betaZero); Put(c + 2 * w, c2, alpha, beta, betaZero); Put(c + 3 * w, c3, alpha, beta, betaZero);
        Put(c + 4 * w, c4, alpha, beta, betaZero); Put(c + 5 * w, c5, alpha, beta, betaZero); Put(c + 6 * w, c6, alpha, beta, betaZero); Put(c + 7 * w, c7, alpha, beta, betaZero);
    }

    [MethodImpl(HotLoop.Options)]
    private static void Rows4x1(int k, T* a, nint rsA, nint csA, T* b, nint ldb, T* c, nint ldc, TV alpha, TV beta, bool betaZero, bool full, TV mask)
    {
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        T* a0 = a, a1 = a + rsA, a2 = a + 2 * rsA, a3 = a + 3 * rsA;
        for (int q = 0; q < k; q++)
        {
            TV bv = full ? TOps.Load(b) : TOps.LoadMasked(b, mask);
            c0 = TOps.Fma(TOps.Broadcast(*a0), bv, c0);
            c1 = TOps.Fma(TOps.Broadcast(*a1), bv, c1);
            c2 = TOps.Fma(TOps.Broadcast(*a2), bv, c2);
            c3 = TOps.Fma(TOps.Broadcast(*a3), bv, c3);
            a0 += csA; a1 += csA; a2 += csA; a3 += csA;
            b += ldb;
        }
        if (full)
        {
            Put(c, c0, alpha, beta, betaZero); Put(c + ldc, c1, alpha, beta, betaZero);
            Put(c + 2 * ldc, c2, alpha, beta, betaZero); Put(c + 3 * ldc, c3, alpha, beta, betaZero);
        }
        else
        {
            PutMasked(c, mask, c0, alpha, beta, betaZero); PutMasked(c + ldc, mask, c1, alpha, beta, betaZero);
            PutMasked(c + 2 * ldc, mask, c2, alpha, beta, betaZero); PutMasked(c + 3 * ldc, mask, c3, alpha, beta, betaZero);
        }
    }

    [MethodImpl(HotLoop.Options)]
    private static void Rows1x1(int k, T* a, nint csA, T* b, nint ldb, T* c, TV alpha, TV beta, bool betaZero, bool full, TV mask)
    {
        TV c0 = TOps.Zero;
        for (int q = 0; q < k; q++)
        {
            TV bv = full ? TOps.Load(b) : TOps.LoadMasked(b, mask);
            c0 = TOps.Fma(TOps.Broadcast(*a), bv, c0);
            a += csA;
            b += ldb;
        }
        if (full)
        {
            Put(c, c0, alpha, beta, betaZero);
        }
        else
        {
            PutMasked(c, mask, c0, alpha, beta, betaZero);
        }
    }

    // ---------------------------------------------------------------- panel rows (op(B) copied one column strip at a time)

    /// <summary>Columns per strip of <see cref="GemmPath.PanelRows"/>: one 4 x 4 row tile, or two 4 x 3 ones on 16 registers.</summary>
    public static int PanelWidth => (ManyRegisters ? 4 : 6) * TOps.Count;

    [MethodImpl(HotLoop.Options)]
    private static void PanelRows(in GemmProblem<T> p)
    {
        int w = TOps.Count, sw = PanelWidth;
        int n = p.N, k = p.K;
        T[] buffer = GemmPackBuffers<T>.B(sw * k);
        fixed (T* t = buffer)
        {
            for (int j = 0; j < n; j += sw)
            {
                int cols = Math.Min(sw, n - j);
                int ldt = RoundUp(cols, w);
                T* b = p.B + j * p.CsB;
                if (!ManyRegisters && cols == sw && k > 1)
                {
                    TwoPanels(in p, j, b, t);
                    continue;
                }
                if (p.CsB == 1)
                {
                    // Rows of op(B) are contiguous: copy the strip's part of each.
                    nint bytes = cols * Unsafe.SizeOf<T>();
                    for (int q = 0; q < k; q++)
                    {
                        Unsafe.CopyBlockUnaligned(t + q * ldt, b + q * p.RsB, (uint)bytes);
                    }
                }
                else
                {
                    TransposeB(k, cols, b, p.RsB, p.CsB, t, ldt);
                }
                GemmProblem<T> strip = p;
                strip.N = cols;
                strip.B = t;
                strip.RsB = ldt;
                strip.CsB = 1;
                strip.C = p.C + j;
                DirectRows(in strip);
            }
        }
    }

    /// <summary>
    /// A whole strip on 16 registers: copied as two 3-vector panels, each k x 3 vectors, so each row tile streams one
    /// contiguous panel (a row of the 6-vector strip would put half a tile's row in one cache line and half in the
    /// next). The kernels are the direct rows' own (the same chains), only the layout of the copy differs. Contiguous
    /// rows are copied in one pass for both panels: PackB's panel-by-panel passes read each row's middle line twice
    /// (32x1024x1024 NN 0.79-0.85x OpenBLAS that way, 0.87-1.00x in one pass).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static void TwoPanels(in GemmProblem<T> p, int j, T* b, T* t)
    {
        int w = TOps.Count, pw = 3 * w;
        int m = p.M, k = p.K;
        T* t1 = t + k * pw;
        if (p.CsB == 1)
        {
            T* s = b;
            for (int q = 0; q < k; q++)
            {
                TOps.Store(t + q * pw, TOps.Load(s));
                TOps.Store(t + q * pw + w, TOps.Load(s + w));
                TOps.Store(t + q * pw + 2 * w, TOps.Load(s + 2 * w));
                TOps.Store(t1 + q * pw, TOps.Load(s + pw));
                TOps.Store(t1 + q * pw + w, TOps.Load(s + pw + w));
                TOps.Store(t1 + q * pw + 2 * w, TOps.Load(s + pw + 2 * w));
                s += p.RsB;
            }
        }
        else
        {
            TransposeB(k, pw, b, p.RsB, p.CsB, t, pw);
            TransposeB(k, pw, b + pw * p.CsB, p.RsB, p.CsB, t1, pw);
        }
        TV alpha = TOps.Broadcast(p.Alpha), beta = TOps.Broadcast(p.Beta);
        bool betaZero = T.IsZero(p.Beta);
        nint rsA = p.RsA, csA = p.CsA, ldc = p.Ldc;
        T* c = p.C + j;
        int fullRows = m / 4 * 4;
        for (int i = 0; i < fullRows; i += 4)
        {
            Rows4x3(k, p.A + i * rsA, rsA, csA, t, pw, c + i * ldc, ldc, alpha, beta, betaZero);
        }
        for (int i = 0; i < fullRows; i += 4)
        {
            Rows4x3(k, p.A + i * rsA, rsA, csA, t1, pw, c + i * ldc + pw, ldc, alpha, beta, betaZero);
        }
        for (int i = fullRows; i < m; i++)
        {
            Rows1x6(k, p.A + i * rsA, csA, t, k * pw, pw, c + i * ldc, alpha, beta, betaZero);
        }
    }

    // ---------------------------------------------------------------- narrow (few columns)

    /// <summary>Most columns the <see cref="GemmPath.Narrow"/> kernel computes at once (its register tile is one vector of rows by this many columns).</summary>
    public const int NarrowMax = 12;

    [MethodImpl(HotLoop.Options)]
    private static void Narrow(in GemmProblem<T> p)
    {
        int w = TOps.Count;
        int m = p.M, n = p.N, k = p.K;
        T[] bufB = GemmPackBuffers<T>.B(NarrowMax * k);
        T[] bufA = GemmPackBuffers<T>.A(w * k);
        T alpha = p.Alpha, beta = p.Beta;
        bool betaZero = T.IsZero(beta);
        TV alphaV = TOps.Broadcast(alpha), betaV = TOps.Broadcast(beta);
        T* tile = stackalloc T[NarrowMax * 16];
        T* rowsTile = stackalloc T[16 * 16];
        fixed (T* pb = bufB, pa = bufA)
        {
            // op(B) as k x NarrowMax, the columns past n zero.
            if (n < NarrowMax)
            {
                new Span<T>(pb, NarrowMax * k).Clear();
            }
            if (p.CsB == 1)
            {
                nint bytes = n * Unsafe.SizeOf<T>();
                for (int q = 0; q < k; q++)
                {
                    Unsafe.CopyBlockUnaligned(pb + q * NarrowMax, p.B + q * p.RsB, (uint)bytes);
                }
            }
            else
            {
                TransposeB(k, n, p.B, p.RsB, p.CsB, pb, NarrowMax);
            }
            bool vectorStore = GemmTranspose.Supported<T>();
            for (int i = 0; i < m; i += w)
            {
                int rows = Math.Min(w, m - i);
                PackRows(rows, k, p.A + i * p.RsA, p.RsA, p.CsA, pa);
                // Only as many columns as the product has (rounded up to 4, 8, 10 or 12): no multiply-adds on padding.
                if (n <= 4)
                {
                    NarrowTile<NarrowCols4>(k, pa, pb, tile);
                }
                else if (n <= 8)
                {
                    NarrowTile<NarrowCols8>(k, pa, pb, tile);
                }
                else if (n <= 10)
                {
                    NarrowTile<NarrowCols10>(k, pa, pb, tile);
                }
                else
                {
                    NarrowTile<NarrowCols12>(k, pa, pb, tile);
                }
                T* c = p.C + i * p.Ldc;
                if (vectorStore)
                {
                    // The tile holds columns of C; turn it into rows and store each with masked vectors.
                    GemmTranspose.Run(n, rows, tile, w, rowsTile, 16);
                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < n; j += w)
                        {
                            PutMasked(c + j, TOps.FirstLanes(Math.Min(w, n - j)), TOps.Load(rowsTile + r * 16 + j), alphaV, betaV, betaZero);
                        }
                        c += p.Ldc;
                    }
                    continue;
                }
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        PutScalar(c + j, tile[j * w + r], alpha, beta, betaZero);
                    }
                    c += p.Ldc;
                }
            }
        }
    }

    /// <summary>dst[q*w + r] = op(A)[r, q] for r &lt; rows (zero for the rows past them), q &lt; k.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void PackRows(int rows, int k, T* a, nint rsA, nint csA, T* dst)
    {
        int w = TOps.Count;
        if (rsA == 1)
        {
            // Stored A is k x m: each k index is a contiguous run of rows.
            TV mask = TOps.FirstLanes(rows);
            bool full = rows == w;
            for (int q = 0; q < k; q++)
            {
                TOps.Store(dst + q * w, full ? TOps.Load(a + q * csA) : TOps.LoadMasked(a + q * csA, mask));
            }
            return;
        }
        if (rows < w)
        {
            new Span<T>(dst, w * k).Clear();
        }
        if (csA == 1 && GemmTranspose.Supported<T>())
        {
            GemmTranspose.Run(rows, k, a, rsA, dst, w);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            T* s = a + r * rsA;
            for (int q = 0; q < k; q++)
            {
                dst[q * w + r] = s[q * csA];
            }
        }
    }

    /// <summary>
    /// tile[j*w + r] = sum over q of a[q*w + r] * b[q*NarrowMax + j] for j &lt; TCols.Value, one fused multiply-add per q
    /// in increasing q (the columns past TCols.Value are not written).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static void NarrowTile<TCols>(int k, T* a, T* b, T* tile) where TCols : struct, INarrowCols
    {
        int w = TOps.Count, cols = TCols.Value;
        TV c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero;
        TV c6 = TOps.Zero, c7 = TOps.Zero, c8 = TOps.Zero, c9 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        for (int q = 0; q < k; q++)
        {
            TV x = TOps.Load(a);
            c0 = TOps.Fma(x, TOps.Broadcast(b[0]), c0);
            c1 = TOps.Fma(x, TOps.Broadcast(b[1]), c1);
            c2 = TOps.Fma(x, TOps.Broadcast(b[2]), c2);
            c3 = TOps.Fma(x, TOps.Broadcast(b[3]), c3);
            if (cols > 4)
            {
                c4 = TOps.Fma(x, TOps.Broadcast(b[4]), c4);
                c5 = TOps.Fma(x, TOps.Broadcast(b[5]), c5);
                c6 = TOps.Fma(x, TOps.Broadcast(b[6]), c6);
                c7 = TOps.Fma(x, TOps.Broadcast(b[7]), c7);
            }
            if (cols > 8)
            {
                c8 = TOps.Fma(x, TOps.Broadcast(b[8]), c8);
                c9 = TOps.Fma(x, TOps.Broadcast(b[9]), c9);
            }
            if (cols > 10)
            {
                c10 = TOps.Fma(x, TOps.Broadcast(b[10]), c10);
                c11 = TOps.Fma(x, TOps.Broadcast(b[11]), c11);
            }
            a += w;
            b += NarrowMax;
        }
        TOps.Store(tile, c0); TOps.Store(tile + w, c1); TOps.Store(tile + 2 * w, c2); TOps.Store(tile + 3 * w, c3);
        if (cols > 4)
        {
            TOps.Store(tile + 4 * w, c4); TOps.Store(tile + 5 * w, c5); TOps.Store(tile + 6 * w, c6); TOps.Store(tile + 7 * w, c7);
        }
        if (cols > 8)
        {
            TOps.Store(tile + 8 * w, c8); TOps.Store(tile + 9 * w, c9);
        }
        if (cols > 10)
        {
            TOps.Store(tile + 10 * w, c10); TOps.Store(tile + 11 * w, c11);
        }
    }

    /// <summary>dst[q*ldt + j] = op(B)[q, j] for a k x n op(B) stored transposed (walks the stored rows contiguously).</summary>
    [MethodImpl(HotLoop.Options)]
    private static void TransposeB(int k, int n, T* b, nint rsB, nint csB, T* dst, nint ldt)
    {
        int w = TOps.Count;
        int j = 0;
        if (rsB == 1 && GemmTranspose.Supported<T>())
        {
            // Stored B is n x k with row stride csB: a plain transpose into k x n.
            GemmTranspose.Run(n, k, b, csB, dst, ldt);
            return;
        }
        if (rsB == 1 && csB <= int.MaxValue / w)
        {
            // Stored rows of B are op(B) columns: gather w of them at a time, one k index per vector.
            for (; j + w <= n; j += w)
            {
                T* s = b + j * csB;
                T* d = dst + j;
                for (int q = 0; q < k; q++)
                {
                    TOps.Store(d, TOps.GatherStrided(s + q, (int)csB));
                    d += ldt;
                }
            }
        }
        for (; j < n; j++)
        {
            T* s = b + j * csB;
            T* d = dst + j;
            for (int q = 0; q < k; q++)
            {
                *d = *s;
                s += rsB;
                d += ldt;
            }
        }
    }

    // ---------------------------------------------------------------- packed, cache-blocked

    [MethodImpl(HotLoop.Options)]
    private static void Packed(in GemmProblem<T> p)
    {
        if (!ManyRegisters)
        {
            Packed6x2(in p);
            return;
        }
        int m = p.M, n = p.N, k = p.K;
        int w = TOps.Count;
        int kcMax = KBlock(k);
        int mcMax = BlockSize(m, McMax, PackMr);
        // Column blocks: as many as the L2 budget needs, of equal width rounded up to whole register tiles.
        int tileCols = 3 * w;
        int ncBudget = Math.Max(PackedBBytes / (kcMax * Unsafe.SizeOf<T>()) / tileCols * tileCols, tileCols);
        int ncMax = Math.Min(BlockSize(n, ncBudget, tileCols), RoundUp(n, w));
        T[] bufA = GemmPackBuffers<T>.A(mcMax * kcMax);
        T[] bufB = GemmPackBuffers<T>.B((ncMax + 2 * w) * kcMax);
        TV alpha = TOps.Broadcast(p.Alpha);
        TV one = TOps.Broadcast(T.One);
        TV betaV = TOps.Broadcast(p.Beta);
        bool betaZero = T.IsZero(p.Beta);
        T* tile = stackalloc T[PackMr * 3 * 16];

        fixed (T* pa = bufA, pb = bufB)
        {
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                bool first = pc == 0;
                TV beta = first ? betaV : one;
                bool zero = first && betaZero;
                for (int ic = 0; ic < m; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m - ic);
                    PackA(mc, kc, p.A + ic * p.RsA + pc * p.CsA, p.RsA, p.CsA, pa);
                    for (int jc = 0; jc < n; jc += ncMax)
                    {
                        int nc = Math.Min(ncMax, n - jc);
                        PackB(kc, nc, p.B + pc * p.RsB + jc * p.CsB, p.RsB, p.CsB, pb);
                        for (int ir = 0; ir < mc; ir += PackMr)
                        {
                            int mrr = Math.Min(PackMr, mc - ir);
                            T* ap = pa + ir * kc;
                            T* cp = p.C + (ic + ir) * p.Ldc + jc;
                            for (int jr = 0; jr < nc;)
                            {
                                int width = TileWidth(nc - jr);
                                int nrr = Math.Min(width, nc - jr);
                                if (width == 3 * w)
                                {
                                    Micro8x3(kc, ap, pb + jr * kc, cp + jr, p.Ldc, alpha, beta, zero, mrr, nrr, tile);
                                }
                                else
                                {
                                    Micro8x2(kc, ap, pb + jr * kc, cp + jr, p.Ldc, alpha, beta, zero, mrr, nrr, tile);
                                }
                                jr += width;
                            }
                        }
                    }
                }
            }
        }
    }

    // The packed path on 16 vector registers (256-bit kernels without AVX-512): a 6-row by 2-vector register tile
    // (12 accumulators, 2 row vectors of B and a broadcast of A). The kc x 2-vector B micro-panel (at most 24 KB for
    // float) stays in L1 while every 6-row A micro-panel of an A block of at most PackedABytes6 (in L2) streams past
    // it: per k the tile reads 2 vectors from L1 and 6 elements from L2, where the 4 x 3 tile with an 8-row A panel
    // in L1 streamed 3 vectors of a 33 KB B panel from L2. The k blocks are the 512-bit path's, and each element is the
    // same chain of fused multiply-adds per block, so the tiles never change a bit.
    private const int Mr6 = 6;
    private const int PackedABytes6 = 384 * 1024;
    private const int PackedBBytes6 = 1024 * 1024;

    [MethodImpl(HotLoop.Options)]
    private static void Packed6x2(in GemmProblem<T> p)
    {
        int m = p.M, n = p.N, k = p.K;
        int w = TOps.Count, nr = 2 * w;
        int size = Unsafe.SizeOf<T>();
        int kcMax = KBlock(k);
        int mcMax = BlockSize(m, Math.Max(PackedABytes6 / (kcMax * size) / Mr6 * Mr6, Mr6), Mr6);
        int ncMax = BlockSize(n, Math.Max(PackedBBytes6 / (kcMax * size) / nr * nr, nr), nr);
        T[] bufA = GemmPackBuffers<T>.A(mcMax * kcMax + 2); // + 2: GemmTranspose.Rows6 writes 2 floats past a panel
        T[] bufB = GemmPackBuffers<T>.B(ncMax * kcMax);
        TV alpha = TOps.Broadcast(p.Alpha);
        TV one = TOps.Broadcast(T.One);
        TV betaV = TOps.Broadcast(p.Beta);
        bool betaZero = T.IsZero(p.Beta);
        T* tile = stackalloc T[Mr6 * 2 * 16];

        fixed (T* pa = bufA, pb = bufB)
        {
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                bool first = pc == 0;
                TV beta = first ? betaV : one;
                bool zero = first && betaZero;
                for (int ic = 0; ic < m; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m - ic);
                    PackA6(mc, kc, p.A + ic * p.RsA + pc * p.CsA, p.RsA, p.CsA, pa);
                    for (int jc = 0; jc < n; jc += ncMax)
                    {
                        int nc = Math.Min(ncMax, n - jc);
                        PackB(kc, nc, p.B + pc * p.RsB + jc * p.CsB, p.RsB, p.CsB, pb, nr);
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            T* bp = pb + jr * kc;
                            for (int ir = 0; ir < mc; ir += Mr6)
                            {
                                int rows = Math.Min(Mr6, mc - ir);
                                T* c = p.C + (ic + ir) * p.Ldc + jc + jr;
                                if (rows == Mr6 && cols == nr)
                                {
                                    Micro6x2(kc, pa + ir * kc, bp, c, p.Ldc, alpha, beta, zero);
                                }
                                else
                                {
                                    // Edge tile: to the scratch tile unscaled (x 1, exact), its valid part stored after.
                                    Micro6x2(kc, pa + ir * kc, bp, tile, nr, one, TOps.Zero, true);
                                    PutEdge(c, p.Ldc, tile, nr, rows, cols, alpha, beta, zero);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Packs an mc x kc block of op(A) into row panels of height 6: panel[q*6 + r], zero padded.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void PackA6(int mc, int kc, T* a, nint rsA, nint csA, T* dst)
    {
        for (int i = 0; i < mc; i += Mr6)
        {
            int rows = Math.Min(Mr6, mc - i);
            T* d = dst + i * kc;
            if (rows == Mr6 && csA == 1 && typeof(T) == typeof(float) && GemmTranspose.Supported<T>())
            {
                // Stored A rows are op(A) rows: transpose the panel's 6 x kc block in registers.
                GemmTranspose.Rows6(kc, (float*)(a + i * rsA), rsA, (float*)d);
                continue;
            }
            if (rows == Mr6)
            {
                T* s0 = a + i * rsA, s1 = s0 + rsA, s2 = s1 + rsA, s3 = s2 + rsA, s4 = s3 + rsA, s5 = s4 + rsA;
                nint o = 0;
                for (int q = 0; q < kc; q++)
                {
                    d[0] = s0[o]; d[1] = s1[o]; d[2] = s2[o]; d[3] = s3[o]; d[4] = s4[o]; d[5] = s5[o];
                    o += csA;
                    d += Mr6;
                }
                continue;
            }
            for (int r = 0; r < Mr6; r++)
            {
                T* s = a + (i + r) * rsA;
                T* dd = d + r;
                for (int q = 0; q < kc; q++)
                {
                    *dd = r < rows ? *s : T.Zero;
                    s += csA;
                    dd += Mr6;
                }
            }
        }
    }

    /// <summary>6 x 2-vector register tile over a packed A panel (6 per k) and a packed B panel (2 vectors per k).</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Micro6x2(int kc, T* a, T* b, T* c, nint ldc, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TV c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        PrefetchTile(c, ldc, Mr6, 2 * w);
        for (int q = 0; q < kc; q++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Broadcast(a[0]); c00 = TOps.Fma(x, b0, c00); c01 = TOps.Fma(x, b1, c01);
            x = TOps.Broadcast(a[1]); c10 = TOps.Fma(x, b0, c10); c11 = TOps.Fma(x, b1, c11);
            x = TOps.Broadcast(a[2]); c20 = TOps.Fma(x, b0, c20); c21 = TOps.Fma(x, b1, c21);
            x = TOps.Broadcast(a[3]); c30 = TOps.Fma(x, b0, c30); c31 = TOps.Fma(x, b1, c31);
            x = TOps.Broadcast(a[4]); c40 = TOps.Fma(x, b0, c40); c41 = TOps.Fma(x, b1, c41);
            x = TOps.Broadcast(a[5]); c50 = TOps.Fma(x, b0, c50); c51 = TOps.Fma(x, b1, c51);
            a += Mr6;
            b += 2 * w;
        }
        Put(c, c00, alpha, beta, betaZero); Put(c + w, c01, alpha, beta, betaZero); c += ldc;
        Put(c, c10, alpha, beta, betaZero); Put(c + w, c11, alpha, beta, betaZero); c += ldc;
        Put(c, c20, alpha, beta, betaZero); Put(c + w, c21, alpha, beta, betaZero); c += ldc;
        Put(c, c30, alpha, beta, betaZero); Put(c + w, c31, alpha, beta, betaZero); c += ldc;
        Put(c, c40, alpha, beta, betaZero); Put(c + w, c41, alpha, beta, betaZero); c += ldc;
        Put(c, c50, alpha, beta, betaZero); Put(c + w, c51, alpha, beta, betaZero);
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>
    /// The packed paths' k block: k split into equal blocks of at most <see cref="Kc"/>. It fixes where each element's
    /// chain of fused multiply-adds is split, so it decides the bits of every packed product, on every path.
    /// </summary>
    private static int KBlock(int k)
    {
        int blocks = (k + Kc - 1) / Kc;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>The size of each of as few equal blocks of <paramref name="total"/> as fit <paramref name="budget"/>, rounded up to <paramref name="unit"/>.</summary>
    private static int BlockSize(int total, int budget, int unit)
    {
        int blocks = (total + budget - 1) / budget;
        return RoundUp((total + blocks - 1) / blocks, unit);
    }

    /// <summary>
    /// Width in elements of the packed B panel that starts where <paramref name="remaining"/> columns are left:
    /// 3 vectors, except 2 where 3 would leave one vector or none fits; so only the last panel is ever partial.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TileWidth(int remaining)
    {
        int w = TOps.Count;
        int vectors = (remaining + w - 1) / w;
        return vectors is 1 or 2 or 4 ? 2 * w : 3 * w;
    }

    /// <summary>
    /// Packs a kc x nc block of op(B) into column panels of <see cref="TileWidth"/> columns, each stored
    /// panel[q*width + jj] at offset (first column) * kc, the last zero padded.
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static void PackB(int kc, int nc, T* b, nint rsB, nint csB, T* dst, int panel = 0)
    {
        int w = TOps.Count;
        for (int j = 0; j < nc;)
        {
            int nr = panel > 0 ? panel : TileWidth(nc - j);
            int cols = Math.Min(nr, nc - j);
            T* d = dst + j * kc;
            if (csB == 1)
            {
                T* s = b + j;
                if (cols == nr && nr == 3 * w)
                {
                    for (int q = 0; q < kc; q++)
                    {
                        TOps.Store(d, TOps.Load(s));
                        TOps.Store(d + w, TOps.Load(s + w));
                        TOps.Store(d + 2 * w, TOps.Load(s + 2 * w));
                        s += rsB;
                        d += nr;
                    }
                }
                else if (cols == nr)
                {
                    for (int q = 0; q < kc; q++)
                    {
                        TOps.Store(d, TOps.Load(s));
                        TOps.Store(d + w, TOps.Load(s + w));
                        s += rsB;
                        d += nr;
                    }
                }
                else
                {
                    int vectors = nr / w;
                    for (int v = 0; v < vectors; v++)
                    {
                        TV mask = TOps.FirstLanes(Math.Max(cols - v * w, 0));
                        T* sv = s + v * w;
                        T* dv = d + v * w;
                        for (int q = 0; q < kc; q++)
                        {
                            TOps.Store(dv, TOps.LoadMasked(sv, mask));
                            sv += rsB;
                            dv += nr;
                        }
                    }
                }
            }
            else
            {
                int jj0 = 0;
                if (rsB == 1 && GemmTranspose.Supported<T>())
                {
                    // Stored B rows are op(B) columns: transpose the panel's cols x kc block in registers, 8 stored
                    // rows at a time so that each is read front to back.
                    for (int jj = 0; jj < cols; jj += 8)
                    {
                        GemmTranspose.Run(Math.Min(8, cols - jj), kc, b + (j + jj) * csB, csB, d + jj, nr);
                    }
                    jj0 = cols;
                }
                for (int jj = jj0; jj < cols; jj++)
                {
                    T* s = b + (j + jj) * csB;
                    T* dd = d + jj;
                    for (int q = 0; q < kc; q++)
                    {
                        *dd = *s;
                        s += rsB;
                        dd += nr;
                    }
                }
                for (int jj = cols; jj < nr; jj++)
                {
                    T* dd = d + jj;
                    for (int q = 0; q < kc; q++)
                    {
                        *dd = T.Zero;
                        dd += nr;
                    }
                }
            }
            j += nr;
        }
    }

    /// <summary>Packs an mc x kc block of op(A) into row panels of height 8: panel[q*8 + r], zero padded.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void PackA(int mc, int kc, T* a, nint rsA, nint csA, T* dst)
    {
        for (int i = 0; i < mc; i += PackMr)
        {
            int rows = Math.Min(PackMr, mc - i);
            T* d = dst + i * kc;
            if (rsA == 1 && rows == PackMr)
            {
                T* s = a + i;
                for (int q = 0; q < kc; q++)
                {
                    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3];
                    d[4] = s[4]; d[5] = s[5]; d[6] = s[6]; d[7] = s[7];
                    s += csA;
                    d += PackMr;
                }
                continue;
            }
            int r0 = 0;
            if (csA == 1 && rows == PackMr && GemmTranspose.Supported<T>())
            {
                // Stored A rows are op(A) rows: transpose the panel's 8 x kc block in registers.
                GemmTranspose.Run(PackMr, kc, a + i * rsA, rsA, d, PackMr);
                r0 = PackMr;
            }
            for (int r = r0; r < rows; r++)
            {
                T* s = a + (i + r) * rsA;
                T* dd = d + r;
                for (int q = 0; q < kc; q++)
                {
                    *dd = *s;
                    s += csA;
                    dd += PackMr;
                }
            }
            for (int r = rows; r < PackMr; r++)
            {
                T* dd = d + r;
                for (int q = 0; q < kc; q++)
                {
                    *dd = T.Zero;
                    dd += PackMr;
                }
            }
        }
    }

    /// <summary>Asks for the C tile's cache lines now, so that they have arrived when the tile is stored after the k loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(T* c, nint ldc, int rows, int cols)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            nint last = (cols - 1) * Unsafe.SizeOf<T>();
            for (int r = 0; r < rows; r++)
            {
                byte* row = (byte*)(c + r * ldc);
                for (nint off = 0; off <= last; off += 64)
                {
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + off);
                }
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + last);
            }
        }
    }

    /// <summary>The valid <paramref name="mr"/> x <paramref name="nr"/> part of an edge tile spilled to <paramref name="tile"/> (row stride <paramref name="s"/>), with masked stores.</summary>
    private static void PutEdge(T* c, nint ldc, T* tile, int s, int mr, int nr, TV alpha, TV beta, bool betaZero)
    {
        int w = TOps.Count;
        for (int r = 0; r < mr; r++)
        {
            for (int v = 0; v * w < nr; v++)
            {
                PutMasked(c + v * w, TOps.FirstLanes(Math.Min(nr - v * w, w)), TOps.Load(tile + r * s + v * w), alpha, beta, betaZero);
            }
            c += ldc;
        }
    }

    /// <summary>8 x 3-vector register tile: as <see cref="Micro8x2"/> with a third column vector (24 accumulators).</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Micro8x3(int kc, T* a, T* b, T* c, nint ldc, TV alpha, TV beta, bool betaZero, int mr, int nr, T* tile)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c62 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c72 = TOps.Zero;
        PrefetchTile(c, ldc, mr, 3 * w);
        for (int q = 0; q < kc; q++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w), b2 = TOps.Load(b + 2 * w);
            TV x = TOps.Broadcast(a[0]); c00 = TOps.Fma(x, b0, c00); c01 = TOps.Fma(x, b1, c01); c02 = TOps.Fma(x, b2, c02);
            x = TOps.Broadcast(a[1]); c10 = TOps.Fma(x, b0, c10); c11 = TOps.Fma(x, b1, c11); c12 = TOps.Fma(x, b2, c12);
            x = TOps.Broadcast(a[2]); c20 = TOps.Fma(x, b0, c20); c21 = TOps.Fma(x, b1, c21); c22 = TOps.Fma(x, b2, c22);
            x = TOps.Broadcast(a[3]); c30 = TOps.Fma(x, b0, c30); c31 = TOps.Fma(x, b1, c31); c32 = TOps.Fma(x, b2, c32);
            x = TOps.Broadcast(a[4]); c40 = TOps.Fma(x, b0, c40); c41 = TOps.Fma(x, b1, c41); c42 = TOps.Fma(x, b2, c42);
            x = TOps.Broadcast(a[5]); c50 = TOps.Fma(x, b0, c50); c51 = TOps.Fma(x, b1, c51); c52 = TOps.Fma(x, b2, c52);
            x = TOps.Broadcast(a[6]); c60 = TOps.Fma(x, b0, c60); c61 = TOps.Fma(x, b1, c61); c62 = TOps.Fma(x, b2, c62);
            x = TOps.Broadcast(a[7]); c70 = TOps.Fma(x, b0, c70); c71 = TOps.Fma(x, b1, c71); c72 = TOps.Fma(x, b2, c72);
            a += PackMr;
            b += 3 * w;
        }
        if (mr == PackMr && nr == 3 * w)
        {
            Put(c, c00, alpha, beta, betaZero); Put(c + w, c01, alpha, beta, betaZero); Put(c + 2 * w, c02, alpha, beta, betaZero); c += ldc;
            Put(c, c10, alpha, beta, betaZero); Put(c + w, c11, alpha, beta, betaZero); Put(c + 2 * w, c12, alpha, beta, betaZero); c += ldc;
            Put(c, c20, alpha, beta, betaZero); Put(c + w, c21, alpha, beta, betaZero); Put(c + 2 * w, c22, alpha, beta, betaZero); c += ldc;
            Put(c, c30, alpha, beta, betaZero); Put(c + w, c31, alpha, beta, betaZero); Put(c + 2 * w, c32, alpha, beta, betaZero); c += ldc;
            Put(c, c40, alpha, beta, betaZero); Put(c + w, c41, alpha, beta, betaZero); Put(c + 2 * w, c42, alpha, beta, betaZero); c += ldc;
            Put(c, c50, alpha, beta, betaZero); Put(c + w, c51, alpha, beta, betaZero); Put(c + 2 * w, c52, alpha, beta, betaZero); c += ldc;
            Put(c, c60, alpha, beta, betaZero); Put(c + w, c61, alpha, beta, betaZero); Put(c + 2 * w, c62, alpha, beta, betaZero); c += ldc;
            Put(c, c70, alpha, beta, betaZero); Put(c + w, c71, alpha, beta, betaZero); Put(c + 2 * w, c72, alpha, beta, betaZero);
            return;
        }
        // Edge tile: spill the accumulators and finish the valid part with masked stores.
        int s = 3 * w;
        TOps.Store(tile, c00); TOps.Store(tile + w, c01); TOps.Store(tile + 2 * w, c02);
        TOps.Store(tile + s, c10); TOps.Store(tile + s + w, c11); TOps.Store(tile + s + 2 * w, c12);
        TOps.Store(tile + 2 * s, c20); TOps.Store(tile + 2 * s + w, c21); TOps.Store(tile + 2 * s + 2 * w, c22);
        TOps.Store(tile + 3 * s, c30); TOps.Store(tile + 3 * s + w, c31); TOps.Store(tile + 3 * s + 2 * w, c32);
        TOps.Store(tile + 4 * s, c40); TOps.Store(tile + 4 * s + w, c41); TOps.Store(tile + 4 * s + 2 * w, c42);
        TOps.Store(tile + 5 * s, c50); TOps.Store(tile + 5 * s + w, c51); TOps.Store(tile + 5 * s + 2 * w, c52);
        TOps.Store(tile + 6 * s, c60); TOps.Store(tile + 6 * s + w, c61); TOps.Store(tile + 6 * s + 2 * w, c62);
        TOps.Store(tile + 7 * s, c70); TOps.Store(tile + 7 * s + w, c71); TOps.Store(tile + 7 * s + 2 * w, c72);
        TV m0 = TOps.FirstLanes(Math.Min(nr, w));
        TV m1 = TOps.FirstLanes(Math.Max(nr - w, 0));
        TV m2 = TOps.FirstLanes(Math.Max(nr - 2 * w, 0));
        for (int r = 0; r < mr; r++)
        {
            PutMasked(c, m0, TOps.Load(tile + r * s), alpha, beta, betaZero);
            if (nr > w)
            {
                PutMasked(c + w, m1, TOps.Load(tile + r * s + w), alpha, beta, betaZero);
            }
            if (nr > 2 * w)
            {
                PutMasked(c + 2 * w, m2, TOps.Load(tile + r * s + 2 * w), alpha, beta, betaZero);
            }
            c += ldc;
        }
    }

    [MethodImpl(HotLoop.Options)]
    private static void Micro8x2(int kc, T* a, T* b, T* c, nint ldc, TV alpha, TV beta, bool betaZero, int mr, int nr, T* tile)
    {
        int w = TOps.Count;
        TV c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TV c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TV c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TV c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        for (int q = 0; q < kc; q++)
        {
            TV b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TV x = TOps.Broadcast(a[0]); c00 = TOps.Fma(x, b0, c00); c01 = TOps.Fma(x, b1, c01);
            x = TOps.Broadcast(a[1]); c10 = TOps.Fma(x, b0, c10); c11 = TOps.Fma(x, b1, c11);
            x = TOps.Broadcast(a[2]); c20 = TOps.Fma(x, b0, c20); c21 = TOps.Fma(x, b1, c21);
            x = TOps.Broadcast(a[3]); c30 = TOps.Fma(x, b0, c30); c31 = TOps.Fma(x, b1, c31);
            x = TOps.Broadcast(a[4]); c40 = TOps.Fma(x, b0, c40); c41 = TOps.Fma(x, b1, c41);
            x = TOps.Broadcast(a[5]); c50 = TOps.Fma(x, b0, c50); c51 = TOps.Fma(x, b1, c51);
            x = TOps.Broadcast(a[6]); c60 = TOps.Fma(x, b0, c60); c61 = TOps.Fma(x, b1, c61);
            x = TOps.Broadcast(a[7]); c70 = TOps.Fma(x, b0, c70); c71 = TOps.Fma(x, b1, c71);
            a += PackMr;
            b += 2 * w;
        }
        if (mr == PackMr && nr == 2 * w)
        {
            Put(c, c00, alpha, beta, betaZero); Put(c + w, c01, alpha, beta, betaZero); c += ldc;
            Put(c, c10, alpha, beta, betaZero); Put(c + w, c11, alpha, beta, betaZero); c += ldc;
            Put(c, c20, alpha, beta, betaZero); Put(c + w, c21, alpha, beta, betaZero); c += ldc;
            Put(c, c30, alpha, beta, betaZero); Put(c + w, c31, alpha, beta, betaZero); c += ldc;
            Put(c, c40, alpha, beta, betaZero); Put(c + w, c41, alpha, beta, betaZero); c += ldc;
            Put(c, c50, alpha, beta, betaZero); Put(c + w, c51, alpha, beta, betaZero); c += ldc;
            Put(c, c60, alpha, beta, betaZero); Put(c + w, c61, alpha, beta, betaZero); c += ldc;
            Put(c, c70, alpha, beta, betaZero); Put(c + w, c71, alpha, beta, betaZero);
            return;
        }
        // Edge tile: spill the accumulators and finish the valid part with masked stores.
        int s = 2 * w;
        TOps.Store(tile, c00); TOps.Store(tile + w, c01);
        TOps.Store(tile + s, c10); TOps.Store(tile + s + w, c11);
        TOps.Store(tile + 2 * s, c20); TOps.Store(tile + 2 * s + w, c21);
        TOps.Store(tile + 3 * s, c30); TOps.Store(tile + 3 * s + w, c31);
        TOps.Store(tile + 4 * s, c40); TOps.Store(tile + 4 * s + w, c41);
        TOps.Store(tile + 5 * s, c50); TOps.Store(tile + 5 * s + w, c51);
        TOps.Store(tile + 6 * s, c60); TOps.Store(tile + 6 * s + w, c61);
        TOps.Store(tile + 7 * s, c70); TOps.Store(tile + 7 * s + w, c71);
        TV m0 = TOps.FirstLanes(Math.Min(nr, w));
        TV m1 = TOps.FirstLanes(Math.Max(nr - w, 0));
        for (int r = 0; r < mr; r++)
        {
            PutMasked(c, m0, TOps.Load(tile + r * s), alpha, beta, betaZero);
            if (nr > w)
            {
                PutMasked(c + w, m1, TOps.Load(tile + r * s + w), alpha, beta, betaZero);
            }
            c += ldc;
        }
    }
}
