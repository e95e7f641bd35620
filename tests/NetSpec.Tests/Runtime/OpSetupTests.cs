using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// The sealed setup every node goes through before it runs (input count, attribute types and
/// ranges, input ranks, then the op's own shape rule), and the wrapping of an op's run-time
/// exception with the node's name and position.
/// </summary>
[TestClass]
public sealed class OpSetupTests
{
    [TestMethod]
    public void Setup_refuses_the_wrong_number_of_inputs_before_the_op_s_own_rule_runs()
    {
        var r = new Permissive().Setup([new Shape(2), new Shape(2)], ["a", "b"], AttributeValues.Empty);
        Assert.IsNull(r.Shape);
        Assert.AreEqual("permissive takes 1 input, not 2", r.Error);
    }

    [TestMethod]
    public void Setup_refuses_an_attribute_outside_its_range_even_when_called_directly()
    {
        var op = OpRegistry.Find("l2_regularization")!;
        var r = op.Setup([new Shape(2, 2)], ["W"], new AttributeValues([AttributeValue.Of(-1.0)]));
        Assert.AreEqual("attribute 'lambda' must be a finite number >= 0, not -1", r.Error);
    }

    [TestMethod]
    public void Setup_refuses_an_input_of_a_rank_its_slot_does_not_take()
    {
        var op = OpRegistry.Find("gemm")!;
        var attrs = new AttributeValues([.. op.Attributes.Select(a => a.Default!)]);
        var r = op.Setup([new Shape(2, 3, 4), new Shape(4, 5), new Shape(5)], ["A", "B", "C"], attrs);
        StringAssert.StartsWith(r.Error, "input a (A) is 2x3x4, but gemm takes a matrix there");
    }

    [TestMethod]
    public void An_exception_inside_an_op_names_the_node_and_where_the_spec_declares_it()
    {
        var x = new Tensor<double>(new Shape(2));
        var ctx = new OpContext<double>([x], [null], new Tensor<double>(new Shape(2)), null, AttributeValues.Empty,
            node: "z", span: new SourceSpan("net.yaml", 7, 3, 7, 4));
        var e = Assert.ThrowsExactly<OpRunException>(() => new Permissive().RunForward(ctx));
        Assert.AreEqual("net.yaml:7:3: node 'z' (permissive) failed in its forward pass: deliberate", e.Message);
        Assert.AreEqual("z", e.Node);
        Assert.IsInstanceOfType<InvalidOperationException>(e.InnerException);
        var b = Assert.ThrowsExactly<OpRunException>(() => new Permissive().RunBackward(ctx));
        StringAssert.Contains(b.Message, "failed in its backward pass");
    }

    [TestMethod]
    public void An_optional_input_may_be_left_out_and_the_count_message_gives_the_range()
    {
        var op = new WithOptional();
        Assert.AreEqual(1, op.RequiredInputs);
        Assert.AreEqual(new Shape(3), op.Setup([new Shape(3)], ["x"], AttributeValues.Empty).Shape);
        Assert.AreEqual(new Shape(3), op.Setup([new Shape(3), new Shape(3)], ["x", "b"], AttributeValues.Empty).Shape);
        Assert.AreEqual("with_optional takes 1 to 2 inputs, not 3",
            op.Setup([new Shape(3), new Shape(3), new Shape(3)], ["x", "b", "c"], AttributeValues.Empty).Error);
        Assert.AreEqual("with_optional takes 1 to 2 inputs, not 0", op.Setup([], [], AttributeValues.Empty).Error);
        StringAssert.Contains(OpCatalog.InputText(op.Inputs[1]), "optional");
        var then = (System.Text.Json.Nodes.JsonObject)OpSchema.Rule(op)["then"]!;
        Assert.AreEqual("[\"x\"]", then["required"]!.ToJsonString());
    }

    [TestMethod]
    public void An_op_sees_which_optional_inputs_a_node_gives()
    {
        var x = new Tensor<double>(new Shape(2));
        var ctx = new OpContext<double>([x], [null], new Tensor<double>(new Shape(2)), null, AttributeValues.Empty);
        Assert.AreEqual(1, ctx.InputCount);
        Assert.IsTrue(ctx.HasInput(0));
        Assert.IsFalse(ctx.HasInput(1));
    }

    /// <summary>An op with a required input x and an optional b (y = x, or x + b).</summary>
    private sealed class WithOptional : Op
    {
        public override string Name => "with_optional";
        public override string Category => "test";
        public override string Summary => "x, plus b when given.";
        public override string Formula => "y = x + b";
        public override string GradientFormula => "dJ/dx = dJ/dy";
        public override string ShapeRule => "x: n; b: n";
        public override string Example => "{op: with_optional, x: x}";
        public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "anything"), new("b", "an offset") { Optional = true }];
        public override IEnumerable<GradientCase> GradientCases(int batch) => [new("x only", [[batch]])];
        protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);
        protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => throw new InvalidOperationException("not run");
        private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => throw new InvalidOperationException("not run");
    }

    /// <summary>An op whose own shape rule accepts anything and whose passes throw.</summary>
    private sealed class Permissive : Op
    {
        public override string Name => "permissive";
        public override string Category => "test";
        public override string Summary => "Accepts any shape; throws when run.";
        public override string Formula => "y = x";
        public override string GradientFormula => "dJ/dx = dJ/dy";
        public override string ShapeRule => "anything";
        public override string Example => "{op: permissive, x: x}";
        public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "anything")];
        public override IEnumerable<GradientCase> GradientCases(int batch) => [new("one", [[batch]])];
        protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);
        protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => throw new InvalidOperationException("deliberate");
        private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => throw new InvalidOperationException("deliberate");
    }
}
