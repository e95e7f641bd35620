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
            File.WriteAllBytes(model, Model("Tanh", "act1", [2, 3]).ToByteArray());
            var spec = Path.Combine(dir, "m.yaml");
            var err = new StringWriter();
            Assert.AreEqual(ExitCodes.InvalidSpec, ImportCommand.Run(model, spec, null, new StringWriter(), err));
            StringAssert.Contains(err.ToString(), "node 'act1' (Tanh): NetSpec has no op for ONNX 'Tanh'");
            Assert.IsFalse(File.Exists(spec), "no partial spec");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void A_rank_3_tensor_is_an_error_saying_netspec_tensors_have_two_dimensions_at_most()
    {
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(Model("Relu", "r", [3, 4, 5]), "m"));
        StringAssert.Contains(e.Message, "graph input 'x' has rank 3 ([3, 4, 5]); NetSpec tensors have at most 2 dimensions");
    }

    [TestMethod]
    public void A_softmax_along_columns_is_refused_with_its_axis()
    {
        var m = Model("Softmax", "sm", [2, 3]);
        m.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        var e = Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m"));
        StringAssert.Contains(e.Message, "node 'sm' (Softmax)");
        StringAssert.Contains(e.Message, "axis 0 of rank 2");
    }

    [TestMethod]
    public void Without_test_data_the_inputs_are_zeros_marked_for_replacement()
    {
        var text = OnnxImporter.Import(Model("Relu", "r", [2, 3]), "m");
        StringAssert.Contains(text, "x: [[0, 0, 0], [0, 0, 0]]   # zeros: replace with real inputs");
        Assert.IsTrue(NetSpecEngine.LoadText("m.yaml", text).Ok, text);
    }

    [TestMethod]
    public void Lab07_exported_then_imported_computes_the_notes_output()
    {
        // o = M relu(W x + b) + c = [320, 347] for x = [10, 5] (hand arithmetic, specs/lab07.yaml).
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var model = OnnxExporter.Export(graph);
        var text = OnnxImporter.Import(model, "lab07",
            [OnnxTensors.Create("x", [1, 2], [10, 5], float32: false)],
            [OnnxTensors.Create("o", [1, 2], [320, 347], float32: false)]);
        StringAssert.Contains(text, "dtype: float64");
        StringAssert.Contains(text, "z: {op: gemm, a: x, b: W, c: b, alpha: 1, beta: 1, trans_a: 0, trans_b: 1}");
        var loaded = NetSpecEngine.LoadText("lab07-imported.yaml", text);
        Assert.IsTrue(loaded.Ok, text);
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsTrue(result.AllPassed && result.Expectations.Count == 1, text);
    }
}
