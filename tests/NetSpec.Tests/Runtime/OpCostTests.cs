using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// Each op's FLOPs (<see cref="Op.Cost"/>) against hand arithmetic, under the convention that a
/// multiply-add counts 2 (see <see cref="OpCost"/>).
/// </summary>
[TestClass]
public sealed class OpCostTests
{
    private static AttributeValues Defaults(Op op, params (string Name, AttributeValue Value)[] given) =>
        new([.. op.Attributes.Select(a => given.FirstOrDefault(g => g.Name == a.Name).Value ?? a.Default!)]);

    /// <summary>The op's output shape from its own shape rule, and its cost.</summary>
    private static OpCost Cost(string name, Shape[] inputs, params (string, AttributeValue)[] attributes)
    {
        var op = OpRegistry.Find(name)!;
        var a = Defaults(op, attributes);
        var r = op.Setup(inputs, [.. inputs.Select((_, i) => $"v{i}")], a);
        Assert.IsNotNull(r.Shape, r.Error);
        return op.Cost(inputs, r.Shape, a);
    }

    [TestMethod]
    public void Linear_costs_two_flops_per_multiply_add_plus_the_bias()
    {
        // x: 5 samples of 4, W: 3 x 4. Z = X Wᵀ: 5·3 outputs of 4 multiply-adds = 60 MACs = 120 FLOPs; + b: 15 adds.
        var c = Cost("linear", [new Shape(5, 4), new Shape(3, 4), new Shape(3)]);
        Assert.AreEqual(135, c.Forward);
        // dJ/dx = dZ W: 5·4 outputs of 3 MACs = 120; dJ/dW = dZᵀ X: 3·4 outputs of 5 MACs = 120; dJ/db: 15 adds.
        CollectionAssert.AreEqual(new double[] { 120, 120, 15 }, c.Backward.ToArray());
    }

    [TestMethod]
    public void Linear_over_rank_3_counts_every_leading_position_as_a_sample()
    {
        // 2 x 3 positions of 4 features into 5 outputs: 6 samples, 6·5·4 MACs = 240 FLOPs, + 30 bias adds.
        var c = Cost("linear", [new Shape(2, 3, 4), new Shape(5, 4), new Shape(5)]);
        Assert.AreEqual(270, c.Forward);
        CollectionAssert.AreEqual(new double[] { 240, 240, 30 }, c.Backward.ToArray());
    }

    [TestMethod]
    public void Conv2d_costs_two_flops_per_tap_of_every_output_element()
    {
        // x: 2 x 2 x 5 x 5, W: 3 x 2 x 3 x 3, padding 1: y is 2 x 3 x 5 x 5 = 150 elements, each
        // 2·3·3 = 18 multiply-adds (padding taps included) = 36 FLOPs: 5400; + 150 bias adds.
        var c = Cost("conv2d", [new Shape(2, 2, 5, 5), new Shape(3, 2, 3, 3), new Shape(3)], ("padding", AttributeValue.Of([1L])));
        Assert.AreEqual(5550, c.Forward);
        // dJ/dx and dJ/dW: each the same 150 · 18 multiply-adds; dJ/db: 150 adds.
        CollectionAssert.AreEqual(new double[] { 5400, 5400, 150 }, c.Backward.ToArray());
    }

    [TestMethod]
    public void Conv2d_with_groups_stride_and_no_bias_counts_the_channels_of_one_group()
    {
        // x: 1 x 4 x 6 x 6, W: 6 x 2 x 3 x 3 (groups 2: 2 input channels per filter), stride 2, no
        // padding: out 2 x 2 per filter, y 1 x 6 x 2 x 2 = 24 elements of 2·9 = 18 MACs: 864 FLOPs.
        var c = Cost("conv2d", [new Shape(1, 4, 6, 6), new Shape(6, 2, 3, 3)], ("stride", AttributeValue.Of([2L])), ("groups", AttributeValue.Of(2L)));
        Assert.AreEqual(864, c.Forward);
        CollectionAssert.AreEqual(new double[] { 864, 864 }, c.Backward.ToArray());
    }

    [TestMethod]
    public void Matmul_and_gemm_count_2_m_n_k()
    {
        // A: 2 x 3 x 4 (two matrices), B: 4 x 5: 2·3·5 outputs of 4 MACs = 240 FLOPs.
        Assert.AreEqual(240, Cost("matmul", [new Shape(2, 3, 4), new Shape(4, 5)]).Forward);
        // gemm A: 3 x 4, B: 4 x 2, C: 2: 3·2·4 MACs = 48 FLOPs, + 6 adds of C.
        var g = Cost("gemm", [new Shape(3, 4), new Shape(4, 2), new Shape(2)]);
        Assert.AreEqual(54, g.Forward);
        CollectionAssert.AreEqual(new double[] { 48, 48, 6 }, g.Backward.ToArray());
    }

    [TestMethod]
    public void An_element_wise_op_costs_one_per_element_forward_and_two_backward()
    {
        var relu = Cost("relu", [new Shape(4, 5)]);
        Assert.AreEqual(20, relu.Forward);
        CollectionAssert.AreEqual(new double[] { 40 }, relu.Backward.ToArray());
    }

    [TestMethod]
    public void Moving_data_costs_nothing_forward_and_an_add_per_element_backward()
    {
        var t = Cost("transpose", [new Shape(3, 4)]);
        Assert.AreEqual(0, t.Forward);
        CollectionAssert.AreEqual(new double[] { 12 }, t.Backward.ToArray());
    }

    [TestMethod]
    public void Pools_count_the_taps_of_every_window()
    {
        // 1 x 2 x 4 x 4, kernel 2: y 1 x 2 x 2 x 2 = 8 windows of 4 taps.
        Assert.AreEqual(32, Cost("max_pool2d", [new Shape(1, 2, 4, 4)], ("kernel_size", AttributeValue.Of([2L]))).Forward);
        // average: 4 adds and a division per window.
        Assert.AreEqual(40, Cost("avg_pool2d", [new Shape(1, 2, 4, 4)], ("kernel_size", AttributeValue.Of([2L]))).Forward);
    }

    [TestMethod]
    public void Targets_and_state_take_no_backward_flops()
    {
        var l = Cost("softmax_cross_entropy", [new Shape(4, 3), new Shape(4, 3)]);
        Assert.AreEqual(0, l.Backward[1]);
        var bn = Cost("batch_norm", [new Shape(4, 3), new Shape(3), new Shape(3), new Shape(3), new Shape(3)]);
        Assert.AreEqual(0, bn.Backward[3]);
        Assert.AreEqual(0, bn.Backward[4]);
    }
}
