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
    [TestMethod]
    public void Gemm_scales_the_transposed_product_and_adds_the_broadcast_bias()
    {
        // op(A) = A^T = [[1, 3], [2, 4]]; op(A) B = [[1, 3, 5], [2, 4, 8]]; Y = 2 op(A) B + 0.5 [10, 20, 30].
        var i = Run("""
            network: {Y: {op: gemm, a: A, b: B, c: C, alpha: 2, beta: 0.5, trans_a: 1}}
            data: {A: [[1, 2], [3, 4]]}
            parameters: {B: [[1, 0, 2], [0, 1, 1]], C: [10, 20, 30]}
            backward: {from: Y, grad: [[1, 0, 1], [0, 1, 0]]}
            """);
        AssertValues([7, 16, 25, 9, 18, 31], i.Value("Y").Data);
        AssertValues([6, 0, 2, 2], i.Gradient("A")!.Data);          // (2 G B^T)^T = [[6, 2], [0, 2]]^T
        AssertValues([2, 4, 2, 6, 8, 6], i.Gradient("B")!.Data);    // 2 op(A)^T G = 2 A G
        AssertValues([0.5, 0.5, 0.5], i.Gradient("C")!.Data);       // 0.5 x column sums of G
    }

    [TestMethod]
    public void Matmul_multiplies_two_matrices()
    {
        var i = Run("""
            network: {Y: {op: matmul, a: A, b: B}}
            data: {A: [[1, 2], [3, 4]]}
            parameters: {B: [[5], [6]]}
            backward: {from: Y, grad: [[1], [2]]}
            """);
        AssertValues([17, 39], i.Value("Y").Data);
        AssertValues([5, 6, 10, 12], i.Gradient("A")!.Data);   // G B^T
        AssertValues([7, 10], i.Gradient("B")!.Data);          // A^T G
    }

    [TestMethod]
    public void Add_broadcasts_a_vector_over_rows_and_sums_its_gradient_over_them()
    {
        var i = Run("""
            network: {Y: {op: add, a: A, b: B}}
            data: {A: [[1, 2], [3, 4]]}
            parameters: {B: [10, 20]}
            backward: {from: Y, grad: [[1, 2], [3, 4]]}
            """);
        AssertValues([11, 22, 13, 24], i.Value("Y").Data);
        AssertValues([1, 2, 3, 4], i.Gradient("A")!.Data);
        AssertValues([4, 6], i.Gradient("B")!.Data);
    }

    [TestMethod]
    public void Sub_broadcasts_a_column_against_a_row()
    {
        var i = Run("""
            network: {Y: {op: sub, a: A, b: B}}
            data: {A: [[1], [2]]}
            parameters: {B: [[1, 2, 3]]}
            backward: {from: Y, grad: [[1, 1, 1], [1, 1, 1]]}
            """);
        AssertValues([0, -1, -2, 1, 0, -1], i.Value("Y").Data);
        AssertValues([3, 3], i.Gradient("A")!.Data);            // row sums of G
        AssertValues([-2, -2, -2], i.Gradient("B")!.Data);      // minus column sums of G
    }

    [TestMethod]
    public void Mul_by_a_scalar_gets_the_sum_of_g_times_the_other_input_as_the_scalar_s_gradient()
    {
        var i = Run("""
            network: {Y: {op: mul, a: A, b: s}}
            data: {A: [[1, 2], [3, 4]]}
            parameters: {s: 3}
            backward: {from: Y, grad: [[1, 1], [1, 2]]}
            """);
        AssertValues([3, 6, 9, 12], i.Value("Y").Data);
        AssertValues([3, 3, 3, 6], i.Gradient("A")!.Data);      // 3 G
        AssertValues([14], i.Gradient("s")!.Data);               // 1*1 + 1*2 + 1*3 + 2*4
    }

    [TestMethod]
    public void Reduce_sum_adds_every_element_and_passes_the_gradient_to_each()
    {
        var i = Run("""
            network: {s: {op: reduce_sum, x: x}}
            data: {x: [[1, 2], [3, 4]]}
            backward: {from: s}
            """);
        AssertValues([10], i.Value("s").Data);
        AssertValues([1, 1, 1, 1], i.Gradient("x")!.Data);
    }

    [TestMethod]
    public void Softmax_cross_entropy_rows_gives_one_loss_per_sample()
    {
        // Row 1: softmax [0, 0] = [1/2, 1/2], L = ln 2. Row 2: softmax [ln 3, 0] = [3/4, 1/4], L = -ln(1/4) = ln 4.
        var i = Run("""
            network: {L: {op: softmax_cross_entropy_rows, x: x, y: y}}
            data: {x: [[0, 0], [1.0986122886681098, 0]], y: [[1, 0], [0, 1]]}
            backward: {from: L, grad: [1, 2]}
            """);
        AssertValues([Math.Log(2), Math.Log(4)], i.Value("L").Data);
        AssertValues([-0.5, 0.5, 1.5, -1.5], i.Gradient("x")!.Data);   // g_n (softmax(x_n) - y_n)
    }
}
