using System.Numerics;
using Google.Protobuf;
using NetSpec.Cli;
using NetSpec.Cli.Commands;
using NetSpec.Onnx;
using NetSpec.Runtime;
using NetSpec.Runtime.Ops;
using Onnx;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// The importer's machinery beyond one output per node: extra ONNX outputs computed by chains
/// of NetSpec nodes (a form's <see cref="OnnxForm.Outputs"/>), attributes given as constant
/// inputs of any element type, bool test outputs, constants as outputs, and models that are
/// not ONNX at all (truncated or garbage bytes): a refusal in one line, never a crash.
/// </summary>
[TestClass]
public sealed class OnnxImportMachineryTests
{
    /// <summary>A real op with other ONNX forms: tests the machinery without touching the ops' own tables.</summary>
    private sealed class WithForms(Op real, IReadOnlyList<OnnxForm> forms) : Op
    {
        public override string Name => real.Name;
        public override string Category => real.Category;
        public override string Summary => real.Summary;
        public override string Formula => real.Formula;
        public override string GradientFormula => real.GradientFormula;
        public override string ShapeRule => real.ShapeRule;
        public override string Example => real.Example;
        public override IReadOnlyList<InputSlot> Inputs => real.Inputs;
        public override IReadOnlyList<AttributeSpec> Attributes => real.Attributes;
        public override IReadOnlyList<OnnxForm> OnnxForms => forms;
        public override IEnumerable<GradientCase> GradientCases(int batch) => real.GradientCases(batch);
        protected override ShapeResult InferShape(ShapeQuery q) => real.Setup(q.Shapes, q.Names, q.Attributes);
        protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => real.RunForward(c);
        private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => real.RunBackward(c);
    }

    private static Op Real(string name) => OpRegistry.Find(name)!;

    /// <summary>A one-node model: float32 graph inputs, the node's outputs (all graph outputs unless <paramref name="graphOutputs"/> says), opset 17.</summary>
    private static ModelProto OneNode(string opType, (string Name, int[] Dims, int Type)[] inputs, string[] outputs, string[]? graphOutputs = null, params AttributeProto[] attributes)
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
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        g.Node.Add(node);
        foreach (var o in graphOutputs ?? outputs) g.Output.Add(OnnxExporter.ValueInfo(o, Shape.Scalar, f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return m;
    }

    private static string Import(ModelProto m, IEnumerable<Op> ops, IReadOnlyList<TensorProto>? inputs = null, IReadOnlyList<TensorProto>? outputs = null) =>
        new OnnxConversionAccess(m, inputs, outputs, ops).Yaml;

    /// <summary>The importer with other ops' forms (internal: the conversion takes an op list for these tests).</summary>
    private sealed class OnnxConversionAccess(ModelProto m, IReadOnlyList<TensorProto>? inputs, IReadOnlyList<TensorProto>? outputs, IEnumerable<Op> ops)
    {
        public string Yaml => new OnnxConversion(m, "m", inputs, outputs, ops).Run().ToYaml();
    }

    private static RunResult RunText(string text)
    {
        var loaded = NetSpecEngine.LoadText("m.yaml", text);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items) + "\n" + text);
        return NetSpecEngine.Run(loaded.Graph!);
    }

    /// <summary>Relu with made-up extra outputs: 2 sigmoid(x) (a chain of two steps and a constant), ones like x, and one refused.</summary>
    private static Op ReluWithExtras() => new WithForms(Real("relu"),
    [
        new OnnxForm("Relu")
        {
            Outputs =
            [
                new OnnxOutput(1, _ => [new OnnxStep("s", "sigmoid", ["x"]), new OnnxStep("t", "mul", ["s", "=2"])]),
                new OnnxOutput(2, _ => [OnnxStep.Ones("m", "x")]),
                new OnnxOutput(3, _ => []) { Refusal = "its indices are integers" },
            ],
        },
    ]);

    [TestMethod]
    public void An_extra_output_is_the_chain_its_form_declares_and_runs_to_independent_values()
    {
        double[] x = [-2, 0, 0.5, 3];
        var ops = new[] { ReluWithExtras() }.Concat(OpRegistry.All.Where(o => o.Name != "relu"));
        var m = OneNode("Relu", [("x", [4], OnnxTensors.Float)], ["y", "two_sig", "mask"]);
        m.Graph.Output[2].Type.TensorType.ElemType = OnnxTensors.Bool;
        // Expected values from Math.Exp, not from NetSpec: relu, 2 / (1 + e^-x), and a bool mask of trues.
        var text = Import(m, ops, [OnnxTensors.Create("x", [4], x, float32: true)],
        [
            OnnxTensors.Create("y", [4], [.. x.Select(v => Math.Max(v, 0))], float32: true),
            OnnxTensors.Create("two_sig", [4], [.. x.Select(v => 2 / (1 + Math.Exp(-(double)(float)v)))], float32: true),
            Bools("mask", true, true, true, true),
        ]);
        StringAssert.Contains(text, "two_sig_s: {op: sigmoid, x: x}");
        StringAssert.Contains(text, "two_sig: {op: mul, a: two_sig_s, b: two_sig_c1}");
        StringAssert.Contains(text, "bool: true as 1, false as 0");
        var result = RunText(text);
        Assert.HasCount(3, result.Expectations);
        Assert.IsTrue(result.AllPassed, text);
    }

    [TestMethod]
    public void A_bool_output_that_differs_from_netspec_s_ones_fails_the_imported_spec()
    {
        var ops = new[] { ReluWithExtras() }.Concat(OpRegistry.All.Where(o => o.Name != "relu"));
        var m = OneNode("Relu", [("x", [2], OnnxTensors.Float)], ["y", "", "mask"], graphOutputs: ["y", "mask"]);
        m.Graph.Output[1].Type.TensorType.ElemType = OnnxTensors.Bool;
        var text = Import(m, ops, [OnnxTensors.Create("x", [2], [1, 2], float32: true)],
            [OnnxTensors.Create("y", [2], [1, 2], float32: true), Bools("mask", true, false)]);
        var result = RunText(text);
        Assert.IsFalse(result.AllPassed, text);
        Assert.AreEqual(1, result.Expectations.Single(e => !e.Passed).WorstIndex);
    }

    [TestMethod]
    public void An_extra_output_the_form_does_not_compute_is_refused_only_when_the_graph_reads_it()
    {
        var ops = new[] { ReluWithExtras() }.Concat(OpRegistry.All.Where(o => o.Name != "relu"));
        var read = OneNode("Relu", [("x", [2], OnnxTensors.Float)], ["y", "", "", "idx"]);
        Assert.AreEqual("node 'n' (Relu): its output 4 ('idx'): its indices are integers",
            Assert.ThrowsExactly<OnnxImportException>(() => Import(read, ops)).Message);
        var plain = OneNode("Relu", [("x", [2], OnnxTensors.Float)], ["y", "z"]);
        Assert.AreEqual("node 'n' (Relu): its output 2 ('z') is not supported: NetSpec's relu computes only the first",
            Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(plain, "m")).Message);
        // Named but read by nothing: the first output imports alone.
        var unused = OneNode("Relu", [("x", [2], OnnxTensors.Float)], ["y", "z"], graphOutputs: ["y"]);
        StringAssert.Contains(OnnxImporter.Import(unused, "m"), "y: {op: relu, x: x}");
    }

    [TestMethod]
    public void An_attribute_given_as_an_input_is_read_from_a_float_or_bool_constant_of_the_test_data()
    {
        // LeakyRelu with its slope as a second input (a made-up form): the graph input 'a' with test data 0.25.
        var leaky = new WithForms(Real("leaky_relu"), [new OnnxForm("LeakyRelu") { Inputs = ["x", "@slope"] }]);
        var ops = new[] { leaky }.Concat(OpRegistry.All.Where(o => o.Name != "leaky_relu"));
        var m = OneNode("LeakyRelu", [("x", [2], OnnxTensors.Float), ("a", [], OnnxTensors.Float)], ["y"]);
        var text = Import(m, ops, [OnnxTensors.Create("x", [2], [-4, 2], float32: true), OnnxTensors.Create("a", [], [0.25], float32: true)],
            [OnnxTensors.Create("y", [2], [-1, 2], float32: true)]);
        StringAssert.Contains(text, "y: {op: leaky_relu, x: x, slope: 0.25}");
        Assert.IsTrue(RunText(text).AllPassed, text);
        // Without test data the slope is not known at import.
        StringAssert.Contains(Assert.ThrowsExactly<OnnxImportException>(() => Import(m, ops)).Message,
            "node 'n' (LeakyRelu): its input 2 (graph input 'a') gives slope, which NetSpec reads only from a constant tensor");
        // A bool constant is read as 0 or 1 (Dropout's training_mode); as a number attribute it is 1.
        var b = OneNode("LeakyRelu", [("x", [2], OnnxTensors.Float), ("a", [], OnnxTensors.Bool)], ["y"]);
        StringAssert.Contains(Import(b, ops, [OnnxTensors.Create("x", [2], [-4, 2], float32: true), Bools("a", true)]), "slope: 1}");
    }

    [TestMethod]
    public void An_int64_initializer_read_where_a_shape_or_label_is_not_wanted_is_refused_for_every_integer_type()
    {
        foreach (var type in new[] { TensorProto.Types.DataType.Int64, TensorProto.Types.DataType.Int32, TensorProto.Types.DataType.Int8, TensorProto.Types.DataType.Uint8, TensorProto.Types.DataType.Uint64, TensorProto.Types.DataType.Bool })
        {
            var m = OneNode("Add", [("x", [3], OnnxTensors.Float)], ["y"]);
            var b = new TensorProto { Name = "B", DataType = (int)type, Dims = { 3 } };
            if (type is TensorProto.Types.DataType.Int64) b.Int64Data.AddRange([1, 2, 3]);
            else if (type is TensorProto.Types.DataType.Uint64) b.Uint64Data.AddRange([1, 2, 3]);
            else b.Int32Data.AddRange([1, 0, 1]);
            m.Graph.Initializer.Add(b);
            m.Graph.Node[0].Input.Add("B");
            var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m"), type.ToString());
            Assert.AreEqual($"node 'n' (Add): initializer 'B' has element type {type.ToString().ToLowerInvariant()}, but NetSpec computes in float32 or float64 (integer tensors only as constant shapes, axes, pads or class labels), so its add cannot take it", e.Message);
        }
    }

    [TestMethod]
    public void A_half_precision_or_string_initializer_is_refused_with_its_type()
    {
        foreach (var type in new[] { TensorProto.Types.DataType.Float16, TensorProto.Types.DataType.Bfloat16, TensorProto.Types.DataType.String })
        {
            var m = OneNode("Add", [("x", [1], OnnxTensors.Float)], ["y"]);
            m.Graph.Initializer.Add(new TensorProto { Name = "B", DataType = (int)type, Dims = { 1 }, RawData = ByteString.CopyFrom(0, 0) });
            m.Graph.Node[0].Input.Add("B");
            StringAssert.Contains(Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m")).Message,
                $"initializer 'B' has element type {type.ToString().ToLowerInvariant()}, but NetSpec computes in float32 or float64");
        }
    }

    [TestMethod]
    public void Sequence_and_optional_inputs_are_refused_naming_the_kind()
    {
        var m = OneNode("Identity", [("x", [1], OnnxTensors.Float)], ["y"]);
        m.Graph.Input[0].Type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } } };
        Assert.AreEqual("graph input 'x' is not a tensor but a sequence; NetSpec reads tensors only", Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m")).Message);
        m.Graph.Input[0].Type = new TypeProto { OptionalType = new TypeProto.Types.Optional { ElemType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } } };
        Assert.AreEqual("graph input 'x' is not a tensor but an optional; NetSpec reads tensors only", Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m")).Message);
    }

    [TestMethod]
    public void A_graph_whose_only_node_is_a_constant_imports_the_literal_read_through_an_identity()
    {
        var g = new GraphProto { Name = "g" };
        var c = new NodeProto { OpType = "Constant", Name = "c" };
        c.Output.Add("values");
        c.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = OnnxTensors.Create("", [2], [0.5, -1.25], float32: true) });
        g.Node.Add(c);
        g.Output.Add(OnnxExporter.ValueInfo("values", new Shape([2]), f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var text = OnnxImporter.Import(m, "m", [], [OnnxTensors.Create("values", [2], [0.5, -1.25], float32: true)]);
        StringAssert.Contains(text, "values: [0.5, -1.25]");
        StringAssert.Contains(text, "values_out: {op: identity, x: values}");
        Assert.IsTrue(RunText(text).AllPassed, text);
    }

    private static TensorProto Bools(string name, params bool[] values)
    {
        var t = new TensorProto { Name = name, DataType = OnnxTensors.Bool };
        if (values.Length != 1) t.Dims.Add(values.Length);
        t.RawData = ByteString.CopyFrom([.. values.Select(v => (byte)(v ? 1 : 0))]);
        return t;
    }

    // Models that are not ONNX: every prefix of a real model, bytes flipped at random, and noise.

    public static IEnumerable<object[]> Damaged() =>
        new[] { "test_gemm_all_attributes", "test_sce_mean_weight_ii_3d_log_prob", "test_layer_normalization_4d_axis1", "test_conv_with_strides_padding", "test_reduce_sum_keepdims_example" }
            .Select(t => new object[] { t });

    [TestMethod]
    [DynamicData(nameof(Damaged))]
    public void A_truncated_or_corrupted_model_is_refused_in_one_line_or_imports_never_crashes(string test)
    {
        var dir = Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests", test);
        var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
        var rng = new Random(20261201);
        var cases = new List<(string What, byte[] Bytes)>();
        for (int n = 0; n < bytes.Length; n += Math.Max(1, bytes.Length / 60)) cases.Add(($"the first {n} bytes", bytes[..n]));
        for (int k = 0; k < 200; k++)
        {
            var b = (byte[])bytes.Clone();
            int flips = 1 + rng.Next(4);
            for (int f = 0; f < flips; f++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            cases.Add(($"corruption {k}", b));
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory("netspec-damaged-").FullName, "model.onnx");
        try
        {
            foreach (var (what, b) in cases)
            {
                File.WriteAllBytes(path, b);
                try
                {
                    // What still imports (a changed value or name) is a spec NetSpec loads.
                    var text = OnnxImporter.ImportFile(path, Path.Combine(dir, "test_data_set_0"));
                    var loaded = NetSpecEngine.LoadText("m.yaml", text);
                    Assert.IsTrue(loaded.Ok, $"{test}, {what}: {string.Join("; ", loaded.Diagnostics.Items)}");
                }
                catch (OnnxImportException e)
                {
                    Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message), what);
                    Assert.DoesNotContain("\n", e.Message, $"{test}, {what}: a refusal is one line: {e.Message}");
                }
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, true);
        }
    }

    [TestMethod]
    public void Noise_or_a_cut_model_given_to_the_import_command_exits_2_with_a_message()
    {
        var dir = Directory.CreateTempSubdirectory("netspec-garbage-").FullName;
        try
        {
            var conv = File.ReadAllBytes(Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests", "test_conv_with_strides_padding", "model.onnx"));
            foreach (var (name, b) in new[] { ("noise.onnx", new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 4096)), ("cut.onnx", conv[..(conv.Length / 2)]), ("empty.onnx", Array.Empty<byte>()) })
            {
                var model = Path.Combine(dir, name);
                File.WriteAllBytes(model, b);
                var err = new StringWriter();
                Assert.AreEqual(ExitCodes.InvalidSpec, ImportCommand.Run(model, Path.Combine(dir, "out.yaml"), null, new StringWriter(), err), name + ": " + err);
                StringAssert.Contains(err.ToString(), "cannot import", name);
                Assert.IsFalse(File.Exists(Path.Combine(dir, "out.yaml")), name);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
