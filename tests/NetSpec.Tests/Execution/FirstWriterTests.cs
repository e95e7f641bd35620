using System.Numerics;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;
using NetSpec.Tests.Runtime;

namespace NetSpec.Tests.Execution;

/// <summary>
/// The backward pass lets a gradient's first contributor overwrite its buffer instead of clearing
/// it and accumulating (<see cref="NetSpec.Runtime.Ops.Op.WritesFirstGradient"/>): every value,
/// gradient and update must be the same bits as with every buffer cleared and every op
/// accumulating, signed zeros included.
/// </summary>
[TestClass]
public sealed class FirstWriterTests
{
    public static IEnumerable<object[]> Specs =>
        Directory.GetFiles(TestPaths.Specs, "*.yaml").Order(StringComparer.Ordinal).Select(p => new object[] { Path.GetFileName(p) });

    [TestMethod]
    [DynamicData(nameof(Specs))]
    public void Every_worked_spec_steps_to_the_same_bits_with_and_without_overwriting(string name)
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, name));
        if (!loaded.Ok || loaded.Graph!.BackwardFrom < 0) return; // specs that do not load or have no backward are not about this
        Compare<double>(loaded.Graph!, 3);
        Compare<float>(loaded.Graph!, 3);
    }

    /// <summary>
    /// Dead relu units (their gradient +0, and -0 products in the weight gradient), a zero and a
    /// negative zero weight in the L2 term (λ · -0 = -0, which 0 + (-0) makes +0), a value listed
    /// twice by one sum, a value used by two nodes, and a loss whose gradient is exactly -0.
    /// </summary>
    [TestMethod]
    public void Signed_zeros_and_shared_values_give_the_same_bits()
    {
        string yaml = """
            netspec: 1
            name: zeros
            dtype: float32
            network:
              z1: {op: linear, x: x, W: W1, b: b1}
              h1: {op: relu, x: z1}
              z2: {op: linear, x: h1, W: W2, b: b2}
              L: {op: softmax_cross_entropy, x: z2, y: y}
              S: {op: l2_regularization, weights: [W1, W2, W1], lambda: 0.5}
              T: {op: l2_regularization, weights: [W2], lambda: 0}
              J: {op: sum, inputs: [L, S, L, T]}
            data:
              x: [[1, -2, 0], [-1, 0.5, 3], [0, 0, -0.0], [2, -1, 1]]
              y: [[1, 0], [0, 1], [1, 0], [0, 1]]
            parameters:
              W1: [[-0.0, 1, -1], [0, -2, 0.5], [-1, -1, -1]]
              b1: [0, -5, 0.25]
              W2: [[1, -0.0, 2], [0, 3, -1]]
              b2: [0, -0.0]
            backward: {from: J}
            optimizer: {type: sgd, learning_rate: 0.1, steps: 3}
            """;
        var graph = SpecText.Load(yaml).Graph!;
        Compare<float>(graph, 3);
        Compare<double>(graph, 3);
    }

    [TestMethod]
    public void The_first_contributor_is_told_to_overwrite_and_others_to_accumulate()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "digits.yaml")).Graph!;
        var interp = new Interpreter<float>(graph, new InterpreterOptions { DataGradients = false });
        Assert.IsTrue(interp.Forward(1) && interp.Backward(1));
        // W1's gradient: the L2 term runs first in the backward pass (it overwrites), the linear layer adds.
        var s = graph.Nodes.Single(n => n.Name == "S");
        var z1 = graph.Nodes.Single(n => n.Name == "z1");
        Assert.IsTrue(interp.ContextOf(s).Overwrites(0));
        Assert.IsFalse(interp.ContextOf(z1).Overwrites(1));
        Assert.IsTrue(interp.ContextOf(z1).Overwrites(2)); // b1: the linear layer is its only contributor
    }

    /// <summary>Runs <paramref name="steps"/> optimizer steps both ways and compares every value and gradient bit for bit after each.</summary>
    internal static void Compare<T>(NetworkGraph graph, int steps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = new Interpreter<T>(graph, new InterpreterOptions { StopOnNonFinite = false });
        var b = new Interpreter<T>(graph, new InterpreterOptions { StopOnNonFinite = false, FirstWriterOverwrites = false });
        var ra = new StepRunner<T>(a);
        var rb = new StepRunner<T>(b);
        // Garbage in the gradient buffers first: an overwritten buffer must not depend on its old contents.
        foreach (var v in graph.Values)
            if (a.GradientAt(v.Index) is { } g) g.Data.AsSpan().Fill(T.CreateChecked(12345.5));
        for (int step = 1; step <= steps; step++)
        {
            ra.Step(step);
            rb.Step(step);
            foreach (var v in graph.Values)
            {
                AssertSameBits(a.ValueAt(v.Index).Data, b.ValueAt(v.Index).Data, $"{typeof(T).Name} step {step} {v.Name}");
                if (b.GradientAt(v.Index) is { } gb)
                    AssertSameBits(a.GradientAt(v.Index)!.Data, gb.Data, $"{typeof(T).Name} step {step} dJ/d{v.Name}");
            }
        }
    }

    internal static void AssertSameBits<T>(T[] actual, T[] expected, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
            if (!BitsEqual(actual[i], expected[i]))
                Assert.Fail($"{what}[{i}]: {actual[i]} against {expected[i]} (the bits differ)");
    }

    private static bool BitsEqual<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? BitConverter.SingleToInt32Bits((float)(object)x) == BitConverter.SingleToInt32Bits((float)(object)y)
            : BitConverter.DoubleToInt64Bits((double)(object)x) == BitConverter.DoubleToInt64Bits((double)(object)y);
}
