using NetSpec.Onnx;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Onnx;

/// <summary>The ops' ONNX forms, the one table export and import read, are consistent with the ops.</summary>
[TestClass]
public sealed class OnnxFormTests
{
    public static IEnumerable<object[]> Ops() => OpRegistry.All.Select(o => new object[] { o.Name });

    [TestMethod]
    [DynamicData(nameof(Ops))]
    public void Every_op_exports_at_every_opset_the_exporter_accepts(string name)
    {
        var op = OpRegistry.Find(name)!;
        for (int opset = 13; opset <= 23; opset++)
            Assert.IsTrue(op.WritesOwnOnnx || op.OnnxForms.Any(f => !f.ImportOnly && f.MinOpset <= opset && opset <= f.MaxOpset),
                $"{name} has no ONNX form to export at opset {opset}");
    }

    [TestMethod]
    [DynamicData(nameof(Ops))]
    public void Every_form_names_the_op_s_own_inputs_and_attributes(string name)
    {
        var op = OpRegistry.Find(name)!;
        var slots = op.Inputs.Select(s => s.Name).ToHashSet();
        foreach (var f in op.OnnxForms)
        {
            string form = $"{name}'s {f.OpType} form (opset {f.MinOpset}..{f.MaxOpset})";
            foreach (var i in f.Inputs ?? [])
                Assert.IsTrue(i.Length == 0 || i[0] == '@' || slots.Contains(i), $"{form}: input '{i}' is not a slot of {name}");
            foreach (var i in f.OptionalInputs.Concat(f.OneHotInputs).Concat(f.ClassIndexInputs))
                Assert.Contains(i, slots, $"{form}: '{i}' is not a slot of {name}");
            foreach (var a in f.Attributes)
                // An attribute the op does not declare yet is accepted only at ONNX's default, so the form must give it.
                Assert.IsTrue(op.AttributeIndex(a.NetSpec) >= 0 || a.OnnxDefault is not null, $"{form}: '{a.NetSpec}' is neither an attribute of {name} nor given an ONNX default");
            if (f.Then is { } then)
            {
                Assert.IsTrue(f.ImportOnly, $"{form}: a form followed by another op is import-only");
                Assert.IsNotNull(OpRegistry.Find(then), $"{form}: Then names no op");
            }
            Assert.IsTrue(f.MinOpset <= f.MaxOpset, form);
        }
    }

    [TestMethod]
    public void Each_onnx_op_type_the_importer_reads_is_in_some_op_s_forms()
    {
        // What the importer read before the op library still imports; a new op's forms add to it
        // without this list changing, and nothing is read that no op declares.
        var read = NetSpec.Onnx.OnnxImporter.SupportedOps.ToArray();
        CollectionAssert.IsSubsetOf(
            new[] { "Add", "Constant", "Gemm", "MatMul", "Mul", "ReduceSum", "Relu", "Softmax", "SoftmaxCrossEntropyLoss", "Sub", "Sum" }, read);
        var declared = OpRegistry.All.SelectMany(o => o.OnnxForms).Select(f => f.OpType).Append("Constant").ToHashSet(StringComparer.Ordinal);
        foreach (var type in read) Assert.Contains(type, declared, $"the importer reads {type}, which no op's forms declare");
    }

    /// <summary>An op with no ONNX form: relu's maths under another name.</summary>
    private sealed class Formless : Op
    {
        public override string Name => "formless";
        public override string Category => "activation";
        public override string Summary => "A test op without ONNX forms.";
        public override string Formula => "h = v";
        public override string GradientFormula => "dJ/dv = dJ/dh";
        public override string ShapeRule => "h has the shape of v";
        public override string Example => "{op: formless, x: z}";
        public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor")];
        public override IEnumerable<GradientCase> GradientCases(int batch) => [];
        protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);
        protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => c.Input(0).Span.CopyTo(c.Output.Span);
        private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> { }
    }

    [TestMethod]
    public void An_op_without_an_onnx_form_is_refused_by_name_on_export()
    {
        var g = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var h = g.Nodes.Single(n => n.Name == "h") with { Op = new Formless() };
        var net = new NetworkGraph(g.Spec, g.Values, [.. g.Nodes.Select(n => n.Name == "h" ? h : n)], g.BackwardFrom, g.SeedGradient, g.Expectations);
        var writer = new NodeWriter(new global::Onnx.GraphProto(), net, float32: true, opset: 17);
        var e = Assert.ThrowsExactly<OnnxExportException>(() => writer.Write(h));
        Assert.AreEqual("op 'formless' of node 'h' has no ONNX form in NetSpec, so it cannot be exported", e.Message);
    }
}
