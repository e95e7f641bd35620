using System.Numerics;
using System.Numerics.Tensors;
using NetSpec.Runtime.Kernels;
using NetSpec.Tests.Execution;

namespace NetSpec.Tests.Kernels;

/// <summary>
/// Vec's fused and overwriting kernels give the bits of the plain ones they replace: the kept
/// softmax against recomputing it, column sums and bias rows without a call per row, and the
/// "into" forms against accumulating into a cleared buffer (signed zeros included).
/// </summary>
[TestClass]
public sealed class VecTests
{
    [TestMethod]
    public void The_kept_softmax_gives_the_gradient_of_recomputing_it()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var rng = new Random(11);
            foreach (int n in new[] { 1, 2, 3, 7, 8, 10, 15, 16, 17, 33, 100 })
                for (int trial = 0; trial < 20; trial++)
                {
                    var x = Random<T>(rng, n, 8);
                    var y = new T[n];
                    if (trial % 2 == 0) y[rng.Next(n)] = T.One;
                    else for (int j = 0; j < n; j++) y[j] = T.CreateChecked(rng.NextDouble() / n);
                    T g = T.CreateChecked(rng.NextDouble() - 0.5);
                    var exp = new T[n];
                    T loss = Vec.SoftmaxCrossEntropyRowKept<T>(x, y, exp, out T sum);
                    Assert.AreEqual(Vec.SoftmaxCrossEntropyRow<T>(x, y, new T[n]), loss);
                    foreach (bool overwrite in new[] { false, true })
                    {
                        var a = Random<T>(rng, n, 1);
                        var b = (T[])a.Clone();
                        if (overwrite) Array.Clear(b);
                        Vec.SoftmaxCrossEntropyRowBackwardKept<T>(exp, sum, y, g, a, overwrite);
                        Vec.SoftmaxCrossEntropyRowBackward<T>(x, y, g, new T[n], b);
                        FirstWriterTests.AssertSameBits(a, b, $"{typeof(T).Name} n {n} overwrite {overwrite}");
                    }
                }
        }
    }

    [TestMethod]
    public void Bias_rows_and_column_sums_give_the_bits_of_one_call_per_row()
    {
        var rng = new Random(12);
        foreach (var (rows, cols) in new[] { (1, 1), (3, 10), (32, 64), (7, 33), (5, 130) })
        {
            var m = Random<float>(rng, rows * cols, 3);
            var bias = Random<float>(rng, cols, 3);
            var a = (float[])m.Clone();
            var b = (float[])m.Clone();
            Vec.AddRowToEachRow<float>(a, rows, cols, bias);
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(b.AsSpan(r * cols, cols), bias, b.AsSpan(r * cols, cols));
            FirstWriterTests.AssertSameBits(a, b, $"bias {rows} x {cols}");
            var s0 = Random<float>(rng, cols, 1);
            var s1 = (float[])s0.Clone();
            Vec.ColumnSums<float>(m, rows, cols, s0, overwrite: false);
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(m.AsSpan(r * cols, cols), s1, s1);
            FirstWriterTests.AssertSameBits(s0, s1, $"column sums {rows} x {cols}");
            Array.Fill(s0, float.NaN);
            Array.Clear(s1);
            Vec.ColumnSums<float>(m, rows, cols, s0, overwrite: true);
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(m.AsSpan(r * cols, cols), s1, s1);
            FirstWriterTests.AssertSameBits(s0, s1, $"column sums written {rows} x {cols}");
        }
    }

    [TestMethod]
    public void The_into_kernels_give_the_bits_of_accumulating_into_a_cleared_buffer()
    {
        var rng = new Random(13);
        foreach (int n in new[] { 1, 5, 16, 31, 64, 100 })
        {
            var x = Random<float>(rng, n, 1);
            var dy = Random<float>(rng, n, 1);
            x[0] = 0f;
            if (n > 1) (x[1], dy[1]) = (0.5f, -0f); // relu passes -0: 0 + (-0) is +0
            if (n > 2) x[2] = -0f;
            var a = Random<float>(rng, n, 1);
            var b = new float[n];
            Vec.ReluBackwardInto<float>(x, dy, a);
            Vec.ReluBackward<float>(x, dy, b);
            FirstWriterTests.AssertSameBits(a, b, $"relu {n}");
            if (n > 1) Assert.AreEqual(0, BitConverter.SingleToInt32Bits(a[1]), "-0 passed by relu becomes +0");
            x[0] = -0f;
            Vec.ScaleInto(0.25f, x, a);
            Array.Clear(b);
            Vec.Axpy(0.25f, x, b);
            FirstWriterTests.AssertSameBits(a, b, $"scale {n}");
            Vec.CopyAsSum<float>(dy, a);
            Array.Clear(b);
            Vec.AddInPlace<float>(dy, b);
            FirstWriterTests.AssertSameBits(a, b, $"copy {n}");
        }
    }

    /// <summary>
    /// The softmax cross-entropy of every row at once (one exponential call over the buffer) gives
    /// the losses, exponentials and sums of one call per row, for every row length the fused path
    /// takes (4 on) and with NaN, infinities and signed zeros among the logits.
    /// </summary>
    [TestMethod]
    public void The_rows_at_once_softmax_gives_the_bits_of_one_call_per_row()
    {
        Check<float>();
        Assert.IsFalse(Vec.RowExpSameAsWhole<double>(10), "float64's vector exponentials differ with the vector width");

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var rng = new Random(14);
            T[] special = [T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Zero, T.NegativeZero, T.CreateChecked(-100), T.CreateChecked(90), T.CreateChecked(-800)];
            Assert.IsFalse(Vec.RowExpSameAsWhole<T>(3), "rows of fewer than 4 values go through the scalar exponential");
            foreach (int cols in new[] { 4, 5, 7, 8, 10, 13, 16, 17, 31, 64, 100 })
                foreach (int rows in new[] { 1, 3, 32 })
                    for (int trial = 0; trial < 6; trial++)
                    {
                        Assert.IsTrue(Vec.RowExpSameAsWhole<T>(cols));
                        int n = rows * cols;
                        var x = Random<T>(rng, n, trial < 3 ? 8 : 60);
                        var y = new T[n];
                        for (int r = 0; r < rows; r++)
                            if (trial % 2 == 0) y[r * cols + rng.Next(cols)] = T.One;
                            else for (int j = 0; j < cols; j++) y[r * cols + j] = T.CreateChecked(rng.NextDouble() / cols);
                        if (trial == 5)
                            for (int k = 0; k < Math.Min(n, 3 * special.Length); k += 3) x[(k * 7) % n] = special[k / 3];
                        var exp = new T[n];
                        var sums = new T[rows];
                        var maxes = new T[rows];
                        var losses = new T[rows];
                        Vec.SoftmaxCrossEntropyRowsKept<T>(x, y, rows, cols, exp, sums, maxes, losses);
                        var exp1 = new T[n];
                        var sums1 = new T[rows];
                        var losses1 = new T[rows];
                        for (int r = 0; r < rows; r++)
                            losses1[r] = Vec.SoftmaxCrossEntropyRowKept<T>(x.AsSpan(r * cols, cols), y.AsSpan(r * cols, cols), exp1.AsSpan(r * cols, cols), out sums1[r]);
                        string what = $"{typeof(T).Name} {rows} x {cols} trial {trial}";
                        FirstWriterTests.AssertSameBits(exp, exp1, $"{what} exponentials");
                        FirstWriterTests.AssertSameBits(sums, sums1, $"{what} sums");
                        FirstWriterTests.AssertSameBits(losses, losses1, $"{what} losses");
                    }
        }
    }

    /// <summary>The update and fault check in one pass: the values of y + a x, and a NaN or infinity found wherever it is (the four-vector loop, the one-vector loop, the scalar tail).</summary>
    [TestMethod]
    public void The_update_with_its_fault_check_gives_the_bits_of_the_plain_update_and_finds_every_fault()
    {
        var rng = new Random(15);
        foreach (int n in new[] { 1, 15, 16, 63, 64, 65, 127, 200, 1000 })
        {
            var x = Random<float>(rng, n, 1);
            var y = Random<float>(rng, n, 1);
            var a = (float[])y.Clone();
            var b = (float[])y.Clone();
            Assert.IsTrue(Vec.AxpyAllFinite(-0.1f, x, a));
            Vec.Axpy(-0.1f, x, b);
            FirstWriterTests.AssertSameBits(a, b, $"update {n}");
            Assert.IsTrue(Vec.AllFinite<float>(a));
            foreach (int at in new[] { 0, n / 2, n - 1 })
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    var c = (float[])y.Clone();
                    var xb = (float[])x.Clone();
                    xb[at] = bad;
                    Assert.IsFalse(Vec.AxpyAllFinite(-0.1f, xb, c), $"update {n}: {bad} at {at}");
                    c[at] = bad;
                    Assert.IsFalse(Vec.AllFinite<float>(c), $"check {n}: {bad} at {at}");
                }
        }
    }

    private static T[] Random<T>(Random rng, int n, double scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[n];
        for (int i = 0; i < n; i++) v[i] = T.CreateChecked((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }
}
