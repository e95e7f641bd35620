using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Tests.Kernels;

[TestClass]
public sealed class GemmTests
{
    private static readonly int[] EdgeSizes = [1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 300];

    private static readonly (double Alpha, double Beta)[] Scalings = [(1, 0), (0.5, -1.5), (-2, 1), (1, 1)];

    /// <summary>Shapes (m, n, k): edge sizes, the MLP shapes, shapes that take the packed path, and a seeded sample of mixed sizes.</summary>
    private static IEnumerable<(int M, int N, int K)> Shapes()
    {
        foreach (int s in EdgeSizes)
        {
            yield return (s, s, s);
        }
        // Digits MLP 64-128-64-10, batch 32 and a partial batch of 5: forward, dX and dW shapes.
        foreach (int batch in new[] { 32, 5 })
        {
            yield return (batch, 128, 64);
            yield return (batch, 64, 128);
            yield return (batch, 10, 64);
            yield return (batch, 64, 10);
            yield return (128, 64, batch);
            yield return (10, 64, batch);
        }
        // Large enough for the cache-blocked path, with ragged edges and several k blocks.
        yield return (129, 257, 520);
        yield return (256, 136, 784);
        var rng = new Random(1234);
        for (int t = 0; t < 24; t++)
        {
            yield return (EdgeSizes[rng.Next(EdgeSizes.Length)], EdgeSizes[rng.Next(EdgeSizes.Length)], EdgeSizes[rng.Next(EdgeSizes.Length)]);
        }
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void FloatProductMatchesTheReferenceForEveryShapeStrideAndScaling(bool transA, bool transB)
    {
        CheckAllShapes<float>(transA, transB, Gemm.GemmIsa.Best, seed: 1);
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void DoubleProductMatchesTheReferenceForEveryShapeStrideAndScaling(bool transA, bool transB)
    {
        CheckAllShapes<double>(transA, transB, Gemm.GemmIsa.Best, seed: 2);
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void Vector256FallbackMatchesTheReferenceForFloatAndDouble(bool transA, bool transB)
    {
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported || !System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            Assert.Inconclusive("This machine has no AVX and FMA, so the Vector256 kernels cannot run.");
        }
        CheckAllShapes<float>(transA, transB, Gemm.GemmIsa.Vector256, seed: 3);
        CheckAllShapes<double>(transA, transB, Gemm.GemmIsa.Vector256, seed: 4);
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, true)]
    public void ScalarFallbackMatchesTheReference(bool transA, bool transB)
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 17, 33), (33, 15, 64) })
        {
            CheckOne<float>(transA, transB, m, n, k, 1, 2, 3, 0.5, -1.5, Gemm.GemmIsa.Scalar, GemmOptions.Default, seed: 5);
            CheckOne<double>(transA, transB, m, n, k, 0, 1, 0, 1, 0, Gemm.GemmIsa.Scalar, GemmOptions.Default, seed: 6);
        }
    }

    [TestMethod]
    public void TwoThreadsMatchTheReferenceOnShapesLargeEnoughToSplit()
    {
        var twoThreads = GemmOptions.WithThreads(2);
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            foreach (var (m, n, k) in new[] { (300, 300, 300), (129, 257, 520), (32, 128, 64), (256, 10, 300), (65, 300, 129) })
            {
                CheckOne<float>(ta, tb, m, n, k, 3, 1, 2, 1, 0, Gemm.GemmIsa.Best, twoThreads, seed: 7);
                CheckOne<double>(ta, tb, m, n, k, 0, 2, 1, 0.5, 2, Gemm.GemmIsa.Best, twoThreads, seed: 8);
            }
        }
    }

    [TestMethod]
    public void ProductsLongerThanOneColumnBlockMatchTheReference()
    {
        // Transposed A and B always take the packed path; 2100 double columns exceed one column block.
        CheckOne<double>(true, true, 3, 2100, 5, 0, 1, 0, 1, 0, Gemm.GemmIsa.Best, GemmOptions.Default, seed: 9);
        CheckOne<float>(true, true, 9, 4200, 3, 1, 0, 2, 1, 1, Gemm.GemmIsa.Best, GemmOptions.Default, seed: 10);
    }

    [TestMethod]
    public void RepeatedProductsAreBitIdenticalForOneAndTwoThreads()
    {
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            foreach (var (m, n, k) in new[] { (300, 300, 300), (256, 1024, 300), (32, 128, 64), (129, 65, 520) })
            {
                AssertDeterministic<float>(ta, tb, m, n, k, seed: 11);
                AssertDeterministic<double>(ta, tb, m, n, k, seed: 12);
            }
        }
    }

    /// <summary>
    /// Products below the cache-blocked size (the direct, column-strip, narrow-column and split-k kernels) compute every
    /// element of C as the scalar fallback does (one fused multiply-add per k in increasing k, or the split-k order where
    /// that applies), then alpha and beta: the same bits, for every transpose combination, strides, edge sizes and
    /// scalings, at 1 and 2 threads.
    /// </summary>
    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void SmallProductKernelsGiveTheScalarFusedMultiplyAddBits(bool transA, bool transB)
    {
        (int M, int N, int K)[] shapes =
        [
            // Narrow: 1 to 12 columns, row counts around the vector widths.
            (32, 10, 64), (256, 10, 1024), (8, 12, 33), (9, 1, 17), (33, 7, 129), (100, 11, 70), (17, 3, 5), (64, 12, 1),
            // Just past narrow, and too few rows for it.
            (32, 13, 64), (7, 10, 64), (1, 10, 100),
            // Column strips: B stored transposed, or k rows of B spanning more than the strip threshold.
            (32, 200, 300), (40, 300, 300), (5, 64, 65), (16, 300, 520), (9, 129, 1100), (127, 65, 64), (1, 300, 200),
            // Direct rows: one-step products (k = 1), and the m % 4 last rows 8 vectors at a time.
            (10, 1024, 1), (1024, 64, 1), (3, 129, 1), (1, 1024, 10), (10, 1024, 32), (6, 300, 7), (2, 257, 40),
        ];
        var rng = new Random(21);
        int[] pads = [0, 1, 5, 17];
        int index = 0;
        foreach (var (m, n, k) in shapes)
        {
            foreach (GemmOptions options in new[] { GemmOptions.Default, GemmOptions.WithThreads(2) })
            {
                var (alpha, beta) = Scalings[index++ % Scalings.Length];
                int padA = pads[rng.Next(pads.Length)], padB = pads[rng.Next(pads.Length)], padC = pads[rng.Next(pads.Length)];
                AssertSameBitsAsScalar<float>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Best, options, seed: index);
                AssertSameBitsAsScalar<double>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Best, options, seed: index);
                if (System.Runtime.Intrinsics.X86.Avx.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
                {
                    AssertSameBitsAsScalar<float>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Vector256, options, seed: index);
                    AssertSameBitsAsScalar<double>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Vector256, options, seed: index);
                }
            }
        }
    }

    /// <summary>
    /// The cache-blocked kernel computes every element of C as one chain of fused multiply-adds in increasing k per k block
    /// (blocks of equal length, at most <see cref="Gemm.PackedKBlock"/>), the first block combined with beta * C and each
    /// later one added to C: exactly the bits of a plain loop written that way, for 8 x 3- and 8 x 2-vector tiles (6 x 2-vector tiles with their own blocking for the 256-bit kernels of 16-register processors), ragged
    /// row and column edges, several row, column and k blocks, every transpose combination and scaling, at 1 and 2 threads.
    /// With one k block these are also the scalar fallback's bits, so the choice between kernels never changes a result.
    /// </summary>
    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void PackedProductsGiveTheBitsOfAChainOfFusedMultiplyAddsPerKBlock(bool transA, bool transB)
    {
        (int M, int N, int K)[] shapes =
        [
            // One k block: the sizes the packed path takes for contiguous op(B) rows, with ragged edges.
            (128, 128, 128), (129, 257, 200), (257, 1000, 64), (1024, 272, 32), (136, 784, 100), (200, 130, 384),
            // Stored-transposed A, few columns and a long k (packed for transposed A only).
            (300, 64, 256), (133, 50, 130),
            // Several k blocks (and, for the last two, several column blocks or two row blocks).
            (130, 200, 700), (129, 136, 1100), (136, 1040, 400), (1030, 150, 130 * 3),
        ];
        var rng = new Random(31);
        int[] pads = [0, 1, 5, 17];
        int index = 0;
        foreach (var (m, n, k) in shapes)
        {
            foreach (GemmOptions options in new[] { GemmOptions.Default, GemmOptions.WithThreads(2) })
            {
                var (alpha, beta) = Scalings[index++ % Scalings.Length];
                int padA = pads[rng.Next(pads.Length)], padB = pads[rng.Next(pads.Length)], padC = pads[rng.Next(pads.Length)];
                AssertSameBitsAsBlocked<float>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Best, options, seed: index);
                AssertSameBitsAsBlocked<double>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Best, options, seed: index);
                if (System.Runtime.Intrinsics.X86.Avx.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported && m * n * k < 20_000_000)
                {
                    AssertSameBitsAsBlocked<float>(transA, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Vector256, options, seed: index);
                }
            }
        }
    }

    /// <summary>
    /// Products with A not transposed and B stored transposed, and at most 12 columns with k of at least 128, or at most
    /// 8 rows with k of at least 256, sum each element in the split-k order: L = 64 / sizeof(T) partial sums, partial l the
    /// fused multiply-add chain over q = l, l + L, ... (k padded by zeros to a multiple of L), added as a halving tree.
    /// Every other product keeps one chain in increasing k. Checked bit for bit against an implementation of each
    /// order written here, for every kernel width, 1 and 2 threads, strides, remainders of k and scalings.
    /// </summary>
    [TestMethod]
    public void NarrowAndFewRowProductsFollowTheirDocumentedSummationOrder()
    {
        (int M, int N, int K, bool Transposed, bool Split)[] cases =
        [
            // Split: at most 12 columns (any rows) with k >= 128, or at most 8 rows with k >= 64.
            (1, 10, 1024, true, true), (32, 10, 1024, true, true), (256, 10, 1024, true, true), (37, 12, 300, true, true),
            (5, 7, 257, true, true), (8, 1024, 1024, true, true), (3, 61, 513, true, true), (8, 100, 256, true, true),
            (1, 1024, 256, true, true), (1, 1024, 64, true, true), (1, 33, 79, true, true), (2, 11, 1000, true, true),
            (7, 23, 271, true, true), (4, 5, 256, true, true), (13, 1, 260, true, true), (32, 10, 128, true, true),
            (17, 3, 129, true, true), (64, 12, 200, true, true), (8, 100, 255, true, true), (2, 300, 200, true, true),
            (8, 13, 64, true, true), (1, 10, 64, true, true),
            // Chain: short k, more rows and columns, or another transpose combination.
            (32, 10, 64, true, false), (32, 10, 127, true, false), (9, 100, 64, true, false), (8, 100, 63, true, false),
            (9, 13, 256, true, false), (1, 10, 63, true, false), (1, 10, 1024, false, false), (32, 10, 1024, false, false),
            (2, 5, 3, true, false), (32, 13, 64, true, false), (1, 1024, 63, true, false),
        ];
        var rng = new Random(31);
        int[] pads = [0, 1, 5, 17];
        int index = 0;
        foreach (var (m, n, k, transB, split) in cases)
        {
            foreach (GemmOptions options in new[] { GemmOptions.Default, GemmOptions.WithThreads(2) })
            {
                var (alpha, beta) = Scalings[index++ % Scalings.Length];
                int padA = pads[rng.Next(pads.Length)], padB = pads[rng.Next(pads.Length)], padC = pads[rng.Next(pads.Length)];
                foreach (Gemm.GemmIsa isa in new[] { Gemm.GemmIsa.Best, Gemm.GemmIsa.Vector256, Gemm.GemmIsa.Scalar })
                {
                    if (isa == Gemm.GemmIsa.Vector256 && !(System.Runtime.Intrinsics.X86.Avx.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported))
                    {
                        continue;
                    }
                    AssertOrder<float>(transB, m, n, k, padA, padB, padC, alpha, beta, isa, options, split, seed: index);
                    AssertOrder<double>(transB, m, n, k, padA, padB, padC, alpha, beta, isa, options, split, seed: index);
                }
                CheckOne<float>(false, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Best, options, seed: index);
                CheckOne<double>(false, transB, m, n, k, padA, padB, padC, alpha, beta, Gemm.GemmIsa.Best, options, seed: index);
            }
        }
    }

    /// <summary>A split-k product whose products round to -0 and whose k leaves a partial lane: the zero padding's step is part of the order.</summary>
    [TestMethod]
    public void SplitOrderPaddingAndSignedZerosMatchTheDocumentedOrder()
    {
        foreach (Gemm.GemmIsa isa in new[] { Gemm.GemmIsa.Best, Gemm.GemmIsa.Vector256, Gemm.GemmIsa.Scalar })
        {
            if (isa == Gemm.GemmIsa.Vector256 && !(System.Runtime.Intrinsics.X86.Avx.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported))
            {
                continue;
            }
            const int m = 2, n = 3, k = 270;
            float[] a = new float[m * k], b = new float[n * k];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = i % 3 == 0 ? -1e-30f : 1e-30f;
            }
            for (int i = 0; i < b.Length; i++)
            {
                b[i] = i % 7 == 0 ? 0f : 1e-30f;
            }
            float[] c = new float[m * n], want = new float[m * n];
            Gemm.MultiplyWith(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n, GemmOptions.Default, isa);
            SplitReference(m, n, k, 1f, a, k, b, k, 0f, want, n);
            for (int i = 0; i < c.Length; i++)
            {
                Assert.AreEqual(BitConverter.SingleToInt32Bits(want[i]), BitConverter.SingleToInt32Bits(c[i]), $"element {i}, isa={isa}");
            }
        }
    }

    [TestMethod]
    public void ZeroAlphaScalesCWithoutReadingAOrB()
    {
        float[] a = Filled<float>(6, float.NaN);
        float[] b = Filled<float>(6, float.NaN);
        float[] c = [1, 2, 3, 4];
        Gemm.Multiply(false, false, 2, 2, 3, 0f, a, 3, b, 2, 2f, c, 2);
        CollectionAssert.AreEqual(new float[] { 2, 4, 6, 8 }, c);
    }

    [TestMethod]
    public void EmptyInnerDimensionLeavesBetaTimesC()
    {
        double[] c = [1, double.NaN, 3, 4];
        Gemm.Multiply(false, false, 2, 2, 0, 1.0, ReadOnlySpan<double>.Empty, 1, ReadOnlySpan<double>.Empty, 2, 0.0, c, 2);
        CollectionAssert.AreEqual(new double[] { 0, 0, 0, 0 }, c);
    }

    [TestMethod]
    public void OperandsTooShortForTheirShapeAreRejected()
    {
        float[] a = new float[5];
        float[] b = new float[6];
        float[] c = new float[4];
        Assert.ThrowsExactly<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
    }

    [TestMethod]
    public void StridesNarrowerThanTheStoredWidthAreRejected()
    {
        float[] a = new float[6];
        float[] b = new float[6];
        float[] c = new float[4];
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Gemm.Multiply(true, false, 2, 2, 3, 1f, a, 1, b, 2, 0f, c, 2));
    }

    // ------------------------------------------------------------------ helpers

    private static void CheckAllShapes<T>(bool transA, bool transB, Gemm.GemmIsa isa, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int[] pads = [0, 1, 5, 17];
        int index = 0;
        foreach (var (m, n, k) in Shapes())
        {
            var (alpha, beta) = Scalings[index++ % Scalings.Length];
            CheckOne<T>(transA, transB, m, n, k, pads[rng.Next(pads.Length)], pads[rng.Next(pads.Length)], pads[rng.Next(pads.Length)],
                alpha, beta, isa, GemmOptions.Default, seed + index);
        }
    }

    /// <summary>
    /// Runs one product and compares it with <see cref="Gemm.Reference{T}"/>. Padding beyond each
    /// row is NaN in A and B (so reading it would show) and a sentinel in C (so writing it would show).
    /// When beta is zero, C starts as NaN everywhere.
    /// </summary>
    private static void CheckOne<T>(bool transA, bool transB, int m, int n, int k, int padA, int padB, int padC,
        double alpha, double beta, Gemm.GemmIsa isa, GemmOptions options, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        T[] a = Matrix<T>(rng, aRows, aCols, lda, T.NaN);
        T[] b = Matrix<T>(rng, bRows, bCols, ldb, T.NaN);
        T sentinel = T.CreateChecked(12345.0);
        T[] c = beta == 0 ? Filled(m * ldc, T.NaN) : Matrix<T>(rng, m, n, ldc, sentinel);
        for (int i = 0; i < m; i++)
        {
            for (int j = n; j < ldc; j++)
            {
                c[i * ldc + j] = sentinel;
            }
        }
        T[] expected = (T[])c.Clone();
        if (beta == 0)
        {
            for (int i = 0; i < m; i++)
            {
                Array.Fill(expected, T.Zero, i * ldc, n);
            }
        }
        T ta = T.CreateChecked(alpha), tb = T.CreateChecked(beta);
        T[] before = (T[])expected.Clone();
        Gemm.Reference(transA, transB, m, n, k, ta, a, lda, b, ldb, tb, expected, ldc);
        Gemm.MultiplyWith(transA, transB, m, n, k, ta, a, lda, b, ldb, tb, c, ldc, options, isa);

        // Error bound: a small multiple of k * epsilon relative to the sum of absolute terms.
        double eps = typeof(T) == typeof(float) ? 1.1920929e-7 : 2.220446049250313e-16;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                double got = double.CreateChecked(c[i * ldc + j]);
                double want = double.CreateChecked(expected[i * ldc + j]);
                if (j >= n)
                {
                    Assert.AreEqual(double.CreateChecked(sentinel), got, $"Padding of C was written at ({i},{j}) for {Describe()}.");
                    continue;
                }
                double scale = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = double.CreateChecked(transA ? a[p * lda + i] : a[i * lda + p]);
                    double bv = double.CreateChecked(transB ? b[j * ldb + p] : b[p * ldb + j]);
                    scale += Math.Abs(av * bv);
                }
                scale = Math.Abs(alpha) * scale + Math.Abs(beta * double.CreateChecked(before[i * ldc + j]));
                double tolerance = 4 * (k + 4) * eps * scale + double.Epsilon;
                Assert.IsLessThanOrEqualTo(tolerance, Math.Abs(got - want), $"C({i},{j}) = {got}, reference {want}, for {Describe()}.");
            }
        }

        string Describe() => $"{typeof(T).Name} transA={transA} transB={transB} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} alpha={alpha} beta={beta} isa={isa} threads={options.Threads}";
    }

    private static void AssertSameBitsAsScalar<T>(bool transA, bool transB, int m, int n, int k, int padA, int padB, int padC,
        double alpha, double beta, Gemm.GemmIsa isa, GemmOptions options, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        T[] a = Matrix<T>(rng, aRows, aCols, lda, T.NaN);
        T[] b = Matrix<T>(rng, bRows, bCols, ldb, T.NaN);
        T[] c = Matrix<T>(rng, m, n, ldc, T.CreateChecked(12345.0));
        T[] want = (T[])c.Clone();
        T ta = T.CreateChecked(alpha), tb = T.CreateChecked(beta);
        Gemm.MultiplyWith(transA, transB, m, n, k, ta, a, lda, b, ldb, tb, want, ldc, GemmOptions.Default, Gemm.GemmIsa.Scalar);
        Gemm.MultiplyWith(transA, transB, m, n, k, ta, a, lda, b, ldb, tb, c, ldc, options, isa);
        for (int i = 0; i < c.Length; i++)
        {
            if (!c[i].Equals(want[i]))
            {
                Assert.Fail($"Element {i} (row {i / ldc}, column {i % ldc}) is {c[i]}, the scalar fallback gives {want[i]}, for {typeof(T).Name} " +
                    $"transA={transA} transB={transB} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} alpha={alpha} beta={beta} isa={isa} threads={options.Threads}.");
            }
        }
    }

    /// <summary>
    /// Compares one product with a plain loop that forms each element as the packed path defines it: k split into
    /// equal blocks of at most <see cref="Gemm.PackedKBlock"/>, one fused multiply-add per k within a block, alpha times
    /// the block's sum then beta * C (first block) or C (later blocks) added with one rounding.
    /// </summary>
    private static void AssertSameBitsAsBlocked<T>(bool transA, bool transB, int m, int n, int k, int padA, int padB, int padC,
        double alpha, double beta, Gemm.GemmIsa isa, GemmOptions options, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        T[] a = Matrix<T>(rng, aRows, aCols, lda, T.NaN);
        T[] b = Matrix<T>(rng, bRows, bCols, ldb, T.NaN);
        T sentinel = T.CreateChecked(12345.0);
        T[] c = beta == 0 ? Filled(m * ldc, T.NaN) : Matrix<T>(rng, m, n, ldc, sentinel);
        for (int i = 0; i < m; i++)
        {
            for (int j = n; j < ldc; j++)
            {
                c[i * ldc + j] = sentinel;
            }
        }
        T[] want = (T[])c.Clone();
        T ta = T.CreateChecked(alpha), tb = T.CreateChecked(beta);
        int blocks = (k + Gemm.PackedKBlock - 1) / Gemm.PackedKBlock;
        int kc = (k + blocks - 1) / blocks;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T cij = want[i * ldc + j];
                for (int p0 = 0; p0 < k; p0 += kc)
                {
                    T sum = T.Zero;
                    for (int p = p0; p < Math.Min(p0 + kc, k); p++)
                    {
                        T av = transA ? a[p * lda + i] : a[i * lda + p];
                        T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                        sum = T.FusedMultiplyAdd(av, bv, sum);
                    }
                    T r = ta * sum;
                    cij = p0 > 0 ? T.FusedMultiplyAdd(T.One, cij, r) : beta == 0 ? r : T.FusedMultiplyAdd(tb, cij, r);
                }
                want[i * ldc + j] = cij;
            }
        }
        Gemm.MultiplyWith(transA, transB, m, n, k, ta, a, lda, b, ldb, tb, c, ldc, options, isa);
        for (int i = 0; i < c.Length; i++)
        {
            if (!c[i].Equals(want[i]))
            {
                Assert.Fail($"Element {i} (row {i / ldc}, column {i % ldc}) is {c[i]}, the blocked loop gives {want[i]}, for {typeof(T).Name} " +
                    $"transA={transA} transB={transB} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} alpha={alpha} beta={beta} isa={isa} threads={options.Threads}.");
            }
        }
    }

    /// <summary>Runs one product (A not transposed) and compares it bit for bit with <see cref="SplitReference{T}"/> or <see cref="ChainReference{T}"/>.</summary>
    private static void AssertOrder<T>(bool transB, int m, int n, int k, int padA, int padB, int padC,
        double alpha, double beta, Gemm.GemmIsa isa, GemmOptions options, bool split, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = k + padA, ldb = bCols + padB, ldc = n + padC;
        T[] a = Matrix<T>(rng, m, k, lda, T.NaN);
        T[] b = Matrix<T>(rng, bRows, bCols, ldb, T.NaN);
        T[] c = Matrix<T>(rng, m, n, ldc, T.CreateChecked(12345.0));
        T[] want = (T[])c.Clone();
        T ta = T.CreateChecked(alpha), tb = T.CreateChecked(beta);
        if (split)
        {
            SplitReference(m, n, k, ta, a, lda, b, ldb, tb, want, ldc);
        }
        else
        {
            ChainReference(transB, m, n, k, ta, a, lda, b, ldb, tb, want, ldc);
        }
        Gemm.MultiplyWith(false, transB, m, n, k, ta, a, lda, b, ldb, tb, c, ldc, options, isa);
        for (int i = 0; i < c.Length; i++)
        {
            if (!c[i].Equals(want[i]))
            {
                Assert.Fail($"Element {i} (row {i / ldc}, column {i % ldc}) is {c[i]}, the {(split ? "split-k" : "chain")} order gives {want[i]}, for {typeof(T).Name} " +
                    $"transB={transB} m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc} alpha={alpha} beta={beta} isa={isa} threads={options.Threads}.");
            }
        }
    }

    /// <summary>One fused multiply-add per k in increasing k from +0, then alpha * sum, then beta * C added with one fused multiply-add.</summary>
    private static void ChainReference<T>(bool transB, int m, int n, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int q = 0; q < k; q++)
                {
                    sum = T.FusedMultiplyAdd(a[i * lda + q], transB ? b[j * ldb + q] : b[q * ldb + j], sum);
                }
                T r = alpha * sum;
                c[i * ldc + j] = T.IsZero(beta) ? r : T.FusedMultiplyAdd(beta, c[i * ldc + j], r);
            }
        }
    }

    /// <summary>
    /// The split-k order for C = alpha * A * B^T + beta * C (B stored n x k): 64 bytes of partial sums, partial l the
    /// chain over q = l + t*L for t = 0 .. ceil(k/L)-1 with zero terms past k, then pairs l, l + h added for h = L/2 .. 1.
    /// </summary>
    private static void SplitReference<T>(int m, int n, int k, T alpha, T[] a, int lda, T[] b, int ldb, T beta, T[] c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = typeof(T) == typeof(float) ? 16 : 8;
        var s = new T[lanes];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Array.Fill(s, T.Zero);
                for (int t = 0; t * lanes < k; t++)
                {
                    for (int l = 0; l < lanes; l++)
                    {
                        int q = t * lanes + l;
                        s[l] = q < k ? T.FusedMultiplyAdd(a[i * lda + q], b[j * ldb + q], s[l]) : T.FusedMultiplyAdd(T.Zero, T.Zero, s[l]);
                    }
                }
                for (int h = lanes / 2; h >= 1; h /= 2)
                {
                    for (int l = 0; l < h; l++)
                    {
                        s[l] += s[l + h];
                    }
                }
                T r = alpha * s[0];
                c[i * ldc + j] = T.IsZero(beta) ? r : T.FusedMultiplyAdd(beta, c[i * ldc + j], r);
            }
        }
    }

    private static void AssertDeterministic<T>(bool transA, bool transB, int m, int n, int k, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        T[] a = Matrix<T>(rng, transA ? k : m, transA ? m : k, transA ? m : k, T.Zero);
        T[] b = Matrix<T>(rng, transB ? n : k, transB ? k : n, transB ? k : n, T.Zero);
        T[] c0 = Matrix<T>(rng, m, n, n, T.Zero);
        T beta = T.CreateChecked(0.25);
        T[] Run(int threads)
        {
            T[] c = (T[])c0.Clone();
            Gemm.Multiply(transA, transB, m, n, k, T.One, a, transA ? m : k, b, transB ? k : n, beta, c, n, GemmOptions.WithThreads(threads));
            return c;
        }
        T[] one1 = Run(1), one2 = Run(1), two1 = Run(2), two2 = Run(2);
        string shape = $"{typeof(T).Name} transA={transA} transB={transB} m={m} n={n} k={k}";
        Assert.IsTrue(one1.AsSpan().SequenceEqual(one2), $"One thread twice differs: {shape}");
        Assert.IsTrue(two1.AsSpan().SequenceEqual(two2), $"Two threads twice differs: {shape}");
        Assert.IsTrue(one1.AsSpan().SequenceEqual(two1), $"One and two threads differ: {shape}");
    }

    private static T[] Matrix<T>(Random rng, int rows, int cols, int ld, T padding)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] data = Filled(Math.Max(1, rows * ld), padding);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                data[i * ld + j] = T.CreateChecked(rng.NextDouble() * 2 - 1);
            }
        }
        return data;
    }

    private static T[] Filled<T>(int length, T value)
    {
        var data = new T[length];
        Array.Fill(data, value);
        return data;
    }
}
