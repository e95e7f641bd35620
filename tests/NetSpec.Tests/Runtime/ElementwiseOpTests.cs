using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Kernels;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// The element-wise ops (add, sub, mul, relu, sum, reduce_sum) at ranks above 2, against values
/// computed by hand (the comments show the arithmetic) and checked with numpy 1.24 float64 broadcasting,
/// run through the op API on tensors of any rank, and at rank 2 through specs.
/// </summary>
[TestClass]
public sealed class ElementwiseOpTests
{
    private static Tensor<double> T(int[] dims, params double[] values) => Tensor<double>.FromDoubles(new Shape(dims), values);

    /// <summary>One node of <paramref name="op"/> over <paramref name="inputs"/> (the same tensor twice is one value used twice): forward, then backward from <paramref name="g"/>.</summary>
    private static (Tensor<double> Y, Tensor<double>[] Grads) Run(string op, Tensor<double>[] inputs, double[] g)
    {
        var o = OpRegistry.Find(op)!;
        var attrs = new AttributeValues([.. o.Attributes.Select(a => a.Default!)]);
        var result = o.Setup([.. inputs.Select(t => t.Shape)], [.. inputs.Select((_, i) => $"x{i}")], attrs);
        Assert.IsNotNull(result.Shape, result.Error);
        var y = new Tensor<double>(result.Shape);
        var grads = new Tensor<double>[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            int first = Array.FindIndex(inputs, t => ReferenceEquals(t, inputs[i]));
            grads[i] = first < i ? grads[first] : new Tensor<double>(inputs[i].Shape);
        }
        var ctx = new OpContext<double>(inputs, grads, y, Tensor<double>.FromDoubles(result.Shape, g), attrs);
        o.RunForward(ctx);
        o.RunBackward(ctx);
        return (y, grads);
    }

    private static void AssertValues(double[] expected, Tensor<double> actual, double tol = 1e-12)
    {
        Assert.HasCount(expected.Length, actual.Data);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: [{string.Join(", ", actual.Data)}]");
    }

    [TestMethod]
    public void Add_broadcasts_a_vector_over_a_rank_3_tensor_and_sums_its_gradient_over_the_repeated_axes()
    {
        var a = T([2, 3, 2], 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        var b = T([2], 10, -20);
        var (y, d) = Run("add", [a, b], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        Assert.AreEqual(new Shape(2, 3, 2), y.Shape);
        AssertValues([11, -18, 13, -16, 15, -14, 17, -12, 19, -10, 21, -8], y);
        AssertValues([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], d[0]);   // dJ/da = G
        AssertValues([36, 42], d[1]);                                    // 1+3+5+7+9+11, 2+4+6+8+10+12
    }

    [TestMethod]
    public void Mul_broadcasts_both_inputs_to_rank_3_and_reduces_each_gradient_to_its_own_shape()
    {
        // [2,1,2] ⊙ [3,1] -> [2,3,2]: y[i,j,k] = m[i,0,k] n[j,0].
        var m = T([2, 1, 2], 1, 2, 3, -1);
        var n = T([3, 1], 2, -1, 0.5);
        // G[i,j,k] = 1 + 6i + 2j + k
        var (y, d) = Run("mul", [m, n], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        Assert.AreEqual(new Shape(2, 3, 2), y.Shape);
        AssertValues([2, 4, -1, -2, 0.5, 1, 6, -2, -3, 1, 1.5, -0.5], y);
        // dJ/dm[i,0,k] = Σ_j G[i,j,k] n[j]: 1·2 - 3 + 5·0.5 = 1.5; 2·2 - 4 + 6·0.5 = 3; 7·2 - 9 + 11·0.5 = 10.5; 8·2 - 10 + 12·0.5 = 12
        AssertValues([1.5, 3, 10.5, 12], d[0]);
        // dJ/dn[j] = Σ_{i,k} G[i,j,k] m[i,0,k]: (1 + 4) + (21 - 8) = 18; (3 + 8) + (27 - 10) = 28; (5 + 12) + (33 - 12) = 38
        AssertValues([18, 28, 38], d[1]);
    }

    [TestMethod]
    public void Mul_of_a_value_with_itself_receives_both_gradient_contributions()
    {
        var x = T([2, 1, 2], 1, -2, 3, 0.5);
        var (y, d) = Run("mul", [x, x], [1, 1, 2, -1]);
        AssertValues([1, 4, 9, 0.25], y);
        Assert.AreSame(d[0], d[1]);
        AssertValues([2, -4, 12, -1], d[0]);   // 2 x ⊙ G
    }

    [TestMethod]
    public void Sub_of_a_rank_3_tensor_from_a_scalar_sums_the_scalars_gradient()
    {
        var s = T([], 1);
        var x = T([1, 2, 2], 1, 2, 3, 4);
        var (y, d) = Run("sub", [s, x], [1, 2, 3, 4]);
        Assert.AreEqual(new Shape(1, 2, 2), y.Shape);
        AssertValues([0, -1, -2, -3], y);
        AssertValues([10], d[0]);               // Σ G
        AssertValues([-1, -2, -3, -4], d[1]);   // -G
    }

    [TestMethod]
    public void Sub_broadcasts_a_column_against_a_rank_4_tensor()
    {
        // [1,2,1,2] - [2,1] -> [1,2,2,2]: y[0,i,j,k] = a[0,i,0,k] - b[j,0]
        var a = T([1, 2, 1, 2], 1, 2, 3, 4);
        var b = T([2, 1], 10, 20);
        var (y, d) = Run("sub", [a, b], [1, 1, 1, 1, 1, 1, 1, 1]);
        Assert.AreEqual(new Shape(1, 2, 2, 2), y.Shape);
        AssertValues([-9, -8, -19, -18, -7, -6, -17, -16], y);
        AssertValues([2, 2, 2, 2], d[0]);   // each a element is read by both j
        AssertValues([-4, -4], d[1]);       // each b element is read by 2 i x 2 k, with sign -1
    }

    [TestMethod]
    public void Relu_of_a_rank_3_tensor_keeps_the_shape_and_passes_gradient_where_positive()
    {
        var x = T([2, 2, 2], -1, 2, 0, 3, -4, 0.5, 1, -0.1);
        var (y, d) = Run("relu", [x], [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.AreEqual(new Shape(2, 2, 2), y.Shape);
        AssertValues([0, 2, 0, 3, 0, 0.5, 1, 0], y);
        AssertValues([0, 2, 0, 4, 0, 6, 7, 0], d[0]);   // relu'(0) = 0
    }

    [TestMethod]
    public void Sum_of_rank_3_inputs_with_one_listed_twice_gives_it_twice_the_gradient()
    {
        var a = T([2, 1, 2], 1, 2, 3, 4);
        var b = T([2, 1, 2], 10, 20, 30, 40);
        var (y, d) = Run("sum", [a, b, a], [1, -1, 2, 0.5]);
        AssertValues([12, 24, 36, 48], y);        // 2a + b
        AssertValues([2, -2, 4, 1], d[0]);        // 2G
        AssertValues([1, -1, 2, 0.5], d[1]);      // G
    }

    [TestMethod]
    public void Reduce_sum_of_a_rank_3_tensor_is_a_scalar_whose_gradient_reaches_every_element()
    {
        var x = T([2, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8);
        var (y, d) = Run("reduce_sum", [x], [0.5]);
        Assert.AreEqual(Shape.Scalar, y.Shape);
        AssertValues([36], y);
        AssertValues([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], d[0]);
    }

    [TestMethod]
    public void Shapes_that_do_not_broadcast_are_refused_before_anything_runs()
    {
        var r = OpRegistry.Find("add")!.Setup([new Shape(2, 3, 4), new Shape(3, 1, 3)], ["A", "B"], AttributeValues.Empty);
        Assert.IsNull(r.Shape);
        StringAssert.Contains(r.Error, "A is 2x3x4 and B is 3x1x3: they do not broadcast");
    }

    [TestMethod]
    public void The_broadcast_plan_walks_equal_shapes_in_one_block_and_a_bias_row_by_row()
    {
        var same = Broadcast.Plan(new Shape(4, 3), new Shape(4, 3), new Shape(4, 3));
        Assert.AreEqual(1, same.Blocks);
        Assert.AreEqual(12, same.Block);

        var scalar = Broadcast.Plan(new Shape(2, 3, 4), Shape.Scalar, new Shape(2, 3, 4));
        Assert.AreEqual(1, scalar.Blocks);
        Assert.IsTrue(scalar.AFull);
        Assert.IsFalse(scalar.BFull);

        var bias = Broadcast.Plan(new Shape(5, 3), new Shape(3), new Shape(5, 3));
        Assert.AreEqual(3, bias.Block);
        CollectionAssert.AreEqual(new[] { 0, 3, 6, 9, 12 }, bias.StartsA);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0 }, bias.StartsB);

        // [2,1,4] and [3,1] -> [2,3,4]: a runs along each row of 4, b repeats one element.
        var both = Broadcast.Plan(new Shape(2, 1, 4), new Shape(3, 1), new Shape(2, 3, 4));
        Assert.AreEqual(4, both.Block);
        Assert.IsTrue(both.AFull);
        Assert.IsFalse(both.BFull);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 4, 4, 4 }, both.StartsA);
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 0, 1, 2 }, both.StartsB);
    }

    [TestMethod]
    public void Add_broadcasts_a_bias_over_the_rows_of_a_spec()
    {
        var i = Run("""
            network: {Y: {op: add, a: A, b: b}}
            data: {A: [[1, 2, 3], [4, 5, 6]]}
            parameters: {b: [10, 20, 30]}
            backward: {from: Y, grad: [[1, 0, 2], [3, 1, -1]]}
            """);
        AssertValues([11, 22, 33, 14, 25, 36], i.Value("Y"));
        AssertValues([1, 0, 2, 3, 1, -1], i.Gradient("A")!);
        AssertValues([4, 1, 1], i.Gradient("b")!);   // column sums of G
    }

    [TestMethod]
    public void Mul_of_a_column_and_a_row_in_a_spec_is_their_outer_product()
    {
        var i = Run("""
            network: {Y: {op: mul, a: A, b: B}}
            data: {A: [[1], [2]], B: [[3, 4, 5]]}
            backward: {from: Y, grad: [[1, 1, 1], [1, 0, 2]]}
            """);
        AssertValues([3, 4, 5, 6, 8, 10], i.Value("Y"));
        AssertValues([12, 13], i.Gradient("A")!);     // Σ_j G[r,j] B[j]: 3+4+5, 3+0+10
        AssertValues([3, 1, 5], i.Gradient("B")!);    // Σ_r G[r,j] A[r]: 1+2, 1+0, 1+4
    }

    private static Interpreter<double> Run(string yaml)
    {
        var interp = new Interpreter<double>(SpecText.Load(yaml).Graph!);
        Assert.IsTrue(interp.Forward(1));
        Assert.IsTrue(interp.Backward(1));
        return interp;
    }

    /// <summary>
    /// Every gradient case of the element-wise ops, ranks 3 and 4 included, checked at the op level
    /// (central differences of J = Σ G ⊙ y) without going through spec literals; backward run twice
    /// must give twice the gradient (accumulation).
    /// </summary>
    [TestMethod]
    [DataRow("add")]
    [DataRow("sub")]
    [DataRow("mul")]
    [DataRow("relu")]
    [DataRow("sum")]
    [DataRow("reduce_sum")]
    public void Every_gradient_case_passes_an_op_level_central_difference_check(string name)
    {
        var op = OpRegistry.Find(name)!;
        var attrs = new AttributeValues([.. op.Attributes.Select(a => a.Default!)]);
        var rng = new Random(11);
        foreach (int batch in new[] { 1, 3 })
            foreach (var c in op.GradientCases(batch))
            {
                var inputs = new Tensor<double>[c.InputShapes.Count];
                for (int i = 0; i < inputs.Length; i++)
                {
                    var shared = c.Shared.FirstOrDefault(g => g.Contains(i) && g[0] != i);
                    inputs[i] = shared is not null ? inputs[shared[0]] : Tensor<double>.FromDoubles(new Shape(c.InputShapes[i]),
                        [.. Enumerable.Range(0, new Shape(c.InputShapes[i]).Length).Select(_ => Away(2 * rng.NextDouble() - 1))]);
                }
                var yShape = op.Setup([.. inputs.Select(t => t.Shape)], [.. inputs.Select((_, i) => $"x{i}")], attrs).Shape!;
                var g = Tensor<double>.FromDoubles(yShape, [.. Enumerable.Range(0, yShape.Length).Select(_ => 2 * rng.NextDouble() - 1)]);
                var grads = new Tensor<double>[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                {
                    int first = Array.FindIndex(inputs, t => ReferenceEquals(t, inputs[i]));
                    grads[i] = first < i ? grads[first] : new Tensor<double>(inputs[i].Shape);
                }
                var y = new Tensor<double>(yShape);
                var ctx = new OpContext<double>(inputs, grads, y, g, attrs);
                op.RunForward(ctx);
                op.RunBackward(ctx);
                var once = grads.Select(t => t.ToDoubles()).ToArray();
                op.RunBackward(ctx);
                double J()
                {
                    op.RunForward(ctx);
                    double s = 0;
                    for (int k = 0; k < y.Length; k++) s += g[k] * y[k];
                    return s;
                }
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (Array.FindIndex(inputs, t => ReferenceEquals(t, inputs[i])) < i) continue;
                    var x = inputs[i];
                    for (int k = 0; k < x.Length; k++)
                    {
                        double orig = x[k], h = 1e-6;
                        x[k] = orig + h;
                        double plus = J();
                        x[k] = orig - h;
                        double minus = J();
                        x[k] = orig;
                        double numeric = (plus - minus) / (2 * h);
                        string where = $"{name} '{c.Label}' batch {batch}: d/dx{i}[{k}]";
                        Assert.AreEqual(numeric, once[i][k], 1e-7 * Math.Max(1, Math.Abs(numeric)), where);
                        Assert.AreEqual(2 * once[i][k], grads[i][k], 1e-12 * Math.Max(1, Math.Abs(once[i][k])), where + " after a second backward (accumulation)");
                    }
                }
            }
    }

    /// <summary>At least 0.01 from 0, so a step of 1e-6 never crosses relu's kink.</summary>
    private static double Away(double u) => Math.CopySign(0.01 + 0.99 * Math.Abs(u), u);
}
