using NetSpec.Runtime.Kernels;
using System.Numerics;
using NetSpec.Runtime.Training;
using NetSpec.Tests.Execution;
using NetSpec.Tests.Runtime;

namespace NetSpec.Tests.Training;

/// <summary>
/// Training at 1 and 2 threads gives the same bits: the matrix products split into fixed parts,
/// and so do the full passes over large weights and gradients (the update, the L2 term's
/// gradient, clears and fault checks, <c>VecParallel</c>). The network is wide enough (a
/// 512 x 512 weight, 262,144 elements) for every one of those passes to be split in two.
/// </summary>
[TestClass]
public sealed class ThreadCountTests
{
    private const string Yaml = """
        netspec: 1
        name: wide-threads
        dtype: DTYPE
        dataset:
          synthetic: {samples: 96, test_samples: 32, features: 144, classes: 10, seed: 3}
          inputs: x
          targets: y
        network:
          z1: {op: linear, x: x, W: W1, b: b1}
          h1: {op: relu, x: z1}
          z2: {op: linear, x: h1, W: W2, b: b2}
          h2: {op: relu, x: z2}
          o: {op: linear, x: h2, W: W3, b: b3}
          L: {op: softmax_cross_entropy, x: o, y: y}
          S: {op: l2_regularization, weights: [W1, W2, W3], lambda: 1e-3}
          J: {op: sum, inputs: [L, S]}
        parameters:
          W1: {init: he_normal, shape: [512, 144], seed: 1}
          b1: {init: zeros, shape: [512]}
          W2: {init: he_normal, shape: [512, 512], seed: 2}
          b2: {init: zeros, shape: [512]}
          W3: {init: he_normal, shape: [10, 512], seed: 3}
          b3: {init: zeros, shape: [10]}
        backward: {from: J}
        optimizer: {type: sgd, learning_rate: 0.05}
        training:
          epochs: 2
          batch_size: 40
          shuffle: true
          seed: 0
          accuracy_of: o
          trace: {steps: []}
        """;

    [TestMethod]
    public void A_wide_network_trains_to_the_same_bits_at_1_and_2_threads()
    {
        Check<float>("float32");
        Check<double>("float64");

        static void Check<T>(string dtype) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var graph = SpecText.Load(Yaml.Replace("DTYPE", dtype, StringComparison.Ordinal)).Graph!;
            var one = new Trainer<T>(graph, graph.Dataset!, new TrainingRunOptions { Threads = 1 });
            var two = new Trainer<T>(graph, graph.Dataset!, new TrainingRunOptions { Threads = 2 });
            var (r1, f1) = one.Train();
            var (r2, f2) = two.Train();
            Assert.IsNull(f1);
            Assert.IsNull(f2);
            for (int i = 0; i < r1.History.Count; i++)
                Assert.AreEqual(r1.History[i].TrainLoss, r2.History[i].TrainLoss, $"{dtype} epoch {i + 1} loss");
            Assert.AreEqual(r1.TestLoss, r2.TestLoss, dtype);
            foreach (var ((name, a), (_, b)) in one.Parameters.Zip(two.Parameters))
                FirstWriterTests.AssertSameBits(b.Data, a.Data, $"{dtype} {name}");
        }
    }

    [TestMethod]
    public void The_split_passes_give_each_element_what_one_thread_gives()
    {
        var rng = new Random(5);
        int n = 3 * VecParallel.MinPart + 77; // three parts' worth and a remainder: parts of unequal length
        var x = new float[n];
        var y0 = new float[n];
        for (int i = 0; i < n; i++) (x[i], y0[i]) = ((float)(rng.NextDouble() * 2 - 1), (float)(rng.NextDouble() * 2 - 1));
        x[5] = -0f;
        foreach (int threads in new[] { 2, 3, 4 })
        {
            float[] a = (float[])y0.Clone(), b = (float[])y0.Clone();
            Assert.IsTrue(VecParallel.AxpyAllFinite(-0.1f, x, a, threads));
            Assert.IsTrue(NetSpec.Runtime.Kernels.Vec.AxpyAllFinite(-0.1f, x, b));
            FirstWriterTests.AssertSameBits(a, b, $"axpy, {threads} threads");
            VecParallel.ScaleInto(0.3f, x, a, threads);
            NetSpec.Runtime.Kernels.Vec.ScaleInto(0.3f, x, b);
            FirstWriterTests.AssertSameBits(a, b, $"scale, {threads} threads");
            Assert.AreEqual(0, BitConverter.SingleToInt32Bits(a[5]), "0.3 · -0 + 0 is +0");
            a[n - 1] = float.NaN;
            Assert.IsFalse(VecParallel.AllFinite<float>(a, threads), "a NaN in the last part");
            Assert.IsFalse(VecParallel.AxpyAllFinite(1f, x, a, threads));
            a[n - 1] = 0;
            a[1] = float.PositiveInfinity;
            Assert.IsFalse(VecParallel.AllFinite<float>(a, threads), "an infinity in the first part");
            VecParallel.Clear<float>(a, threads);
            Assert.IsTrue(a.All(v => BitConverter.SingleToInt32Bits(v) == 0));
        }
    }
}
