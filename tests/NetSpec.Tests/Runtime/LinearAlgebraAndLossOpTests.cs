using System.Globalization;
using NetSpec.Runtime;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// linear, matmul, gemm, softmax, the cross-entropy losses, l2_loss and l2_regularization on
/// tensors of rank above 2, run directly through <see cref="Op.Setup"/>, <see cref="Op.RunForward{T}"/>
/// and <see cref="Op.RunBackward{T}"/> (specs cannot write rank-3 data yet). Expected values are
/// torch float64 autograd results written as literals: LinearAlgebraAndLossOpTests.py beside this
/// file prints every one of them (inputs <see cref="Seq"/>, upstream gradient Seq(output shape, 9)).
/// Every gradient-check case the ops declare is also checked against central differences.
/// </summary>
[TestClass]
public sealed class LinearAlgebraAndLossOpTests
{
    private static readonly string[] OpNames =
        ["linear", "matmul", "gemm", "softmax", "cross_entropy", "softmax_cross_entropy", "softmax_cross_entropy_rows", "l2_loss", "l2_regularization"];

    /// <summary>Element i (row-major) is ((7 i + s) mod 11 - 5) / 4: F(shape, s) of the Python script.</summary>
    private static Tensor<double> Seq(int[] shape, int s)
    {
        var t = new Tensor<double>(new Shape(shape));
        for (int i = 0; i < t.Length; i++) t[i] = ((7 * i + s) % 11 - 5) / 4.0;
        return t;
    }

    private static Tensor<double> Of(int[] shape, params double[] values) => new(new Shape(shape), values);

    /// <summary>The attribute values of <paramref name="op"/>: those given (as a spec writes them), defaults for the rest.</summary>
    private static AttributeValues Attributes(Op op, IReadOnlyList<(string Name, string Yaml)> given)
    {
        var values = op.Attributes.Select(a =>
        {
            var g = given.Where(x => x.Name == a.Name).ToList();
            if (g.Count == 0) return a.Default ?? throw new AssertFailedException($"{op.Name} needs attribute {a.Name}");
            string text = g[0].Yaml;
            return a.Type == AttributeType.Flag ? AttributeValue.Of(text is "1" or "true")
                : a.Type == AttributeType.Enum ? AttributeValue.Of(text)
                : a.Type == AttributeType.IntegerList ? AttributeValue.Of(text.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray())
                : AttributeValue.Of(double.Parse(text, CultureInfo.InvariantCulture));
        });
        return new AttributeValues([.. values]);
    }

    /// <summary>One node run forward and backward; its context keeps the output and the input gradients.</summary>
    private sealed class Node
    {
        public required Op Op { get; init; }
        public required OpContext<double> Context { get; init; }
        public required Tensor<double>[] Inputs { get; init; }
        public required Tensor<double>?[] Grads { get; init; }
        public required Tensor<double> Output { get; init; }
        public required Tensor<double> Seed { get; init; }

        /// <summary>J = Σ Seed ⊙ output after a fresh forward pass.</summary>
        public double Objective()
        {
            Op.RunForward(Context);
            double j = 0;
            for (int i = 0; i < Output.Length; i++) j += Seed[i] * Output[i];
            return j;
        }
    }

    /// <summary>Sets up a node over <paramref name="inputs"/> (the same tensor twice shares one gradient buffer) seeded with Seq(output, 9).</summary>
    private static Node Build(string opName, Tensor<double>[] inputs, params (string Name, string Yaml)[] attributes)
    {
        var op = OpRegistry.Find(opName)!;
        var attrs = Attributes(op, attributes);
        var result = op.Setup([.. inputs.Select(t => t.Shape)], [.. inputs.Select((_, k) => $"in{k}")], attrs);
        Assert.IsNull(result.Error, result.Error);
        var grads = new Tensor<double>?[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            var slot = op.Inputs[op.Inputs.Count == 1 && op.Inputs[0].IsList ? 0 : k];
            int first = Array.FindIndex(inputs, t => ReferenceEquals(t, inputs[k]));
            grads[k] = !slot.Differentiable ? null : first < k ? grads[first] : new Tensor<double>(inputs[k].Shape);
        }
        var output = new Tensor<double>(result.Shape!);
        var seed = Seq(result.Shape!.ToArray(), 9);
        var ctx = new OpContext<double>(inputs, grads, output, seed, attrs, node: "n");
        return new Node { Op = op, Context = ctx, Inputs = inputs, Grads = grads, Output = output, Seed = seed };
    }

    private static Node Run(string opName, Tensor<double>[] inputs, params (string Name, string Yaml)[] attributes)
    {
        var n = Build(opName, inputs, attributes);
        n.Op.RunForward(n.Context);
        n.Op.RunBackward(n.Context);
        return n;
    }

    private static void AssertValues(double[] expected, Tensor<double> actual, double tol = 1e-12)
    {
        Assert.HasCount(expected.Length, actual.Data);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: [{string.Join(", ", actual.Data)}]");
    }

    private static void AssertShape(int[] expected, Shape actual) => Assert.AreEqual(new Shape(expected), actual, $"shape {actual}");

    // torch.nn.functional.linear(F([2,2,3], 0), F([2,3], 1), F([2], 2))
    [TestMethod]
    public void Linear_applies_over_the_last_axis_of_a_rank_3_input_as_one_product()
    {
        var n = Run("linear", [Seq([2, 2, 3], 0), Seq([2, 3], 1), Seq([2], 2)]);
        AssertShape([2, 2, 2], n.Output.Shape);
        AssertValues([1.0, 3.0625, -1.625, -0.0625, -1.5, 0.25, -1.375, 0.5625], n.Output);
        AssertValues([-1.0, 0.75, -0.25, 0.0625, -0.375, -0.125, 1.8125, -0.8125, 0.6875, 0.125, 0.125, 0.125], n.Grads[0]!);
        AssertValues([-2.375, 0.125, -0.125, -0.6875, 0.3125, 1.3125], n.Grads[1]!);   // summed over all 4 samples
        AssertValues([0.25, -1.0], n.Grads[2]!);
    }

    // torch.nn.functional.linear(F([3], 0), F([2,3], 1), F([2], 2)): a vector is one sample
    [TestMethod]
    public void Linear_takes_a_vector_as_one_sample_and_gives_a_vector()
    {
        var n = Run("linear", [Seq([3], 0), Seq([2, 3], 1), Seq([2], 2)]);
        AssertShape([2], n.Output.Shape);
        AssertValues([1.0, 3.0625], n.Output);
        AssertValues([-1.0, 0.75, -0.25], n.Grads[0]!);
        AssertValues([-1.25, 0.5, -0.5, 0, 0, 0], n.Grads[1]!);
        AssertValues([1.0, 0.0], n.Grads[2]!);
        var row = Run("linear", [Seq([3], 0), Seq([2, 3], 1), new Tensor<double>(new Shape(1, 2), [.. Seq([2], 2).Data])]);
        AssertValues([1.0, 3.0625], row.Output);   // a 1 x out bias is the same bias
    }

    // torch.matmul(F([2,2,3], 0), F([3,2], 1)): b has no batch axes, so a is one 4 x 3 matrix
    [TestMethod]
    public void Matmul_multiplies_a_stack_by_one_matrix()
    {
        var n = Run("matmul", [Seq([2, 2, 3], 0), Seq([3, 2], 1)]);
        AssertShape([2, 2, 2], n.Output.Shape);
        AssertValues([0.875, -1.3125, -1.6875, 1.0, -1.5, 1.25, -1.3125, 1.5], n.Output);
        AssertValues([-1.0, -0.25, 0.5, 1.5625, -0.6875, -0.875, -0.6875, 1.625, 0.5, -0.875, 0.5, 0.5], n.Grads[0]!);
        AssertValues([-2.375, -0.6875, 0.125, 0.3125, -0.125, 1.3125], n.Grads[1]!);
    }

    // torch.matmul(F([2,1,2,3], 0), F([3,3,2], 1)): batch axes 2x1 and 3 broadcast to 2x3
    [TestMethod]
    public void Matmul_broadcasts_batch_axes_and_sums_their_gradients()
    {
        var n = Run("matmul", [Seq([2, 1, 2, 3], 0), Seq([3, 3, 2], 1)]);
        AssertShape([2, 3, 2, 2], n.Output.Shape);
        AssertValues([0.875, -1.3125, -1.6875, 1.0, -1.9375, 0.6875, 1.375, 1.3125, -1.3125, -0.0625, 1.0, -1.125,
            -1.5, 1.25, -1.3125, 1.5, 1.25, 1.25, 1.125, 1.1875, 1.25, -1.5, 1.5, -1.875], n.Output);
        AssertValues([-0.75, -2.75, 1.4375, 1.25, -0.125, 1.25, -1.8125, 2.0, -1.0625, -0.5, 0.5, -1.25], n.Grads[0]!);
        AssertValues([-1.9375, -0.25, 0.0625, 0.25, -0.6875, 0.75, -0.6875, 2.375, 0.125, -1.0625, 1.625, -1.0625,
            -1.5, 0.1875, 0.1875, 0.375, -1.5625, -0.125], n.Grads[1]!);
    }

    // torch.matmul(F([3], 0), F([2,3,2], 1)) and torch.matmul(F([2,2,3], 0), F([3], 1))
    [TestMethod]
    public void Matmul_promotes_a_vector_and_removes_the_added_axis()
    {
        var left = Run("matmul", [Seq([3], 0), Seq([2, 3, 2], 1)]);
        AssertShape([2, 2], left.Output.Shape);
        AssertValues([0.875, -1.3125, -1.9375, 0.6875], left.Output);
        AssertValues([-2.0625, 1.25, -0.25], left.Grads[0]!);
        AssertValues([-1.25, 0, 0.5, 0, -0.5, 0, 1.25, -0.9375, -0.5, 0.375, 0.5, -0.375], left.Grads[1]!);

        var right = Run("matmul", [Seq([2, 2, 3], 0), Seq([3], 1)]);
        AssertShape([2, 2], right.Output.Shape);
        AssertValues([1.75, -0.875, -0.75, -0.625], right.Output);
        AssertValues([-1.0, 0.75, -0.25, 0, 0, 0, 1.0, -0.75, 0.25, -0.75, 0.5625, -0.1875], right.Grads[0]!);
        AssertValues([-1.6875, 0.3125, -0.4375], right.Grads[1]!);

        var dot = Run("matmul", [Of([3], 1, 2, 3), Of([3], 4, -5, 6)]);
        AssertShape([], dot.Output.Shape);
        AssertValues([12], dot.Output);   // 4 - 10 + 18
    }

    [TestMethod]
    public void Matmul_shapes_follow_numpy()
    {
        var op = OpRegistry.Find("matmul")!;
        Shape? Y(int[] a, int[] b) => op.Setup([new Shape(a), new Shape(b)], ["A", "B"], AttributeValues.Empty).Shape;
        AssertShape([2, 5, 3, 2], Y([2, 1, 3, 4], [5, 4, 2])!);
        AssertShape([7, 2, 3, 5], Y([7, 2, 3, 4], [4, 5])!);
        AssertShape([3], Y([4], [4, 3])!);
        AssertShape([3], Y([3, 4], [4])!);
        Assert.IsNull(Y([2, 3, 4], [3, 4, 5]));
        Assert.AreEqual("A is 2x3x4 and B is 3x4x5: their batch axes (2 and 3) do not broadcast",
            op.Setup([new Shape(2, 3, 4), new Shape(3, 4, 5)], ["A", "B"], AttributeValues.Empty).Error);
        Assert.AreEqual("A is 2x3 but B is 4x5: inner sizes differ (3 and 4)",
            op.Setup([new Shape(2, 3), new Shape(4, 5)], ["A", "B"], AttributeValues.Empty).Error);
    }

    // torch.softmax(F([2,3,2], 0), 1)
    [TestMethod]
    public void Softmax_along_axis_1_of_a_rank_3_input()
    {
        var n = Run("softmax", [Seq([2, 3, 2], 0)], ("axis", "1"));
        AssertValues([0.13160164714691436, 0.2938147747114895, 0.278600689196273, 0.6220058829452726, 0.5897976636568126, 0.08417934234323783,
            0.7033139760217739, 0.2938147747114895, 0.095183196149175, 0.6220058829452726, 0.20150282782905093, 0.08417934234323783], n.Output);
        AssertValues([0.17035154921478807, -0.10614947064266506, -0.19656714587484486, 0.24178598109500588, 0.026215596660056788, -0.13563651045234076,
            0.1269419396744985, -0.17416559053399944, 0.0885671204723345, 0.09779585415512126, -0.21550906014683296, 0.07636973637887819], n.Grads[0]!);
    }

    [TestMethod]
    public void Softmax_along_a_middle_axis_equals_the_row_kernel_on_the_transposed_input()
    {
        var x = Seq([2, 3, 4], 3);
        var t = new Tensor<double>(new Shape(2, 4, 3));   // t[a, c, b] = x[a, b, c]
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++) t[(a * 4 + c) * 3 + b] = x[(a * 3 + b) * 4 + c];
        var strided = Run("softmax", [x], ("axis", "-2"));
        var rows = Run("softmax", [t]);
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++)
                    Assert.AreEqual(rows.Output[(a * 4 + c) * 3 + b], strided.Output[(a * 3 + b) * 4 + c], 1e-15);
    }

    [TestMethod]
    public void The_strided_paths_run_in_float32_too()
    {
        foreach (var (name, count) in new[] { ("softmax", 1), ("softmax_cross_entropy", 2), ("softmax_cross_entropy_rows", 2) })
        {
            var op = OpRegistry.Find(name)!;
            var attrs = Attributes(op, [("axis", "1")]);
            Tensor<double>[] doubles = [Seq([2, 3, 2], 0), Of([2, 3, 2], Y)];
            var d = Run(name, doubles[..count], ("axis", "1"));
            var inputs = doubles[..count].Select(t => new Tensor<float>(t.Shape, [.. t.Data.Select(v => (float)v)])).ToArray();
            var grads = inputs.Select((t, k) => k == 0 ? new Tensor<float>(t.Shape) : null).ToArray();
            var output = new Tensor<float>(d.Output.Shape);
            var seed = new Tensor<float>(d.Seed.Shape, [.. d.Seed.Data.Select(v => (float)v)]);
            var ctx = new OpContext<float>(inputs, grads, output, seed, attrs);
            op.RunForward(ctx);
            op.RunBackward(ctx);
            for (int i = 0; i < output.Length; i++) Assert.AreEqual(d.Output[i], output[i], 1e-6, $"{name} output {i}");
            for (int i = 0; i < grads[0]!.Length; i++) Assert.AreEqual(d.Grads[0]![i], grads[0]![i], 1e-6, $"{name} gradient {i}");
        }
    }

    [TestMethod]
    public void Softmax_refuses_an_axis_outside_the_input()
    {
        var op = OpRegistry.Find("softmax")!;
        var r = op.Setup([new Shape(2, 3)], ["v"], Attributes(op, [("axis", "2")]));
        Assert.AreEqual("input v is 2x3: axis 2 is outside a rank-2 tensor (axes -2 to 1)", r.Error);
    }

    [TestMethod]
    public void Reduce_sum_refuses_an_axis_outside_the_input_or_named_twice()
    {
        var op = OpRegistry.Find("reduce_sum")!;
        Assert.AreEqual("input x is 2x3x4: axis 3 is outside a rank-3 tensor (axes -3 to 2)",
            op.Setup([new Shape(2, 3, 4)], ["x"], Attributes(op, [("axes", "[0, 3]")])).Error);
        Assert.AreEqual("input x is 2x3x4: axes [1, -2] name axis 1 twice",
            op.Setup([new Shape(2, 3, 4)], ["x"], Attributes(op, [("axes", "[1, -2]")])).Error);
        Assert.AreEqual("input x is a scalar: axis 0 is outside a scalar (it has no axes)",
            op.Setup([Shape.Scalar], ["x"], Attributes(op, [("axes", "[0]")])).Error);
    }

    [TestMethod]
    public void Reduce_sum_along_axes_keeps_them_with_size_1_only_when_asked()
    {
        var op = OpRegistry.Find("reduce_sum")!;
        Shape Out(params (string, string)[] a) => op.Setup([new Shape(2, 3, 4, 5)], ["x"], Attributes(op, a)).Shape!;
        AssertShape([3, 5], Out(("axes", "[0, -2]")));
        AssertShape([1, 3, 1, 5], Out(("axes", "[-2, 0]"), ("keepdims", "true")));
        AssertShape([], Out());
        AssertShape([1, 1, 1, 1], Out(("keepdims", "true")));
        AssertShape([2, 3, 4], Out(("axes", "[3]")));
    }

    [TestMethod]
    public void Reduce_sum_along_axes_0_and_2_of_a_rank_4_tensor_sums_what_the_hand_sums_say()
    {
        // x = 1, 2, ..., 24 as 2x3x2x2; s[j, l] = Σ_{i, k} x[i, j, k, l], x[i, j, k, l] = 12i + 4j + 2k + l + 1.
        // s[j, l] = Σ_i Σ_k (12i + 4j + 2k + l + 1) = 4(4j + l + 1) + 2·12 + 2·2 = 16j + 4l + 32
        // (s[0, 0] = 1 + 3 + 13 + 15 = 32).
        var x = Of([2, 3, 2, 2], [.. Enumerable.Range(1, 24).Select(i => (double)i)]);
        var n = Run("reduce_sum", [x], ("axes", "[0, 2]"));
        AssertShape([3, 2], n.Output.Shape);
        AssertValues([32, 36, 48, 52, 64, 68], n.Output);
        // dJ/dx[i, j, k, l] = seed[j, l].
        var expected = new double[24];
        for (int i = 0; i < 24; i++) expected[i] = n.Seed[(i / 4 % 3) * 2 + i % 2];
        AssertValues(expected, n.Grads[0]!);
    }

    private static readonly double[] Y = [0.2, 0.5, 0.3, 0.25, 0.5, 0.25, 1, 0, 0, 0.4, 0, 0.6];   // 2x3x2, distributions along axis 1

    // o, y as in the script: -(y * o.log()).sum(1).mean()
    [TestMethod]
    public void Cross_entropy_along_axis_1_averages_over_every_other_position()
    {
        var n = Run("cross_entropy", [Of([2, 3, 2], 0.1, 0.6, 0.3, 0.3, 0.6, 0.1, 0.7, 0.2, 0.2, 0.5, 0.1, 0.3), Of([2, 3, 2], Y)], ("axis", "1"));
        AssertValues([0.8913728641877121], n.Output);
        AssertValues([-0.5, -0.20833333333333334, -0.25, -0.20833333333333334, -0.20833333333333334, -0.625,
            -0.35714285714285715, 0, 0, -0.2, 0, -0.5], n.Grads[0]!);
        Assert.IsNull(n.Grads[1], "targets get no gradient");
    }

    // torch.nn.functional.cross_entropy(F([2,3,2], 0), y): torch's classes on axis 1, mean over N x d1
    [TestMethod]
    public void Softmax_cross_entropy_with_axis_1_is_torch_cross_entropy_on_n_c_d()
    {
        var n = Run("softmax_cross_entropy", [Seq([2, 3, 2], 0), Of([2, 3, 2], Y)], ("axis", "1"));
        AssertValues([1.1073847660026852], n.Output);
        AssertValues([-0.01709958821327142, -0.05154630632212763, -0.005349827700931745, 0.09300147073631815, 0.022449415914203158, -0.041455164414190546,
            -0.07417150599455652, 0.07345369367787237, 0.023795799037293747, 0.05550147073631814, 0.050375706957262734, -0.12895516441419055], n.Grads[0]!);
    }

    // torch.nn.functional.cross_entropy(F([2,3,2], 0), y, reduction='none')
    [TestMethod]
    public void Softmax_cross_entropy_rows_along_axis_1_gives_one_loss_per_position()
    {
        var n = Run("softmax_cross_entropy_rows", [Seq([2, 3, 2], 0), Of([2, 3, 2], Y)], ("axis", "1"));
        AssertShape([2, 2], n.Output.Shape);
        AssertValues([1.0529757438553098, 1.3498057281763147, 0.3519518638028018, 1.6748057281763147], n.Output);
        AssertValues([-0.06839835285308568, 0, -0.02139931080372698, 0, 0.08979766365681263, 0,
            0.2966860239782261, 0.22036108103361712, -0.09518319614917499, 0.1665044122089544, -0.20150282782905093, -0.3868654932425716], n.Grads[0]!);
    }

    // -(yt * torch.log_softmax(F([2,2,3], 0), -1)).sum(-1), yt = y.transpose(1, 2)
    [TestMethod]
    public void Softmax_cross_entropy_rows_along_the_last_axis_of_a_rank_3_input()
    {
        var yt = new double[12];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 2; c++) yt[(a * 2 + c) * 3 + b] = Y[(a * 3 + b) * 2 + c];
        var n = Run("softmax_cross_entropy_rows", [Seq([2, 2, 3], 0), Of([2, 2, 3], yt)]);
        AssertShape([2, 2], n.Output.Shape);
        AssertValues([1.282855466878769, 1.1576059644443806, 0.4076059644443804, 2.00760596444438], n.Output);
        AssertValues([-0.08728079529169545, 0.34865423705164716, -0.2613734417599518, 0, 0, 0,
            0.3347590442251782, -0.24472847105479764, -0.09003057317038043, 0.49893071683111634, -0.11645364670890182, -0.38247707012221466], n.Grads[0]!);
    }

    [TestMethod]
    public void The_losses_name_their_class_axis_for_the_distribution_check()
    {
        foreach (var name in new[] { "cross_entropy", "softmax_cross_entropy", "softmax_cross_entropy_rows" })
        {
            var op = OpRegistry.Find(name)!;
            Assert.AreEqual(1, op.DistributionAxis(Attributes(op, [("axis", "1")]), 3), name);
            Assert.AreEqual(2, op.DistributionAxis(Attributes(op, []), 3), name);
            Assert.AreEqual(1, op.DistributionAxis(Attributes(op, [("axis", "-1")]), 2), name);
        }
        Assert.AreEqual(1, OpRegistry.Find("linear")!.DistributionAxis(AttributeValues.Empty, 2));
    }

    // 0.5 * ((F([2,2,3], 0) - F([2,2,3], 5)) ** 2).sum() / 2: N = 2, the first axis
    [TestMethod]
    public void L2_loss_averages_over_the_first_axis_and_sums_over_the_rest()
    {
        var n = Run("l2_loss", [Seq([2, 2, 3], 0), Seq([2, 2, 3], 5)]);
        AssertValues([5.546875], n.Output);
        AssertValues([-0.625, 0.75, -0.625, 0.75, 0.75, -0.625, 0.75, -0.625, -0.625, 0.75, -0.625, -0.625], n.Grads[0]!);
        Assert.IsNull(n.Grads[1]);
    }

    [TestMethod]
    public void L2_loss_takes_a_vector_as_one_sample()
    {
        var n = Run("l2_loss", [Of([2], 1, 2), Of([2], 0, 4)]);
        AssertValues([2.5], n.Output);   // ½ (1 + 4)
        AssertValues([1, -2], n.Grads[0]!);
    }

    // 0.3 / 2 * ((F([2,3,2], 0) ** 2).sum() + (F([3], 4) ** 2).sum())
    [TestMethod]
    public void L2_regularization_takes_weights_of_any_rank()
    {
        var n = Run("l2_regularization", [Seq([2, 3, 2], 0), Seq([3], 4)], ("lambda", "0.3"));
        AssertValues([1.546875], n.Output);
        AssertValues([-0.375, 0.15, -0.15, 0.375, 0.075, -0.225, 0.3, 0, -0.3, 0.225, -0.075, -0.375], n.Grads[0]!);
        AssertValues([-0.075, -0.375, 0.15], n.Grads[1]!);
    }

    [TestMethod]
    public void A_default_axis_stays_out_of_the_expression_and_a_written_one_is_shown()
    {
        var g = SpecText.Load("""
            network:
              o: {op: softmax, x: v}
              p: {op: softmax, x: v, axis: 0}
              L: {op: softmax_cross_entropy, x: v, y: y, axis: -1}
            data: {v: [[1, 2], [3, 4]], y: [[0.5, 0.5], [1, 0]]}
            """).Graph!;
        Assert.AreEqual("softmax(v)", g.Nodes[0].Expression);
        Assert.AreEqual("softmax(v, axis = 0)", g.Nodes[1].Expression);
        Assert.AreEqual("softmax_cross_entropy(v, y)", g.Nodes[2].Expression);
    }

    public static IEnumerable<object[]> GradientCases()
    {
        foreach (var name in OpNames)
            foreach (int batch in new[] { 2, 3 })
            {
                var cases = OpRegistry.Find(name)!.GradientCases(batch).ToList();
                for (int i = 0; i < cases.Count; i++) yield return [name, batch, i, cases[i].Label];
            }
    }

    /// <summary>
    /// Each declared case at random inputs (drawn in each slot's domain, distributions along the
    /// op's class axis): forward output and every input gradient against central differences of
    /// J = Σ G ⊙ output, with gradient buffers filled beforehand so that assignment instead of
    /// accumulation fails.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(GradientCases))]
    public void Declared_gradient_cases_match_central_differences(string opName, int batch, int index, string label)
    {
        var op = OpRegistry.Find(opName)!;
        var gc = op.GradientCases(batch).ElementAt(index);
        var attrs = Attributes(op, gc.Attributes);
        var rng = new Random(1000 * index + batch);
        var inputs = new Tensor<double>[gc.InputShapes.Count];
        for (int k = 0; k < inputs.Length; k++)
        {
            var shared = gc.Shared.FirstOrDefault(s => s.Contains(k) && s[0] != k);
            if (shared is not null) { inputs[k] = inputs[shared[0]]; continue; }
            var domain = op.InputDomain(k, [.. gc.InputShapes.Select(s => new Shape(s))], attrs);
            if (domain == ValueDomain.ClassIndex)
            {
                // Class indices 0..C-1 of the scores' class axis, none equal to the node's ignore_index.
                var scores = new Shape(gc.InputShapes[0]);
                int classes = scores.Rank == 0 ? 1 : scores[op.DistributionAxis(attrs, scores.Rank)];
                int ii = op.AttributeIndex("ignore_index") is var a and >= 0 ? attrs.Integer(a) : -1;
                inputs[k] = new Tensor<double>(new Shape(gc.InputShapes[k]));
                for (int i = 0; i < inputs[k].Length; i++)
                {
                    int c = rng.Next(classes);
                    inputs[k][i] = c == ii ? (c + 1) % classes : c;
                }
                continue;
            }
            inputs[k] = Random(rng, new Shape(gc.InputShapes[k]), domain, op.DistributionAxis(attrs, gc.InputShapes[k].Length));
        }
        var n = Build(opName, inputs, [.. gc.Attributes]);
        for (int i = 0; i < n.Seed.Length; i++) n.Seed[i] = rng.NextDouble() * 2 - 1;
        var prefill = n.Grads.Select(g => g is null ? null : Random(rng, g.Shape, ValueDomain.Real, 0)).ToArray();
        for (int k = 0; k < n.Grads.Length; k++)
            if (n.Grads[k] is { } g && Array.IndexOf(n.Grads, g) == k) prefill[k]!.Data.CopyTo(g.Data, 0);
        n.Op.RunForward(n.Context);
        n.Op.RunBackward(n.Context);

        const double h = 1e-6;
        for (int k = 0; k < inputs.Length; k++)
        {
            if (n.Grads[k] is not { } grad || Array.IndexOf(n.Grads, grad) != k) continue;
            var x = inputs[k];
            for (int i = 0; i < x.Length; i++)
            {
                double orig = x[i];
                x[i] = orig + h;
                double plus = n.Objective();
                x[i] = orig - h;
                double minus = n.Objective();
                x[i] = orig;
                double numeric = (plus - minus) / (2 * h), analytic = grad[i] - prefill[k]![i];
                double err = Math.Abs(analytic - numeric) / Math.Max(1, Math.Max(Math.Abs(analytic), Math.Abs(numeric)));
                Assert.IsLessThan(1e-6, err, $"{opName} '{label}' batch {batch}: d/d(input {k})[{i}] analytic {analytic:R}, numeric {numeric:R}");
            }
        }
    }

    /// <summary>Random values in <paramref name="domain"/>; distributions along <paramref name="axis"/>.</summary>
    private static Tensor<double> Random(Random rng, Shape shape, ValueDomain domain, int axis)
    {
        var t = new Tensor<double>(shape);
        for (int i = 0; i < t.Length; i++)
            t[i] = domain switch
            {
                ValueDomain.Positive => 0.2 + 1.8 * rng.NextDouble(),
                ValueDomain.Probability => 0.05 + 0.9 * rng.NextDouble(),
                ValueDomain.Distribution => 0.05 + rng.NextDouble(),
                _ => rng.NextDouble() * 2 - 1,
            };
        if (domain != ValueDomain.Distribution || shape.Rank == 0) return t;
        var (outer, size, inner) = NetSpec.Runtime.Tensors.Axes.Split(shape, axis);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double sum = 0;
                for (int j = 0; j < size; j++) sum += t[(o * size + j) * inner + i];
                for (int j = 0; j < size; j++) t[(o * size + j) * inner + i] /= sum;
            }
        return t;
    }
}
