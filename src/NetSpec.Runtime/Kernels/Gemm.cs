using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetSpec.Runtime.Kernels;

/// <summary>
/// General matrix product on row-major storage: C = alpha * op(A) * op(B) + beta * C,
/// where op(X) is X or its transpose. op(A) is m x k, op(B) is k x n, C is m x n.
/// lda, ldb and ldc are the row strides of A, B and C as stored.
/// When beta is zero, C is overwritten (its old contents, even NaN, are ignored).
/// </summary>
/// <remarks>
/// This is the one place every matrix product in NetSpec goes through, so it can be made fast
/// without touching the ops. For a given thread count the result is bit-for-bit deterministic.
/// </remarks>
public static partial class Gemm
{
    public static void Multiply<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmOptions.Default);
    }

    /// <summary>
    /// As <see cref="Multiply{T}(bool, bool, int, int, int, T, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, T, Span{T}, int)"/>,
    /// with per-call <paramref name="options"/> (for example the number of threads).
    /// When alpha or k is zero, A and B are not read and C becomes beta * C (zero when beta is zero).
    /// </summary>
    public static void Multiply<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc,
        GemmOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MultiplyWith(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, options, GemmIsa.Best);
    }

    /// <summary>Instruction sets the kernels can be run with; tests use this to cover the fallbacks on any machine.</summary>
    internal enum GemmIsa
    {
        Best,
        Vector256,
        Scalar,
    }

    internal static unsafe void MultiplyWith<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc,
        GemmOptions options, GemmIsa isa)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }
        if (k == 0 || T.IsZero(alpha))
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            var problem = new GemmProblem<T>
            {
                M = m, N = n, K = k,
                A = pa, RsA = transA ? 1 : lda, CsA = transA ? lda : 1,
                B = pb, RsB = transB ? 1 : ldb, CsB = transB ? ldb : 1,
                C = pc, Ldc = ldc,
                Alpha = alpha, Beta = beta,
            };
            bool use512 = isa == GemmIsa.Best && Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
            bool use256 = !use512 && isa != GemmIsa.Scalar && Vector256.IsHardwareAccelerated && Avx.IsSupported && Fma.IsSupported;
            if (SplitOrder(transA, transB, m, n, k) && (use512 || use256))
            {
                int dotParts = PlanDot(ref problem, options, use512);
                if (use512)
                {
                    if (typeof(T) == typeof(float))
                    {
                        GemmDot<float, Vector512<float>, W512F>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<float>>(ref problem), dotParts);
                    }
                    else
                    {
                        GemmDot<double, Vector512<double>, W512D>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<double>>(ref problem), dotParts);
                    }
                }
                else if (typeof(T) == typeof(float))
                {
                    GemmDot<float, Pair256<float>, W256F>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<float>>(ref problem), dotParts);
                }
                else
                {
                    GemmDot<double, Pair256<double>, W256D>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<double>>(ref problem), dotParts);
                }
                return;
            }
            int parts = Plan(ref problem, options, use512 ? Vector512<T>.Count : Vector256<T>.Count);
            if (use512)
            {
                if (typeof(T) == typeof(float))
                {
                    GemmKernels<float, Vector512<float>, V512F>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<float>>(ref problem), parts);
                }
                else
                {
                    GemmKernels<double, Vector512<double>, V512D>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<double>>(ref problem), parts);
                }
            }
            else if (use256)
            {
                if (typeof(T) == typeof(float))
                {
                    GemmKernels<float, Vector256<float>, V256F>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<float>>(ref problem), parts);
                }
                else
                {
                    GemmKernels<double, Vector256<double>, V256D>.Run(ref Unsafe.As<GemmProblem<T>, GemmProblem<double>>(ref problem), parts);
                }
            }
            else
            {
                Scalar(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
        }
    }

    // Columns the narrow kernel covers (GemmKernels.NarrowMax, the same for every element type).
    private const int NarrowMax = 12;

    // Span of B (k rows at its stride, in bytes) from which direct row products copy it one column strip at a time.
    private const long PanelBytes = 512 * 1024;

    /// <summary>
    /// Longest k block of the packed path: each element of C is one chain of fused multiply-adds per block of at most
    /// this many k, so it fixes the bits of every product with a longer k. Don't change it without checking goldens.
    /// </summary>
    internal const int PackedKBlock = 384;

    // Work (m*n*k multiply-adds) below which a product stays on the calling thread.
    private const long ParallelThreshold = 1L << 21;

    // Work (m*n*k multiply-adds) below which a split-k product stays on the calling thread.
    private const long DotParallelThreshold = 1L << 19;

    /// <summary>
    /// Whether a product is computed in the split-k order of <see cref="GemmDot{T, TW, TWOps}"/> (L = 64 / sizeof(T)
    /// partial sums over interleaved k, added as a halving tree) instead of one chain in increasing k: op(A) not
    /// transposed and B stored transposed (rows of both contiguous in k), and at most
    /// <see cref="NarrowMax"/> columns with k &gt;= 128, or at most 8 rows with k &gt;= 64. There one chain per element
    /// is latency-bound and needs an operand transposed on every call (1x1024x64: 0.5x OpenBLAS as a chain, 1.0-1.1x
    /// split; every shape of at most 8 rows, 16 to 1024 columns and k = 64 to 192 measured faster split, 2 to 8 rows
    /// by 1.2-2x, on the Zen 5 guest). Depends on the shape and transposes only.
    /// (Digits' own products keep the chain: batch 32, and its 10-column output layer has k = 64.)
    /// </summary>
    internal static bool SplitOrder(bool transA, bool transB, int m, int n, int k) =>
        !transA && transB && ((n <= NarrowMax && k >= 128) || (m <= 8 && k >= 64));

    /// <summary>The fixed split of a split-k product between threads (whole row tiles, or column tiles for few rows).</summary>
    private static int PlanDot<T>(ref GemmProblem<T> p, GemmOptions options, bool use512) where T : unmanaged
    {
        // Split the larger side: for few rows each part then streams only its own columns of B.
        p.SplitRows = p.M >= p.N;
        p.SplitUnit = p.SplitRows ? 4 : use512 ? 10 : 4;
        long work = (long)p.M * p.N * p.K;
        int threads = Math.Min(options.Threads, Environment.ProcessorCount);
        if (threads <= 1 || work < DotParallelThreshold)
        {
            return 1;
        }
        int units = ((p.SplitRows ? p.M : p.N) + p.SplitUnit - 1) / p.SplitUnit;
        return Math.Min(threads, units);
    }

    /// <summary>Chooses the kernel family and the fixed split of the output; returns the number of parts.</summary>
    private static int Plan<T>(ref GemmProblem<T> p, GemmOptions options, int lanes) where T : unmanaged
    {
        int elementSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long work = (long)p.M * p.N * p.K;
        bool large = p.M >= 128 && p.N >= 128 && p.K >= 128 && work >= 256L * 256 * 256;
        if (!large && p.CsB == 1 && p.M >= 128 && p.K <= PackedKBlock)
        {
            // Rows of op(B) contiguous and one k block: the packed path gives the direct kernels' bits (one chain of
            // fused multiply-adds per element) and is faster once C and B outgrow the caches the direct rows rely on.
            // So do products whose op(A) is stored transposed (RsA = 1) with a long k: the direct rows would read A
            // down its columns, one cache line and one page per k (1024x64x256 TN: 0.64x OpenBLAS direct, 0.95x packed
            // on an AVX2 EPYC guest).
            large = (p.N >= 128 && p.K >= 128) || (p.N >= 256 && p.K >= 64) || (p.N >= 256 && p.K >= 32 && (long)p.M * p.N >= 1L << 18)
                || (p.RsA == 1 && p.N >= 48 && p.K >= 128);
        }
        if (large)
        {
            p.Path = GemmPath.Packed;
        }
        else if (p.N <= NarrowMax && p.M >= 8)
        {
            p.Path = GemmPath.Narrow;
        }
        else if (p.CsB != 1 || (p.M >= 8 && (long)p.K * p.RsB * elementSize >= PanelBytes))
        {
            // B stored transposed, or rows of B so far apart that a column strip would not stay in cache.
            p.Path = GemmPath.PanelRows;
        }
        else
        {
            p.Path = GemmPath.DirectRows;
        }

        int rowUnit = p.Path == GemmPath.Narrow ? lanes : 8;
        int colUnit = p.Path switch
        {
            GemmPath.DirectRows or GemmPath.PanelRows => 4 * lanes,
            _ => 2 * lanes,
        };
        // Each part packs its own share of op(A) or op(B) and all of the other, so split the larger side.
        p.SplitRows = p.M >= p.N || p.Path == GemmPath.Narrow;
        p.SplitUnit = p.SplitRows ? rowUnit : colUnit;

        int threads = Math.Min(options.Threads, Environment.ProcessorCount);
        if (threads <= 1 || work < ParallelThreshold)
        {
            return 1;
        }
        int units = ((p.SplitRows ? p.M : p.N) + p.SplitUnit - 1) / p.SplitUnit;
        return Math.Min(threads, units);
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        // Stored shapes: A is (transA ? k x m : m x k), B is (transB ? n x k : k x n), C is m x n.
        CheckOperand(nameof(lda), transA ? k : m, transA ? m : k, lda, aLength, m == 0 || n == 0);
        CheckOperand(nameof(ldb), transB ? n : k, transB ? k : n, ldb, bLength, m == 0 || n == 0);
        CheckOperand(nameof(ldc), m, n, ldc, cLength, false);
    }

    private static void CheckOperand(string strideName, int rows, int cols, int ld, int length, bool unused)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(strideName, ld, $"Row stride must be at least the stored width {cols} (and at least 1).");
        }
        if (unused || rows == 0 || cols == 0)
        {
            return;
        }
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed)
        {
            throw new ArgumentException($"Operand with stride {strideName}={ld} needs {needed} elements for a {rows} x {cols} matrix but has {length}.");
        }
    }

    private static void ScaleC<T>(int m, int n, T beta, Span<T> c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            Span<T> row = c.Slice(i * ldc, n);
            if (T.IsZero(beta))
            {
                row.Clear();
            }
            else
            {
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] *= beta;
                }
            }
        }
    }

    /// <summary>
    /// Portable fallback when no vector hardware is available: one chain of fused multiply-adds per element in
    /// increasing k, or the split-k order where <see cref="SplitOrder"/> says so; the bits the vector kernels give.
    /// </summary>
    private static void Scalar<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool split = SplitOrder(transA, transB, m, n, k);
        int lanes = 64 / Unsafe.SizeOf<T>();
        Span<T> partial = stackalloc T[lanes];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                if (split)
                {
                    // The split-k order (see GemmDot): lane l takes q = l, l + L, ... with k padded by zeros, then a halving tree.
                    partial.Clear();
                    for (int q0 = 0; q0 < k; q0 += lanes)
                    {
                        for (int l = 0; l < lanes; l++)
                        {
                            int p = q0 + l;
                            T av = p < k ? a[i * lda + p] : T.Zero;
                            T bv = p < k ? b[j * ldb + p] : T.Zero;
                            partial[l] = T.FusedMultiplyAdd(av, bv, partial[l]);
                        }
                    }
                    for (int h = lanes / 2; h >= 1; h /= 2)
                    {
                        for (int l = 0; l < h; l++)
                        {
                            partial[l] += partial[l + h];
                        }
                    }
                    sum = partial[0];
                }
                else
                {
                    for (int p = 0; p < k; p++)
                    {
                        T av = transA ? a[p * lda + i] : a[i * lda + p];
                        T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                        sum = T.FusedMultiplyAdd(av, bv, sum);
                    }
                }
                ref T cij = ref c[i * ldc + j];
                T r = alpha * sum;
                cij = T.IsZero(beta) ? r : T.FusedMultiplyAdd(beta, cij, r);
            }
        }
    }

    /// <summary>The plain triple loop: the definition the fast paths are tested against.</summary>
    public static void Reference<T>(
        bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb,
        T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                ref T cij = ref c[i * ldc + j];
                cij = T.IsZero(beta) ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }
}
