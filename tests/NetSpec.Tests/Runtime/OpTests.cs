using NetSpec.Runtime.Execution;

namespace NetSpec.Tests.Runtime;

/// <summary>Forward and backward of every op against values computed by hand, with batches of more than one row.</summary>
[TestClass]
public sealed class OpTests
{
    private static Interpreter<double> Run(string yaml)
    {
        var interp = new Interpreter<double>(SpecText.Load(yaml).Graph!);
        Assert.IsTrue(interp.Forward(1));
        if (interp.Graph.BackwardFrom >= 0) Assert.IsTrue(interp.Backward(1));
        return interp;
    }

    private static void AssertValues(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: [{string.Join(", ", actual)}]");
    }

    [TestMethod]
    public void Linear_multiplies_each_row_by_W_transposed_and_adds_the_bias()
    {
        var i = Run("""
            network: {z: {op: linear, x: x, W: W, b: b}}
            data: {x: [[1, 2], [3, 4]]}
            parameters: {W: [[1, 0], [0, 1], [1, 1]], b: [1, 2, 3]}
            backward: {from: z, grad: [[1, 0, 1], [0, 1, 1]]}
            """);
        AssertValues([2, 4, 6, 4, 6, 10], i.Value("z").Data);
        AssertValues([1, 2, 3, 4, 4, 6], i.Gradient("W")!.Data);   // G^T X
        AssertValues([1, 1, 2], i.Gradient("b")!.Data);             // column sums of G
        AssertValues([2, 1, 1, 2], i.Gradient("x")!.Data);          // G W
    }

    [TestMethod]
    public void Relu_passes_positive_values_and_their_gradient_only()
    {
        var i = Run("""
            network: {h: {op: relu, x: v}}
            data: {v: [[-1, 2, 0], [3, -4, 0.5]]}
            backward: {from: h, grad: [[5, 6, 9], [7, 8, 10]]}
            """);
        AssertValues([0, 2, 0, 3, 0, 0.5], i.Value("h").Data);
        AssertValues([0, 6, 0, 7, 0, 10], i.Gradient("v")!.Data);  // relu'(0) = 0
    }

    [TestMethod]
    public void L2_loss_averages_half_squared_errors_over_the_batch()
    {
        var i = Run("""
            network: {L: {op: l2_loss, o: o, y: y}}
            data: {o: [[1, 2], [3, 4]], y: [[0, 0], [3, 6]]}
            backward: {from: L}
            """);
        AssertValues([2.25], i.Value("L").Data);                     // (2.5 + 2) / 2
        AssertValues([0.5, 1, 0, -1], i.Gradient("o")!.Data);         // (o - y) / N
        Assert.IsNull(i.Gradient("y"), "targets get no gradient");
    }

    [TestMethod]
    public void Sum_adds_any_number_of_inputs_and_passes_the_gradient_to_each()
    {
        var i = Run("""
            network: {K: {op: sum, inputs: [a, b, c]}}
            data: {a: [1, 2], b: [3, 4], c: [5, 6]}
            backward: {from: K, grad: [7, -1]}
            """);
        AssertValues([9, 12], i.Value("K").Data);
        foreach (var n in new[] { "a", "b", "c" }) AssertValues([7, -1], i.Gradient(n)!.Data);
    }

    [TestMethod]
    public void A_value_used_twice_receives_both_gradient_contributions()
    {
        var i = Run("""
            network: {K: {op: sum, inputs: [a, a, b]}}
            data: {a: 2, b: 3}
            backward: {from: K}
            """);
        AssertValues([7], i.Value("K").Data);
        AssertValues([2], i.Gradient("a")!.Data);
        AssertValues([1], i.Gradient("b")!.Data);
    }

    [TestMethod]
    public void L2_regularization_sums_squared_norms_of_all_weights()
    {
        var i = Run("""
            network: {S: {op: l2_regularization, weights: [W1, W2], lambda: 0.5}}
            parameters: {W1: [[1, 2]], W2: [3]}
            backward: {from: S}
            """);
        AssertValues([3.5], i.Value("S").Data);                      // 0.25 * (1 + 4 + 9)
        AssertValues([0.5, 1], i.Gradient("W1")!.Data);               // lambda W
        AssertValues([1.5], i.Gradient("W2")!.Data);
    }

    [TestMethod]
    public void Softmax_normalises_each_row_and_backpropagates_through_its_jacobian()
    {
        var i = Run($$$"""
            network: {o: {op: softmax, x: x}}
            data: {x: [[0, {{{Math.Log(3):R}}}], [1000, 1000]]}
            backward: {from: o, grad: [[1, 0], [2, 5]]}
            """);
        AssertValues([0.25, 0.75, 0.5, 0.5], i.Value("o").Data);
        // o ⊙ (g - g·o): row 1 g·o = 0.25; row 2 g·o = 3.5
        AssertValues([0.1875, -0.1875, -0.75, 0.75], i.Gradient("x")!.Data);
    }

    [TestMethod]
    public void Cross_entropy_averages_over_the_batch_and_ignores_zero_targets()
    {
        var i = Run("""
            network: {L: {op: cross_entropy, o: o, y: y}}
            data: {o: [[0.25, 0.75], [0.5, 0.5]], y: [[0, 1], [1, 0]]}
            backward: {from: L}
            """);
        AssertValues([-(Math.Log(0.75) + Math.Log(0.5)) / 2], i.Value("L").Data);
        AssertValues([0, -1 / 1.5, -1, 0], i.Gradient("o")!.Data);   // -y / (N o)
    }

    [TestMethod]
    public void Softmax_cross_entropy_is_exact_for_large_logits()
    {
        var i = Run($$$"""
            network: {L: {op: softmax_cross_entropy, x: x, y: y}}
            data: {x: [[0, {{{Math.Log(3):R}}}], [1000, 0]], y: [[0, 1], [0, 1]]}
            backward: {from: L}
            """);
        AssertValues([(-Math.Log(0.75) + 1000) / 2], i.Value("L").Data);
        AssertValues([0.125, -0.125, 0.5, -0.5], i.Gradient("x")!.Data);  // (softmax - y) / N
    }
}
