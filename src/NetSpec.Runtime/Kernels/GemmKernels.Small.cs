using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetSpec.Runtime.Kernels;

/// <summary>
/// 64 bytes of partial sums (16 floats or 8 doubles) as one kernel value: one 512-bit vector, or a pair of
/// 256-bit vectors where there is no AVX-512. Lane l always holds the same partial sum, so both widths (and
/// the scalar fallback) compute the same bits.
/// </summary>
internal unsafe interface IGemmWideOps<T, TW>
    where T : unmanaged
    where TW : struct
{
    /// <summary>Partial sums per value: 64 / sizeof(T).</summary>
    static abstract int Lanes { get; }

    /// <summary>Whether 32 vector registers hold the widest tile (4 rows by 5 columns of partial sums).</summary>
    static abstract bool ManyRegisters { get; }

    static abstract TW Zero { get; }

    /// <summary>A mask of the first <paramref name="count"/> lanes (all of them when count is at least <see cref="Lanes"/>).</summary>
    static abstract TW Mask(int count);

    static abstract TW Load(T* p);

    /// <summary>The lanes selected by <paramref name="mask"/>; the others read as zero and are never touched in memory.</summary>
    static abstract TW LoadMasked(T* p, TW mask);

    /// <summary>a * b + c per lane with a single rounding.</summary>
    static abstract TW Fma(TW a, TW b, TW c);

    /// <summary>
    /// The lanes added as a halving tree: s[l] += s[l + h] for h = Lanes/2, Lanes/4, ..., 1; returns s[0].
    /// </summary>
    static abstract T Sum(TW v);

    /// <summary>
    /// c[t] = alpha * Sum(v_t), or fma(beta, c[t], alpha * Sum(v_t)) unless <paramref name="betaZero"/>, for t &lt; count
    /// (count 1 to 4): the same operations as four scalar sums, several outputs per instruction where the width allows.
    /// </summary>
    static abstract void Put4(T* c, TW v0, TW v1, TW v2, TW v3, T alpha, T beta, bool betaZero, int count);

    /// <summary>As <see cref="Put4"/> for four outputs <paramref name="stride"/> apart (a column of C), all four stored.</summary>
    static abstract void Put4Strided(T* c, nint stride, TW v0, TW v1, TW v2, TW v3, T alpha, T beta, bool betaZero);
}

/// <summary>A column count fixed when the JIT specialises a narrow kernel (the branches on it fold away).</summary>
internal interface INarrowCols
{
    static abstract int Value { get; }
}

internal readonly struct NarrowCols4 : INarrowCols { public static int Value => 4; }
internal readonly struct NarrowCols8 : INarrowCols { public static int Value => 8; }
internal readonly struct NarrowCols10 : INarrowCols { public static int Value => 10; }
internal readonly struct NarrowCols12 : INarrowCols { public static int Value => 12; }

/// <summary>Two 256-bit vectors standing for one 512-bit value: <see cref="Lo"/> holds lanes 0 to Count-1.</summary>
internal struct Pair256<T> where T : unmanaged
{
    public Vector256<T> Lo, Hi;
}

internal readonly unsafe struct W512F : IGemmWideOps<float, Vector512<float>>
{
    public static int Lanes => 16;
    public static bool ManyRegisters => true;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mask(int count) => V512F.FirstLanes(count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LoadMasked(float* p, Vector512<float> mask) => V512F.LoadMasked(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => W256F.Sum8(v.GetLower() + v.GetUpper());

    /// <summary>Sum of each of four values, the same tree as <see cref="Sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sums4(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        // The tree of Sum, four values at a time. h = 8: [v0 lanes 0-7 | v1 lanes 0-7] + [v0 lanes 8-15 | v1 lanes 8-15].
        Vector512<float> t01 = Avx512F.Shuffle4x128(v0, v1, 0x44) + Avx512F.Shuffle4x128(v0, v1, 0xEE);
        Vector512<float> t23 = Avx512F.Shuffle4x128(v2, v3, 0x44) + Avx512F.Shuffle4x128(v2, v3, 0xEE);
        // h = 4: 128-bit lane t of u holds value t's lanes 0-3 plus its lanes 4-7.
        Vector512<float> u = Avx512F.Shuffle4x128(t01, t23, 0x88) + Avx512F.Shuffle4x128(t01, t23, 0xDD);
        // h = 2, then h = 1, within each 128-bit lane.
        u += Avx512F.Permute4x32(u, 0x4E);
        u += Avx512F.Permute4x32(u, 0xB1);
        return Avx512F.PermuteVar16x32(u, Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4Strided(float* c, nint stride, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        float alpha, float beta, bool betaZero)
    {
        Vector128<float> r = Sums4(v0, v1, v2, v3) * Vector128.Create(alpha);
        if (betaZero)
        {
            c[0] = r.ToScalar(); c[stride] = r.GetElement(1); c[2 * stride] = r.GetElement(2); c[3 * stride] = r.GetElement(3);
            return;
        }
        c[0] = MathF.FusedMultiplyAdd(beta, c[0], r.ToScalar());
        c[stride] = MathF.FusedMultiplyAdd(beta, c[stride], r.GetElement(1));
        c[2 * stride] = MathF.FusedMultiplyAdd(beta, c[2 * stride], r.GetElement(2));
        c[3 * stride] = MathF.FusedMultiplyAdd(beta, c[3 * stride], r.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        float alpha, float beta, bool betaZero, int count)
    {
        Vector128<float> r = Sums4(v0, v1, v2, v3) * Vector128.Create(alpha);
        if (count == 4)
        {
            (betaZero ? r : Vector128.FusedMultiplyAdd(Vector128.Create(beta), Vector128.Load(c), r)).Store(c);
            return;
        }
        Vector128<float> mask = Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();
        if (!betaZero)
        {
            r = Vector128.FusedMultiplyAdd(Vector128.Create(beta), Avx.MaskLoad(c, mask), r);
        }
        Avx.MaskStore(c, mask, r);
    }
}

internal readonly unsafe struct W512D : IGemmWideOps<double, Vector512<double>>
{
    public static int Lanes => 8;
    public static bool ManyRegisters => true;
    public static Vector512<double> Zero => Vector512<double>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Mask(int count) => V512D.FirstLanes(count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(double* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> LoadMasked(double* p, Vector512<double> mask) => V512D.LoadMasked(p, mask);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector512<double> v) => W256D.Sum4(v.GetLower() + v.GetUpper());

    /// <summary>Sum of each of four values, the same tree as <see cref="Sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Sums4(Vector512<double> v0, Vector512<double> v1, Vector512<double> v2, Vector512<double> v3)
    {
        // h = 4: [v0 lanes 0-3 | v1 lanes 0-3] + [v0 lanes 4-7 | v1 lanes 4-7].
        Vector512<double> t01 = Avx512F.Shuffle4x128(v0, v1, 0x44) + Avx512F.Shuffle4x128(v0, v1, 0xEE);
        Vector512<double> t23 = Avx512F.Shuffle4x128(v2, v3, 0x44) + Avx512F.Shuffle4x128(v2, v3, 0xEE);
        // h = 2: 128-bit lane t holds value t's lanes 0-1 plus its lanes 2-3; then h = 1 within the lane.
        Vector512<double> u = Avx512F.Shuffle4x128(t01, t23, 0x88) + Avx512F.Shuffle4x128(t01, t23, 0xDD);
        u += Avx512F.Permute2x64(u, 0x55);
        return Avx512F.PermuteVar8x64(u, Vector512.Create(0L, 2, 4, 6, 0, 0, 0, 0)).GetLower();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4Strided(double* c, nint stride, Vector512<double> v0, Vector512<double> v1, Vector512<double> v2, Vector512<double> v3,
        double alpha, double beta, bool betaZero)
    {
        Vector256<double> r = Sums4(v0, v1, v2, v3) * Vector256.Create(alpha);
        if (betaZero)
        {
            c[0] = r.ToScalar(); c[stride] = r.GetElement(1); c[2 * stride] = r.GetElement(2); c[3 * stride] = r.GetElement(3);
            return;
        }
        c[0] = Math.FusedMultiplyAdd(beta, c[0], r.ToScalar());
        c[stride] = Math.FusedMultiplyAdd(beta, c[stride], r.GetElement(1));
        c[2 * stride] = Math.FusedMultiplyAdd(beta, c[2 * stride], r.GetElement(2));
        c[3 * stride] = Math.FusedMultiplyAdd(beta, c[3 * stride], r.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4(double* c, Vector512<double> v0, Vector512<double> v1, Vector512<double> v2, Vector512<double> v3,
        double alpha, double beta, bool betaZero, int count)
    {
        Vector256<double> r = Sums4(v0, v1, v2, v3) * Vector256.Create(alpha);
        if (count == 4)
        {
            (betaZero ? r : Vector256.FusedMultiplyAdd(Vector256.Create(beta), Vector256.Load(c), r)).Store(c);
            return;
        }
        Vector256<double> mask = Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).AsDouble();
        if (!betaZero)
        {
            r = Vector256.FusedMultiplyAdd(Vector256.Create(beta), Avx.MaskLoad(c, mask), r);
        }
        Avx.MaskStore(c, mask, r);
    }
}

internal readonly unsafe struct W256F : IGemmWideOps<float, Pair256<float>>
{
    public static int Lanes => 16;
    public static bool ManyRegisters => false;
    public static Pair256<float> Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<float> Mask(int count) => new() { Lo = V256F.FirstLanes(count), Hi = V256F.FirstLanes(count - 8) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<float> Load(float* p) => new() { Lo = Vector256.Load(p), Hi = Vector256.Load(p + 8) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<float> LoadMasked(float* p, Pair256<float> mask) => new() { Lo = V256F.LoadMasked(p, mask.Lo), Hi = V256F.LoadMasked(p + 8, mask.Hi) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<float> Fma(Pair256<float> a, Pair256<float> b, Pair256<float> c) =>
        new() { Lo = Vector256.FusedMultiplyAdd(a.Lo, b.Lo, c.Lo), Hi = Vector256.FusedMultiplyAdd(a.Hi, b.Hi, c.Hi) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Pair256<float> v) => Sum8(v.Lo + v.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4(float* c, Pair256<float> v0, Pair256<float> v1, Pair256<float> v2, Pair256<float> v3,
        float alpha, float beta, bool betaZero, int count)
    {
        PutOne(c, Sum(v0), alpha, beta, betaZero);
        if (count > 1) { PutOne(c + 1, Sum(v1), alpha, beta, betaZero); }
        if (count > 2) { PutOne(c + 2, Sum(v2), alpha, beta, betaZero); }
        if (count > 3) { PutOne(c + 3, Sum(v3), alpha, beta, betaZero); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4Strided(float* c, nint stride, Pair256<float> v0, Pair256<float> v1, Pair256<float> v2, Pair256<float> v3,
        float alpha, float beta, bool betaZero)
    {
        PutOne(c, Sum(v0), alpha, beta, betaZero);
        PutOne(c + stride, Sum(v1), alpha, beta, betaZero);
        PutOne(c + 2 * stride, Sum(v2), alpha, beta, betaZero);
        PutOne(c + 3 * stride, Sum(v3), alpha, beta, betaZero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutOne(float* c, float sum, float alpha, float beta, bool betaZero)
    {
        float r = alpha * sum;
        *c = betaZero ? r : MathF.FusedMultiplyAdd(beta, *c, r);
    }

    /// <summary>The halving tree of 8 lanes (the last three levels of the 16-lane tree).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum8(Vector256<float> h)
    {
        Vector128<float> q = h.GetLower() + h.GetUpper();
        Vector128<float> r = q + Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1));
        return r.ToScalar() + r.GetElement(1);
    }
}

internal readonly unsafe struct W256D : IGemmWideOps<double, Pair256<double>>
{
    public static int Lanes => 8;
    public static bool ManyRegisters => false;
    public static Pair256<double> Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<double> Mask(int count) => new() { Lo = V256D.FirstLanes(count), Hi = V256D.FirstLanes(count - 4) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<double> Load(double* p) => new() { Lo = Vector256.Load(p), Hi = Vector256.Load(p + 4) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<double> LoadMasked(double* p, Pair256<double> mask) => new() { Lo = V256D.LoadMasked(p, mask.Lo), Hi = V256D.LoadMasked(p + 4, mask.Hi) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Pair256<double> Fma(Pair256<double> a, Pair256<double> b, Pair256<double> c) =>
        new() { Lo = Vector256.FusedMultiplyAdd(a.Lo, b.Lo, c.Lo), Hi = Vector256.FusedMultiplyAdd(a.Hi, b.Hi, c.Hi) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Pair256<double> v) => Sum4(v.Lo + v.Hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4(double* c, Pair256<double> v0, Pair256<double> v1, Pair256<double> v2, Pair256<double> v3,
        double alpha, double beta, bool betaZero, int count)
    {
        PutOne(c, Sum(v0), alpha, beta, betaZero);
        if (count > 1) { PutOne(c + 1, Sum(v1), alpha, beta, betaZero); }
        if (count > 2) { PutOne(c + 2, Sum(v2), alpha, beta, betaZero); }
        if (count > 3) { PutOne(c + 3, Sum(v3), alpha, beta, betaZero); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put4Strided(double* c, nint stride, Pair256<double> v0, Pair256<double> v1, Pair256<double> v2, Pair256<double> v3,
        double alpha, double beta, bool betaZero)
    {
        PutOne(c, Sum(v0), alpha, beta, betaZero);
        PutOne(c + stride, Sum(v1), alpha, beta, betaZero);
        PutOne(c + 2 * stride, Sum(v2), alpha, beta, betaZero);
        PutOne(c + 3 * stride, Sum(v3), alpha, beta, betaZero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutOne(double* c, double sum, double alpha, double beta, bool betaZero)
    {
        double r = alpha * sum;
        *c = betaZero ? r : Math.FusedMultiplyAdd(beta, *c, r);
    }

    /// <summary>The halving tree of 4 lanes (the last two levels of the 8-lane tree).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum4(Vector256<double> h)
    {
        Vector128<double> q = h.GetLower() + h.GetUpper();
        return q.ToScalar() + q.GetElement(1);
    }
}

/// <summary>
/// The split-k products (<see cref="Gemm.SplitOrder"/>): op(A) not transposed and B stored transposed, so every row of
/// op(A) and every column of op(B) is contiguous in k, and each element of C is a dot product of two contiguous runs.
/// Each element is computed in the split order: L = 64 / sizeof(T) partial sums (16 floats, 8 doubles), partial l
/// the chain of fused multiply-adds over k indices q = l, l + L, l + 2L, ... in increasing q, starting at +0, with k
/// padded by zeros up to a multiple of L (so every partial takes ceil(k / L) steps); then the partials added as a
/// halving tree (s[l] += s[l + h] for h = L/2, ..., 1), then alpha and beta as on every path. The order depends on
/// the element type and on k only, never on the vector width, the tile or the thread: the scalar fallback
/// (<see cref="Gemm"/>) follows it too.
/// </summary>
internal static unsafe class GemmDot<T, TW, TWOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TW : struct
    where TWOps : IGemmWideOps<T, TW>
{
    /// <summary>Columns per tile of the one-row kernel on a 32-register processor.</summary>
    private const int RowTile = 10;

    /// <summary>Runs the product, split into <paramref name="parts"/> fixed ranges of rows or columns.</summary>
    public static void Run(ref GemmProblem<T> problem, int parts) => GemmSplit<T>.Run(ref problem, parts, &Product);

    [MethodImpl(HotLoop.Options)]
    private static void Product(in GemmProblem<T> p)
    {
        int m = p.M, n = p.N, k = p.K;
        nint lda = p.RsA, ldb = p.CsB, ldc = p.Ldc;
        T alpha = p.Alpha, beta = p.Beta;
        bool betaZero = T.IsZero(beta);
        if (TWOps.ManyRegisters)
        {
            int fullRows = m / 4 * 4;
            if (fullRows > 0)
            {
                // Columns outside, row tiles inside: a tile's 5 columns of B stay in cache while every row passes.
                for (int j = 0; j < n; j += 5)
                {
                    int cols = Math.Min(5, n - j);
                    for (int i = 0; i < fullRows; i += 4)
                    {
                        Dot4x5(k, p.A + i * lda, lda, p.B + j * ldb, ldb, cols, p.C + i * ldc + j, ldc, alpha, beta, betaZero);
                    }
                }
            }
            for (int i = fullRows; i < m; i++)
            {
                for (int j = 0; j < n; j += RowTile)
                {
                    Dot1x10(k, p.A + i * lda, p.B + j * ldb, ldb, Math.Min(RowTile, n - j), p.C + i * ldc + j, alpha, beta, betaZero);
                }
            }
            return;
        }
        // 16 registers: 2 x 2 tiles (one load of A or B per multiply-add, against 1.25 for a row by 4 columns).
        int pairRows = m / 2 * 2;
        if (pairRows > 0)
        {
            for (int j = 0; j < n; j += 2)
            {
                int cols = Math.Min(2, n - j);
                for (int i = 0; i < pairRows; i += 2)
                {
                    Dot2x2(k, p.A + i * lda, lda, p.B + j * ldb, ldb, cols, p.C + i * ldc + j, ldc, alpha, beta, betaZero);
                }
            }
        }
        for (int i = pairRows; i < m; i++)
        {
            for (int j = 0; j < n; j += 4)
            {
                Dot1x4(k, p.A + i * lda, p.B + j * ldb, ldb, Math.Min(4, n - j), p.C + i * ldc + j, alpha, beta, betaZero);
            }
        }
    }

    /// <summary>Rows 0 and 1 of A against columns 0..cols-1 (at most 2) of op(B), for 16-register processors; a column past cols repeats the last one and is not stored.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Dot2x2(int k, T* a, nint lda, T* b, nint ldb, int cols, T* c, nint ldc, T alpha, T beta, bool betaZero)
    {
        int lanes = TWOps.Lanes;
        T* a0 = a, a1 = a + lda;
        T* b0 = b, b1 = b + Math.Min(1, cols - 1) * ldb;
        TW c00 = TWOps.Zero, c01 = TWOps.Zero, c10 = TWOps.Zero, c11 = TWOps.Zero;
        int q = 0;
        for (; q + lanes <= k; q += lanes)
        {
            TW x0 = TWOps.Load(a0 + q), x1 = TWOps.Load(a1 + q);
            TW y = TWOps.Load(b0 + q);
            c00 = TWOps.Fma(x0, y, c00); c10 = TWOps.Fma(x1, y, c10);
            y = TWOps.Load(b1 + q);
            c01 = TWOps.Fma(x0, y, c01); c11 = TWOps.Fma(x1, y, c11);
        }
        if (q < k)
        {
            TW mask = TWOps.Mask(k - q);
            TW x0 = TWOps.LoadMasked(a0 + q, mask), x1 = TWOps.LoadMasked(a1 + q, mask);
            TW y = TWOps.LoadMasked(b0 + q, mask);
            c00 = TWOps.Fma(x0, y, c00); c10 = TWOps.Fma(x1, y, c10);
            y = TWOps.LoadMasked(b1 + q, mask);
            c01 = TWOps.Fma(x0, y, c01); c11 = TWOps.Fma(x1, y, c11);
        }
        Put(c, c00, alpha, beta, betaZero);
        Put(c + ldc, c10, alpha, beta, betaZero);
        if (cols > 1)
        {
            Put(c + 1, c01, alpha, beta, betaZero);
            Put(c + ldc + 1, c11, alpha, beta, betaZero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(T* c, TW acc, T alpha, T beta, bool betaZero)
    {
        T r = alpha * TWOps.Sum(acc);
        *c = betaZero ? r : T.FusedMultiplyAdd(beta, *c, r);
    }

    /// <summary>Rows 0..3 of A (stride lda) against columns 0..cols-1 of op(B) (stride ldb); columns past cols repeat the last one and are not stored.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Dot4x5(int k, T* a, nint lda, T* b, nint ldb, int cols, T* c, nint ldc, T alpha, T beta, bool betaZero)
    {
        int lanes = TWOps.Lanes;
        T* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
        T* b0 = b, b1 = b + Math.Min(1, cols - 1) * ldb, b2 = b + Math.Min(2, cols - 1) * ldb;
        T* b3 = b + Math.Min(3, cols - 1) * ldb, b4 = b + Math.Min(4, cols - 1) * ldb;
        TW c00 = TWOps.Zero, c01 = TWOps.Zero, c02 = TWOps.Zero, c03 = TWOps.Zero, c04 = TWOps.Zero;
        TW c10 = TWOps.Zero, c11 = TWOps.Zero, c12 = TWOps.Zero, c13 = TWOps.Zero, c14 = TWOps.Zero;
        TW c20 = TWOps.Zero, c21 = TWOps.Zero, c22 = TWOps.Zero, c23 = TWOps.Zero, c24 = TWOps.Zero;
        TW c30 = TWOps.Zero, c31 = TWOps.Zero, c32 = TWOps.Zero, c33 = TWOps.Zero, c34 = TWOps.Zero;
        int q = 0;
        for (; q + lanes <= k; q += lanes)
        {
            TW x0 = TWOps.Load(a0 + q), x1 = TWOps.Load(a1 + q), x2 = TWOps.Load(a2 + q), x3 = TWOps.Load(a3 + q);
            TW y = TWOps.Load(b0 + q);
            c00 = TWOps.Fma(x0, y, c00); c10 = TWOps.Fma(x1, y, c10); c20 = TWOps.Fma(x2, y, c20); c30 = TWOps.Fma(x3, y, c30);
            y = TWOps.Load(b1 + q);
            c01 = TWOps.Fma(x0, y, c01); c11 = TWOps.Fma(x1, y, c11); c21 = TWOps.Fma(x2, y, c21); c31 = TWOps.Fma(x3, y, c31);
            y = TWOps.Load(b2 + q);
            c02 = TWOps.Fma(x0, y, c02); c12 = TWOps.Fma(x1, y, c12); c22 = TWOps.Fma(x2, y, c22); c32 = TWOps.Fma(x3, y, c32);
            y = TWOps.Load(b3 + q);
            c03 = TWOps.Fma(x0, y, c03); c13 = TWOps.Fma(x1, y, c13); c23 = TWOps.Fma(x2, y, c23); c33 = TWOps.Fma(x3, y, c33);
            y = TWOps.Load(b4 + q);
            c04 = TWOps.Fma(x0, y, c04); c14 = TWOps.Fma(x1, y, c14); c24 = TWOps.Fma(x2, y, c24); c34 = TWOps.Fma(x3, y, c34);
        }
        if (q < k)
        {
            // The last k % L indices; the lanes past k read as zero, so those partials take one more step of fma(0, 0, s), as the order says.
            TW mask = TWOps.Mask(k - q);
            TW x0 = TWOps.LoadMasked(a0 + q, mask), x1 = TWOps.LoadMasked(a1 + q, mask), x2 = TWOps.LoadMasked(a2 + q, mask), x3 = TWOps.LoadMasked(a3 + q, mask);
            TW y = TWOps.LoadMasked(b0 + q, mask);
            c00 = TWOps.Fma(x0, y, c00); c10 = TWOps.Fma(x1, y, c10); c20 = TWOps.Fma(x2, y, c20); c30 = TWOps.Fma(x3, y, c30);
            y = TWOps.LoadMasked(b1 + q, mask);
            c01 = TWOps.Fma(x0, y, c01); c11 = TWOps.Fma(x1, y, c11); c21 = TWOps.Fma(x2, y, c21); c31 = TWOps.Fma(x3, y, c31);
            y = TWOps.LoadMasked(b2 + q, mask);
            c02 = TWOps.Fma(x0, y, c02); c12 = TWOps.Fma(x1, y, c12); c22 = TWOps.Fma(x2, y, c22); c32 = TWOps.Fma(x3, y, c32);
            y = TWOps.LoadMasked(b3 + q, mask);
            c03 = TWOps.Fma(x0, y, c03); c13 = TWOps.Fma(x1, y, c13); c23 = TWOps.Fma(x2, y, c23); c33 = TWOps.Fma(x3, y, c33);
            y = TWOps.LoadMasked(b4 + q, mask);
            c04 = TWOps.Fma(x0, y, c04); c14 = TWOps.Fma(x1, y, c14); c24 = TWOps.Fma(x2, y, c24); c34 = TWOps.Fma(x3, y, c34);
        }
        int first = Math.Min(cols, 4);
        TWOps.Put4(c, c00, c01, c02, c03, alpha, beta, betaZero, first);
        TWOps.Put4(c + ldc, c10, c11, c12, c13, alpha, beta, betaZero, first);
        TWOps.Put4(c + 2 * ldc, c20, c21, c22, c23, alpha, beta, betaZero, first);
        TWOps.Put4(c + 3 * ldc, c30, c31, c32, c33, alpha, beta, betaZero, first);
        if (cols > 4)
        {
            TWOps.Put4Strided(c + 4, ldc, c04, c14, c24, c34, alpha, beta, betaZero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row5(T* c, int cols, TW v0, TW v1, TW v2, TW v3, TW v4, T alpha, T beta, bool betaZero)
    {
        TWOps.Put4(c, v0, v1, v2, v3, alpha, beta, betaZero, Math.Min(cols, 4));
        if (cols > 4)
        {
            Put(c + 4, v4, alpha, beta, betaZero);
        }
    }

    /// <summary>One row of A against columns 0..cols-1 (at most 10) of op(B); columns past cols repeat the last one and are not stored.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Dot1x10(int k, T* a, T* b, nint ldb, int cols, T* c, T alpha, T beta, bool betaZero)
    {
        int lanes = TWOps.Lanes, last = cols - 1;
        T* b0 = b, b1 = b + Math.Min(1, last) * ldb, b2 = b + Math.Min(2, last) * ldb, b3 = b + Math.Min(3, last) * ldb;
        T* b4 = b + Math.Min(4, last) * ldb, b5 = b + Math.Min(5, last) * ldb, b6 = b + Math.Min(6, last) * ldb;
        T* b7 = b + Math.Min(7, last) * ldb, b8 = b + Math.Min(8, last) * ldb, b9 = b + Math.Min(9, last) * ldb;
        TW c0 = TWOps.Zero, c1 = TWOps.Zero, c2 = TWOps.Zero, c3 = TWOps.Zero, c4 = TWOps.Zero;
        TW c5 = TWOps.Zero, c6 = TWOps.Zero, c7 = TWOps.Zero, c8 = TWOps.Zero, c9 = TWOps.Zero;
        int q = 0;
        for (; q + lanes <= k; q += lanes)
        {
            TW x = TWOps.Load(a + q);
            c0 = TWOps.Fma(x, TWOps.Load(b0 + q), c0); c1 = TWOps.Fma(x, TWOps.Load(b1 + q), c1);
            c2 = TWOps.Fma(x, TWOps.Load(b2 + q), c2); c3 = TWOps.Fma(x, TWOps.Load(b3 + q), c3);
            c4 = TWOps.Fma(x, TWOps.Load(b4 + q), c4); c5 = TWOps.Fma(x, TWOps.Load(b5 + q), c5);
            c6 = TWOps.Fma(x, TWOps.Load(b6 + q), c6); c7 = TWOps.Fma(x, TWOps.Load(b7 + q), c7);
            c8 = TWOps.Fma(x, TWOps.Load(b8 + q), c8); c9 = TWOps.Fma(x, TWOps.Load(b9 + q), c9);
        }
        if (q < k)
        {
            TW mask = TWOps.Mask(k - q);
            TW x = TWOps.LoadMasked(a + q, mask);
            c0 = TWOps.Fma(x, TWOps.LoadMasked(b0 + q, mask), c0); c1 = TWOps.Fma(x, TWOps.LoadMasked(b1 + q, mask), c1);
            c2 = TWOps.Fma(x, TWOps.LoadMasked(b2 + q, mask), c2); c3 = TWOps.Fma(x, TWOps.LoadMasked(b3 + q, mask), c3);
            c4 = TWOps.Fma(x, TWOps.LoadMasked(b4 + q, mask), c4); c5 = TWOps.Fma(x, TWOps.LoadMasked(b5 + q, mask), c5);
            c6 = TWOps.Fma(x, TWOps.LoadMasked(b6 + q, mask), c6); c7 = TWOps.Fma(x, TWOps.LoadMasked(b7 + q, mask), c7);
            c8 = TWOps.Fma(x, TWOps.LoadMasked(b8 + q, mask), c8); c9 = TWOps.Fma(x, TWOps.LoadMasked(b9 + q, mask), c9);
        }
        Row5(c, cols, c0, c1, c2, c3, c4, alpha, beta, betaZero);
        if (cols > 5)
        {
            Row5(c + 5, cols - 5, c5, c6, c7, c8, c9, alpha, beta, betaZero);
        }
    }

    /// <summary>One row of A against columns 0..cols-1 (at most 4) of op(B), for 16-register processors.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void Dot1x4(int k, T* a, T* b, nint ldb, int cols, T* c, T alpha, T beta, bool betaZero)
    {
        int lanes = TWOps.Lanes, last = cols - 1;
        T* b0 = b, b1 = b + Math.Min(1, last) * ldb, b2 = b + Math.Min(2, last) * ldb, b3 = b + Math.Min(3, last) * ldb;
        TW c0 = TWOps.Zero, c1 = TWOps.Zero, c2 = TWOps.Zero, c3 = TWOps.Zero;
        int q = 0;
        for (; q + lanes <= k; q += lanes)
        {
            TW x = TWOps.Load(a + q);
            c0 = TWOps.Fma(x, TWOps.Load(b0 + q), c0); c1 = TWOps.Fma(x, TWOps.Load(b1 + q), c1);
            c2 = TWOps.Fma(x, TWOps.Load(b2 + q), c2); c3 = TWOps.Fma(x, TWOps.Load(b3 + q), c3);
        }
        if (q < k)
        {
            TW mask = TWOps.Mask(k - q);
            TW x = TWOps.LoadMasked(a + q, mask);
            c0 = TWOps.Fma(x, TWOps.LoadMasked(b0 + q, mask), c0); c1 = TWOps.Fma(x, TWOps.LoadMasked(b1 + q, mask), c1);
            c2 = TWOps.Fma(x, TWOps.LoadMasked(b2 + q, mask), c2); c3 = TWOps.Fma(x, TWOps.LoadMasked(b3 + q, mask), c3);
        }
        TWOps.Put4(c, c0, c1, c2, c3, alpha, beta, betaZero, cols);
    }
}
