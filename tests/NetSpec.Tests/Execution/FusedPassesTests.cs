using System.Numerics;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;
using NetSpec.Tests.Runtime;

namespace NetSpec.Tests.Execution;

/// <summary>
/// The fused passes (<see cref="InterpreterOptions.FusedPasses"/>: the softmax cross-entropy of
/// every row at once, a linear layer's bias with the relu after it) compute the numbers of the
/// plain passes they replace: every value, gradient and update must be the same bits with them
/// on and off, signed zeros and NaN included.
/// </summary>
[TestClass]
public sealed class FusedPassesTests
{
    public static IEnumerable<object[]> Specs => FirstWriterTests.Specs;

    [TestMethod]
    [DynamicData(nameof(Specs))]
    public void Every_worked_spec_steps_to_the_same_bits_with_and_without_fused_passes(string name)
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, name));
        if (!loaded.Ok) return; // specs that do not load are not about this
        Compare<double>(loaded.Graph!, 3);
        Compare<float>(loaded.Graph!, 3);
    }

    /// <summary>
    /// Dead and exactly-zero relu inputs (relu passes -0 as -0 forward), a NaN and an infinity in
    /// the logits (the fault is found at the same node either way), rows of 4 and 5 classes.
    /// </summary>
    [TestMethod]
    public void Zeros_and_faults_give_the_same_bits_and_the_same_fault()
    {
        foreach (string bad in new[] { "0.5", ".nan", ".inf", "-.inf" })
        {
            string yaml = $$"""
                netspec: 1
                name: fused
                dtype: float32
                network:
                  z1: {op: linear, x: x, W: W1, b: b1}
                  h1: {op: relu, x: z1}
                  z2: {op: linear, x: h1, W: W2, b: b2}
                  L: {op: softmax_cross_entropy, x: z2, y: y}
                  z3: {op: linear, x: h1, W: W3, b: b3}
                  L3: {op: softmax_cross_entropy, x: z3, y: y5}
                  J: {op: sum, inputs: [L, L3]}
                data:
                  x: [[1, -2, 0], [-1, 0.5, 3], [0, 0, -0.0], [2, -1, {{bad}}]]
                  y: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0.5, 0.5], [0, 0, 0, 1]]
                  y5: [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0.5, 0.5, 0], [0, 0, 0, 0, 1]]
                parameters:
                  W1: [[-0.0, 1, -1], [0, -2, 0.5], [-1, -1, -1]]
                  b1: [0, -5, -0.0]
                  W2: [[1, -0.0, 2], [0, 3, -1], [1, 1, 1], [-2, 0, 0.5]]
                  b2: [0, -0.0, 1, 2]
                  W3: [[1, -0.0, 2], [0, 3, -1], [1, 1, 1], [-2, 0, 0.5], [0, 0, 0]]
                  b3: [0, -0.0, 1, 2, -0.0]
                backward: {from: J}
                optimizer: {type: sgd, learning_rate: 0.1, steps: 3}
                """;
            var graph = SpecText.Load(yaml).Graph!;
            Compare<float>(graph, 3);
            Compare<double>(graph, 3);
        }
    }

    /// <summary>
    /// A NaN or infinity that only the backward pass makes (sqrt's gradient at 0, behind a relu
    /// whose mask hides some of it) is found, at the same node, whichever checks the plan skips.
    /// </summary>
    [TestMethod]
    public void A_fault_made_in_the_backward_pass_is_found_at_the_same_node()
    {
        string yaml = """
            netspec: 1
            name: backward-fault
            dtype: float32
            network:
              z1: {op: linear, x: x, W: W1, b: b1}
              h1: {op: relu, x: z1}
              r: {op: sqrt, x: h1}
              z2: {op: linear, x: r, W: W2, b: b2}
              L: {op: softmax_cross_entropy, x: z2, y: y}
            data:
              x: [[1, -2, 0], [-1, 0.5, 3]]
              y: [[1, 0, 0, 0], [0, 1, 0, 0]]
            parameters:
              W1: [[1, 1, 1], [0, -2, 0.5], [-1, -1, -1]]
              b1: [0, 0, 0]
              W2: [[1, -0.0, 2], [0, 3, -1], [1, 1, 1], [-2, 0, 0.5]]
              b2: [0, -0.0, 1, 2]
            backward: {from: L}
            optimizer: {type: sgd, learning_rate: 0.1, steps: 2}
            """;
        var graph = SpecText.Load(yaml).Graph!;
        Compare<float>(graph, 2);
        var interp = new Interpreter<float>(graph, new InterpreterOptions());
        Assert.IsTrue(interp.Forward(1));
        Assert.IsFalse(interp.Backward(1), "the infinite gradient of sqrt at 0 stops the pass");
        Assert.AreEqual("r", interp.Fault?.Node);
    }

    /// <summary>Runs <paramref name="steps"/> steps with and without fused passes and compares every value, gradient and fault after each.</summary>
    internal static void Compare<T>(NetworkGraph graph, int steps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = new Interpreter<T>(graph, new InterpreterOptions { StopOnNonFinite = false });
        var b = new Interpreter<T>(graph, new InterpreterOptions { StopOnNonFinite = false, FusedPasses = false });
        var ra = new StepRunner<T>(a);
        var rb = new StepRunner<T>(b);
        for (int step = 1; step <= Math.Max(1, steps); step++)
        {
            ra.Step(step);
            rb.Step(step);
            Assert.AreEqual(rb.Fault?.Node, ra.Fault?.Node, $"{typeof(T).Name} step {step}: the node of the first fault");
            Assert.AreEqual(rb.Fault?.Phase, ra.Fault?.Phase, $"{typeof(T).Name} step {step}: the phase of the first fault");
            foreach (var v in graph.Values)
            {
                FirstWriterTests.AssertSameBits(a.ValueAt(v.Index).Data, b.ValueAt(v.Index).Data, $"{typeof(T).Name} step {step} {v.Name}");
                if (b.GradientAt(v.Index) is { } gb)
                    FirstWriterTests.AssertSameBits(a.GradientAt(v.Index)!.Data, gb.Data, $"{typeof(T).Name} step {step} dJ/d{v.Name}");
            }
            if (graph.Optimizer is null) break;
        }
    }
}
