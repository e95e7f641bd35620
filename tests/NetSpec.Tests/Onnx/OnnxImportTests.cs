using NetSpec.Cli;
using NetSpec.Cli.Commands;
using NetSpec.Onnx;
using NetSpec.Runtime;
using Google.Protobuf;
using Onnx;

namespace NetSpec.Tests.Onnx;

[TestClass]
public sealed class OnnxImportTests
{
    private static ModelProto Model(string opType, string nodeName, int[] inputDims)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(OnnxExporter.ValueInfo("x", new Shape(inputDims), f32: true));
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.Add("x");
        node.Output.Add("y");
        g.Node.Add(node);
        g.Output.Add(OnnxExporter.ValueInfo("y", new Shape(inputDims), f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return m;
    }

    [TestMethod]
    public void An_op_netspec_lacks_is_an_error_naming_the_op_and_the_node_and_nothing_is_written()
    {
        var dir = Directory.CreateTempSubdirectory("netspec-import-").FullName;
        try
        {
            var model = Path.Combine(dir, "m.onnx");
            File.WriteAllBytes(model, Model("Cos", "act1", [2, 3]).ToByteArray());
            var spec = Path.Combine(dir, "m.yaml");
            var err = new StringWriter();
            Assert.AreEqual(ExitCodes.InvalidSpec, ImportCommand.Run(model, spec, null, new StringWriter(), err));
            StringAssert.Contains(err.ToString(), "node 'act1' (Cos): NetSpec has no op for ONNX 'Cos'");
            Assert.IsFalse(File.Exists(spec), "no partial spec");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A model of one node over named inputs (float32 unless given) and initializers, with attributes.</summary>
    private static ModelProto Graph(string opType, (string Name, int[] Dims, int Type)[] inputs, TensorProto[] initializers, int opset, params AttributeProto[] attributes)
    {
        var g = new GraphProto { Name = "g" };
        var node = new NodeProto { OpType = opType, Name = "n" };
        foreach (var (name, dims, type) in inputs)
        {
            var vi = OnnxExporter.ValueInfo(name, new Shape(dims), f32: true);
            vi.Type.TensorType.ElemType = type;
            g.Input.Add(vi);
            node.Input.Add(name);
        }
        foreach (var t in initializers)
        {
            g.Initializer.Add(t);
            node.Input.Add(t.Name);
        }
        node.Output.Add("y");
        node.Attribute.AddRange(attributes);
        g.Node.Add(node);
        g.Output.Add(OnnxExporter.ValueInfo("y", Shape.Scalar, f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
        return m;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    [TestMethod]
    public void A_rank_3_tensor_is_written_as_lists_nested_three_deep_one_row_a_line()
    {
        var text = OnnxImporter.Import(Model("Relu", "r", [2, 2, 3]), "m");
        StringAssert.Contains(text, "  x: [[[0, 0, 0],\n       [0, 0, 0]],\n      [[0, 0, 0],\n       [0, 0, 0]]]\n");
        StringAssert.Contains(text, "y: {op: relu, x: x}   # ONNX Relu 'r'");
    }

    [TestMethod]
    public void A_softmax_along_another_axis_maps_to_softmax_s_axis()
    {
        var m = Model("Softmax", "sm", [2, 3]);
        m.Graph.Node[0].Attribute.Add(Int("axis", 0));
        StringAssert.Contains(OnnxImporter.Import(m, "m"), "{op: softmax, x: x, axis: 0}");
    }

    [TestMethod]
    public void A_softmax_before_opset_13_imports_only_along_the_last_axis()
    {
        var last = Graph("Softmax", [("x", [2, 3], OnnxTensors.Float)], [], 11, Int("axis", 1));
        StringAssert.Contains(OnnxImporter.Import(last, "m"), "y: {op: softmax, x: x}");
        var first = Graph("Softmax", [("x", [2, 3], OnnxTensors.Float)], [], 11, Int("axis", 0));
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(first, "m"));
        StringAssert.Contains(e.Message, "node 'n' (Softmax): before opset 13 ONNX's Softmax flattens its rank 2 input to 2-D at axis 0");
    }

    [TestMethod]
    public void An_int64_initializer_read_as_a_float_input_is_refused_naming_the_tensor_its_type_and_why()
    {
        var m = Graph("Add", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("B", 1, 2, 3)], 17);
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m"));
        Assert.AreEqual("node 'n' (Add): initializer 'B' has element type int64, but NetSpec computes in float32 or float64 (integer tensors only as constant shapes, axes, pads or class labels), so its add cannot take it", e.Message);
    }

    [TestMethod]
    public void An_int64_initializer_used_by_an_add_is_refused_by_the_import_command_not_a_crash()
    {
        var dir = Directory.CreateTempSubdirectory("netspec-import-").FullName;
        try
        {
            var model = Path.Combine(dir, "m.onnx");
            File.WriteAllBytes(model, Graph("Add", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("B", 1, 2, 3)], 17).ToByteArray());
            var err = new StringWriter();
            Assert.AreEqual(ExitCodes.InvalidSpec, ImportCommand.Run(model, null, null, new StringWriter(), err));
            StringAssert.Contains(err.ToString(), "initializer 'B' has element type int64");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void A_float16_graph_input_is_refused_with_its_type()
    {
        var m = Graph("Relu", [("x", [2, 3], (int)TensorProto.Types.DataType.Float16)], [], 17);
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m"));
        StringAssert.Contains(e.Message, "graph input 'x' has element type float16, but NetSpec computes in float32 or float64");
    }

    [TestMethod]
    public void A_reduce_sum_over_every_axis_without_keepdims_reads_its_constant_axes_input()
    {
        // ReduceSum(x, axes = [0, -1]), keepdims = 0: the sum of every element, 1 + 2 + ... + 6 = 21.
        var m = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("axes", 0, -1)], 13, Int("keepdims", 0));
        var text = OnnxImporter.Import(m, "m", [OnnxTensors.Create("x", [2, 3], [1, 2, 3, 4, 5, 6], float32: true)], [OnnxTensors.Create("y", [], [21], float32: true)]);
        StringAssert.Contains(text, "y: {op: reduce_sum, x: x, axes: [0, -1]}");
        var result = NetSpecEngine.Run(NetSpecEngine.LoadText("m.yaml", text).Graph!);
        Assert.IsTrue(result.AllPassed && result.Expectations.Count == 1, text);
    }

    [TestMethod]
    public void A_reduce_sum_along_one_axis_takes_its_axes_and_onnx_s_default_keepdims_1()
    {
        // ReduceSum(x, axes = [1]) with keepdims left out (ONNX's default 1): row sums 6 and 15, shape 2 x 1.
        var m = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("axes", 1)], 13);
        var text = OnnxImporter.Import(m, "m", [OnnxTensors.Create("x", [2, 3], [1, 2, 3, 4, 5, 6], float32: true)], [OnnxTensors.Create("y", [2, 1], [6, 15], float32: true)]);
        StringAssert.Contains(text, "y: {op: reduce_sum, x: x, axes: [1], keepdims: 1}");
        var result = NetSpecEngine.Run(NetSpecEngine.LoadText("m.yaml", text).Graph!);
        Assert.IsTrue(result.AllPassed && result.Expectations.Count == 1, text);
        // Before opset 13 the axes are an attribute; no axes and keepdims = 0 is reduce_sum's default.
        var old = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [], 11, Int("keepdims", 0),
            new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { -1 } });
        StringAssert.Contains(OnnxImporter.Import(old, "m"), "y: {op: reduce_sum, x: x, axes: [-1]}");
        StringAssert.Contains(OnnxImporter.Import(Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [], 11, Int("keepdims", 0)), "m"), "y: {op: reduce_sum, x: x}");
    }

    [TestMethod]
    public void A_reduce_sum_that_returns_its_input_is_identity_and_one_naming_an_axis_twice_is_refused_with_why()
    {
        // noop_with_empty_axes = 1 with no axes returns the input unchanged: identity's import-only form.
        var noop = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [], 13, Int("noop_with_empty_axes", 1));
        StringAssert.Contains(OnnxImporter.Import(noop, "m"), "y: {op: identity, x: x}");
        var empty = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("axes")], 13, Int("noop_with_empty_axes", 1));
        StringAssert.Contains(OnnxImporter.Import(empty, "m"), "y: {op: identity, x: x}");
        var twice = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("axes", 1, -1)], 13);
        StringAssert.Contains(Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(twice, "m")).Message,
            "node 'n' (ReduceSum): NetSpec's reduce_sum refuses it: input x is 2x3: axes [1, -1] name axis 1 twice");
        // noop_with_empty_axes = 1 with axes given sums along them as usual.
        var along = Graph("ReduceSum", [("x", [2, 3], OnnxTensors.Float)], [OnnxTensors.Int64s("axes", 0)], 13, Int("noop_with_empty_axes", 1), Int("keepdims", 0));
        StringAssert.Contains(OnnxImporter.Import(along, "m"), "y: {op: reduce_sum, x: x, axes: [0]}");
    }

    [TestMethod]
    public void Softmax_cross_entropy_with_class_weights_is_refused_saying_what_netspec_imports()
    {
        var m = Graph("SoftmaxCrossEntropyLoss", [("x", [3, 5], OnnxTensors.Float), ("w", [5], OnnxTensors.Float)], [OnnxTensors.Int64s("labels", 1, 0, 4)], 13);
        (m.Graph.Node[0].Input[1], m.Graph.Node[0].Input[2]) = ("labels", "w");
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m"));
        StringAssert.Contains(e.Message, "node 'n' (SoftmaxCrossEntropyLoss): its input 3 ('w') is not supported");
        StringAssert.Contains(e.Message, "no class weights, ignore_index or log_prob output");
    }

    [TestMethod]
    public void Without_test_data_the_inputs_are_zeros_marked_for_replacement()
    {
        var text = OnnxImporter.Import(Model("Relu", "r", [2, 3]), "m");
        StringAssert.Contains(text, "  # zeros: replace with real inputs (or import with --test-data)\n  x: [[0, 0, 0],\n      [0, 0, 0]]\n");
        Assert.IsTrue(NetSpecEngine.LoadText("m.yaml", text).Ok, text);
    }

    [TestMethod]
    public void Lab07_exported_then_imported_is_linear_relu_linear_again_and_computes_the_notes_output()
    {
        // o = M relu(W x + b) + c = [320, 347] for x = [10, 5] (hand arithmetic, specs/lab07.yaml).
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var model = OnnxExporter.Export(graph);
        var text = OnnxImporter.Import(model, "lab07",
            [OnnxTensors.Create("x", [1, 2], [10, 5], float32: false)],
            [OnnxTensors.Create("o", [1, 2], [320, 347], float32: false)]);
        StringAssert.Contains(text, "dtype: float64");
        StringAssert.Contains(text, "z: {op: linear, x: x, W: W, b: b}   # ONNX Gemm 'z', transB 1, transA 0, alpha 1, beta 1");
        StringAssert.Contains(text, "h: {op: relu, x: z}   # ONNX Relu 'h'");
        var loaded = NetSpecEngine.LoadText("lab07-imported.yaml", text);
        Assert.IsTrue(loaded.Ok, text);
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsTrue(result.AllPassed && result.Expectations.Count == 1, text);
    }

    [TestMethod]
    public void A_gemm_with_its_own_attributes_imports_as_gemm_with_only_those_not_at_netspec_s_defaults()
    {
        var dir = Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests", "test_gemm_all_attributes");
        var text = OnnxImporter.ImportFile(Path.Combine(dir, "model.onnx"), Path.Combine(dir, "test_data_set_0"));
        StringAssert.Contains(text, "y: {op: gemm, a: a, b: b, c: c, alpha: 0.25, beta: 0.35, trans_a: 1, trans_b: 1}");
    }

    public static IEnumerable<object[]> RoundTrips() =>
        new[] { "test_gemm_all_attributes", "test_gemm_default_no_bias", "test_matmul_2d", "test_sce_mean", "test_sce_sum", "test_sce_none", "test_softmax_large_number", "test_sum_example", "test_mul_example" }
            .Select(t => new object[] { t });

    [TestMethod]
    [DynamicData(nameof(RoundTrips))]
    public void An_imported_spec_written_as_yaml_parses_back_into_the_same_model_and_passes(string test)
    {
        var dir = Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests", test);
        var imported = OnnxImporter.ReadFile(Path.Combine(dir, "model.onnx"), Path.Combine(dir, "test_data_set_0"));
        var text = imported.ToYaml();
        var diagnostics = new NetSpec.Parser.Diagnostics.DiagnosticBag();
        var parsed = NetSpec.Parser.SpecParser.ParseText(imported.Document.Path, text, diagnostics).Document;
        Assert.IsFalse(diagnostics.HasErrors, string.Join("\n", diagnostics.Items) + "\n" + text);
        Assert.AreEqual(Describe(imported.Document), Describe(parsed!), text);
        var result = NetSpecEngine.Run(NetSpecEngine.LoadText(test + ".yaml", text).Graph!);
        Assert.IsTrue(result.AllPassed, text);
    }

    [TestMethod]
    public void Lab07_exported_imported_and_written_parses_back_into_the_same_model()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var imported = OnnxImporter.ImportModel(OnnxExporter.Export(graph), "lab07");
        var diagnostics = new NetSpec.Parser.Diagnostics.DiagnosticBag();
        var parsed = NetSpec.Parser.SpecParser.ParseText("lab07.yaml", imported.ToYaml(), diagnostics).Document!;
        Assert.AreEqual(Describe(imported.Document), Describe(parsed));
    }

    /// <summary>A spec model as text, without source positions: what a round trip must keep.</summary>
    private static string Describe(NetSpec.Parser.Model.SpecDocument d)
    {
        static string Lit(NetSpec.Parser.Model.TensorLiteral t) => $"[{string.Join(",", t.Dims)}] {string.Join(" ", t.Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}";
        static string Arg(NetSpec.Parser.Model.ArgValue v) => v switch
        {
            NetSpec.Parser.Model.ArgScalar s => $"{s.Text}({s.Number?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})",
            NetSpec.Parser.Model.ArgList l => "[" + string.Join(",", l.Items.Select(Arg)) + "]",
            _ => "?",
        };
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{d.Version} {d.Name} | {d.Description} | {d.Source} | {d.DType} | tol {d.DefaultTolerance:R}");
        foreach (var h in d.Hyperparameters) sb.AppendLine($"hyper {h.Name} {h.Value:R}");
        foreach (var x in d.Data) sb.AppendLine($"data {x.Name} {Lit(x.Value)}");
        foreach (var p in d.Parameters) sb.AppendLine($"param {p.Name} {(p.Value is { } v ? Lit(v) : p.Init!.Kind.Name)}");
        foreach (var n in d.Network) sb.AppendLine($"node {n.Name} {n.Op.Name} {string.Join(" ", n.Args.Select(a => $"{a.Key}={Arg(a.Value)}"))}");
        if (d.Backward is { } b) sb.AppendLine($"backward {b.From.Name}");
        foreach (var e in d.Expectations) sb.AppendLine($"expect {e.Kind} {e.Name.Name} {Lit(e.Value)} tol {e.Tolerance:R} step {e.Step}");
        return sb.ToString();
    }
}
