using Google.Protobuf;
using NetSpec.Onnx;
using NetSpec.Runtime.Execution;
using NetSpec.Tests.Runtime;
using Onnx;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// The ONNX forms of gelu, softplus, elu, erf and div that the export-every-spec test does not
/// reach: the chains written for gelu and softplus, node by node, run in ONNX Runtime against
/// NetSpec's own values (float64 where ONNX Runtime has the kernels: Tanh, Div and Mul, not Erf,
/// Elu or Softplus), and the ONNX nodes and PyTorch chains that import as these ops.
/// </summary>
[TestClass]
public sealed class ElementwiseOnnxTests
{
    private static readonly double[] Xs = [-10, -3, -0.75, 0, 0.5, 1, 2.4, 2.6, 3, 8.5];

    private static string Row(double[] v) => SpecText.Vector(v);

    /// <summary>Exports <paramref name="yaml"/>, runs it in ONNX Runtime on x, and compares output <paramref name="output"/> with NetSpec's forward.</summary>
    private static ModelProto ExportAndRun(string yaml, string output, bool float32, double tol)
    {
        var graph = SpecText.Load(yaml).Graph!;
        var model = OnnxExporter.Export(graph, new OnnxExportOptions { Float32 = float32 });
        var interp = new Interpreter<double>(graph);
        Assert.IsTrue(interp.Forward(1));
        var want = interp.Value(output).ToDoubles();
        var actual = OnnxRuntimeRunner.Run(model.ToByteArray(), float32, new Dictionary<string, (int[], double[])> { ["x"] = ([1, Xs.Length], Xs) }, [output]);
        var got = actual[output].Values;
        for (int i = 0; i < want.Length; i++)
            Assert.AreEqual(want[i], got[i], tol * Math.Max(1, Math.Abs(want[i])), $"{output}[{i}] at x = {Xs[i]}: onnxruntime {got[i]:R}, NetSpec {want[i]:R}");
        return model;
    }

    [TestMethod]
    public void Exact_gelu_exports_as_pytorch_s_div_erf_add_mul_mul_chain_and_runs_in_onnx_runtime()
    {
        var m = ExportAndRun($"network: {{g: {{op: gelu, x: x}}}}\ndata: {{x: [{Row(Xs)}]}}\n", "g", float32: true, tol: 1e-6);
        CollectionAssert.AreEqual(new[] { "Div", "Erf", "Add", "Mul", "Mul" }, m.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual("g", m.Graph.Node[^1].Output[0]);
    }

    [TestMethod]
    public void Tanh_gelu_exports_as_pytorch_s_chain_and_runs_in_onnx_runtime_in_float64()
    {
        var m = ExportAndRun($"network: {{g: {{op: gelu, x: x, approximate: tanh}}}}\ndata: {{x: [{Row(Xs)}]}}\n", "g", float32: false, tol: 1e-14);
        CollectionAssert.AreEqual(new[] { "Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul" }, m.Graph.Node.Select(n => n.OpType).ToArray());
    }

    [TestMethod]
    public void Div_with_a_broadcast_divisor_runs_in_onnx_runtime_in_float64()
    {
        var m = ExportAndRun($"network: {{q: {{op: div, a: x, b: s}}}}\ndata: {{x: [{Row(Xs)}]}}\nparameters: {{s: -0.4}}\n", "q", float32: false, tol: 0);
        Assert.AreEqual("Div", m.Graph.Node.Single().OpType);
    }

    [TestMethod]
    public void Softplus_at_the_defaults_is_one_onnx_softplus_and_with_beta_mul_softplus_div()
    {
        var m = ExportAndRun($"network: {{p: {{op: softplus, x: x}}}}\ndata: {{x: [{Row(Xs)}]}}\n", "p", float32: true, tol: 1e-6);
        Assert.AreEqual("Softplus", m.Graph.Node.Single().OpType);
        var m2 = ExportAndRun($"network: {{p: {{op: softplus, x: x, beta: 2}}}}\ndata: {{x: [{Row(Xs)}]}}\n", "p", float32: true, tol: 1e-6);
        CollectionAssert.AreEqual(new[] { "Mul", "Softplus", "Div" }, m2.Graph.Node.Select(n => n.OpType).ToArray());
    }

    [TestMethod]
    public void Softplus_with_a_threshold_below_20_adds_greater_and_where_and_keeps_pytorch_s_jump()
    {
        // beta 2, threshold 5: x = 2.6 (beta x = 5.2) is y = x; x = 2.4 is ln(1 + e^4.8)/2; ONNX's Softplus alone would give 2.6027 at 2.6.
        var m = ExportAndRun($"network: {{p: {{op: softplus, x: x, beta: 2, threshold: 5}}}}\ndata: {{x: [{Row(Xs)}]}}\n", "p", float32: true, tol: 1e-6);
        CollectionAssert.AreEqual(new[] { "Mul", "Softplus", "Div", "Greater", "Where" }, m.Graph.Node.Select(n => n.OpType).ToArray());
    }

    [TestMethod]
    public void Elu_exports_as_onnx_elu_with_its_alpha_and_runs_in_onnx_runtime_in_float32()
    {
        var m = ExportAndRun($"network: {{e: {{op: elu, x: x, alpha: 0.5}}}}\ndata: {{x: [{Row(Xs)}]}}\n", "e", float32: true, tol: 1e-6);
        var node = m.Graph.Node.Single();
        Assert.AreEqual("Elu", node.OpType);
        Assert.AreEqual(0.5f, node.Attribute.Single(a => a.Name == "alpha").F);
    }

    [TestMethod]
    public void An_exported_exact_gelu_imports_back_as_div_erf_add_mul_mul_computing_the_same_values()
    {
        var yaml = $"network: {{g: {{op: gelu, x: x}}}}\ndata: {{x: [{Row(Xs)}]}}\n";
        var graph = SpecText.Load(yaml).Graph!;
        var text = OnnxImporter.Import(OnnxExporter.Export(graph), "gelu-chain", [OnnxTensors.Create("x", [1, Xs.Length], Xs, float32: false)]);
        foreach (var op in new[] { "{op: div, a: x, b: ", "{op: erf, x: ", "{op: add, a: ", "{op: mul, a: x, b: ", "{op: mul, a: " })
            StringAssert.Contains(text, op, text);
        var chain = new Interpreter<double>(SpecText.Load(text).Graph!);
        Assert.IsTrue(chain.Forward(1));
        var direct = new Interpreter<double>(graph);
        Assert.IsTrue(direct.Forward(1));
        var a = chain.Value("g").ToDoubles();
        var b = direct.Value("g").ToDoubles();
        // 1 + erf(x/√2) loses digits for negative x that erfc keeps: equal to 1e-15 absolute.
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(b[i], a[i], 1e-15 * Math.Max(1, Math.Abs(b[i])), $"x = {Xs[i]}");
    }

    private static ModelProto OneNode(string opType, int opset, params AttributeProto[] attributes)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(OnnxExporter.ValueInfo("x", new global::NetSpec.Runtime.Tensors.Shape(2, 3), f32: true));
        var node = new NodeProto { OpType = opType, Name = "n" };
        node.Input.Add("x");
        node.Output.Add("y");
        node.Attribute.AddRange(attributes);
        g.Node.Add(node);
        g.Output.Add(OnnxExporter.ValueInfo("y", new global::NetSpec.Runtime.Tensors.Shape(2, 3), f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
        return m;
    }

    [TestMethod]
    public void Onnx_gelu_elu_softplus_and_erf_nodes_import_as_netspec_s_ops()
    {
        var tanh = new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("tanh") };
        StringAssert.Contains(OnnxImporter.Import(OneNode("Gelu", 20, tanh), "m"), "y: {op: gelu, x: x, approximate: tanh}");
        StringAssert.Contains(OnnxImporter.Import(OneNode("Gelu", 20), "m"), "y: {op: gelu, x: x}");
        var alpha = new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f };
        StringAssert.Contains(OnnxImporter.Import(OneNode("Elu", 17, alpha), "m"), "y: {op: elu, x: x, alpha: 0.5}");
        StringAssert.Contains(OnnxImporter.Import(OneNode("Softplus", 17), "m"), "y: {op: softplus, x: x}");
        StringAssert.Contains(OnnxImporter.Import(OneNode("Erf", 13), "m"), "y: {op: erf, x: x}");
    }

    [TestMethod]
    public void Onnx_gelu_before_opset_20_or_with_an_unknown_approximation_is_refused_with_why()
    {
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(OneNode("Gelu", 17), "m"));
        StringAssert.Contains(e.Message, "from opset 20");
        var odd = new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("sigmoid") };
        var e2 = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(OneNode("Gelu", 20, odd), "m"));
        StringAssert.Contains(e2.Message, "one of none, tanh");
    }
}
