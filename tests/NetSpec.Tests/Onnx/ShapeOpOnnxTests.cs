using NetSpec.Onnx;
using NetSpec.Runtime;
using Onnx;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// The shape ops and reduce_mean through ONNX: what the exporter writes (a reshape that follows a
/// symbolic batch, pads and the pad value as Pad's inputs, axes as ReduceMean's attribute before
/// opset 18 and its input from 18) and what the importer reads back or refuses, saying why.
/// </summary>
[TestClass]
public sealed class ShapeOpOnnxTests
{
    private static NetSpec.Runtime.Graph.NetworkGraph Load(string yaml) => NetSpec.Tests.Runtime.SpecText.Load(yaml).Graph!;

    private static long[] Int64s(ModelProto m, string name) => m.Graph.Initializer.Single(t => t.Name == name).Int64Data.ToArray();

    [TestMethod]
    [DataRow("[2, 6]", "2x3x2", "0, 6")]           // keeps the first axis: 0
    [DataRow("[4, 3]", "2x6", "-1, 3")]            // another first axis: -1, inferred
    [DataRow("[3, -1]", "2x3x2", "3, -1")]         // a -1 elsewhere: as written
    [DataRow("[0, 1, 2, 3]", "2x6", "0, 1, 2, 3")] // already batch-free
    public void Reshape_exports_a_shape_whose_first_entry_follows_the_batch(string shape, string input, string written)
    {
        int[] dims = [.. input.Split('x').Select(int.Parse)];
        string data = dims.Length == 2
            ? "[" + string.Join(", ", Enumerable.Range(0, dims[0]).Select(r => "[" + string.Join(", ", Enumerable.Range(0, dims[1]).Select(c => r * dims[1] + c)) + "]")) + "]"
            : "[[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]";
        var model = OnnxExporter.Export(Load($"network:\n  y: {{op: reshape, x: x, shape: {shape}}}\ndata:\n  x: {data}\n"));
        var node = model.Graph.Node.Single();
        Assert.AreEqual("Reshape", node.OpType);
        Assert.AreEqual("x", node.Input[0]);
        Assert.AreEqual(written, string.Join(", ", Int64s(model, node.Input[1])));
    }

    [TestMethod]
    public void Pad_exports_pads_as_an_int64_input_and_its_value_as_a_scalar_and_imports_back_to_the_same_node()
    {
        var graph = Load("network:\n  y: {op: pad, x: x, pads: [0, 1, 0, 2], value: 0.5}\ndata:\n  x: [[1, 2], [3, 4]]\n");
        var model = OnnxExporter.Export(graph, new OnnxExportOptions { Float32 = false });
        var node = model.Graph.Node.Single();
        Assert.AreEqual("Pad", node.OpType);
        Assert.AreEqual(0, node.Attribute.Count, "mode is left at ONNX's default, constant");
        CollectionAssert.AreEqual(new long[] { 0, 1, 0, 2 }, Int64s(model, node.Input[1]));
        var value = model.Graph.Initializer.Single(t => t.Name == node.Input[2]);
        Assert.AreEqual(0, value.Dims.Count);
        CollectionAssert.AreEqual(new[] { 0.5 }, OnnxTensors.Read(value, out _));

        string text = OnnxImporter.Import(model, "m");
        StringAssert.Contains(text, "y: {op: pad, x: x, pads: [0, 1, 0, 2], value: 0.5}");
        Assert.DoesNotContain("y/value", text, "the pad value is read as the attribute, not declared as a parameter");
    }

    /// <summary>A model of one node over a float input x (dims) and constant initializers, at an opset.</summary>
    private static ModelProto Graph(string opType, int[] dims, TensorProto?[] constants, int opset, params AttributeProto[] attributes)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(OnnxExporter.ValueInfo("x", new Shape(dims), f32: true));
        var node = new NodeProto { OpType = opType, Name = "n" };
        node.Input.Add("x");
        foreach (var t in constants)
        {
            if (t is not null) g.Initializer.Add(t);
            node.Input.Add(t?.Name ?? "");
        }
        node.Output.Add("y");
        node.Attribute.AddRange(attributes);
        g.Node.Add(node);
        g.Output.Add(OnnxExporter.ValueInfo("y", Shape.Scalar, f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
        return m;
    }

    private static AttributeProto Ints(string name, params long[] values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static string Refusal(ModelProto m) => Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(m, "m")).Message;

    [TestMethod]
    public void Pad_imports_from_opset_2_attributes_and_opset_11_inputs_and_refuses_other_modes_and_partial_axes()
    {
        StringAssert.Contains(OnnxImporter.Import(Graph("Pad", [2, 2], [], 10, Ints("pads", 1, 0, 0, 1),
            new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Float, F = 2.5f }), "m"),
            "y: {op: pad, x: x, pads: [1, 0, 0, 1], value: 2.5}");
        StringAssert.Contains(OnnxImporter.Import(Graph("Pad", [2, 2], [OnnxTensors.Int64s("p", 1, 0, 0, 1)], 13), "m"),
            "y: {op: pad, x: x, pads: [1, 0, 0, 1]}");
        StringAssert.Contains(OnnxImporter.Import(Graph("Pad", [2, 2], [OnnxTensors.Int64s("p", 1, 0, 0, 1), null, OnnxTensors.Int64s("a", 0, -1)], 18), "m"),
            "y: {op: pad, x: x, pads: [1, 0, 0, 1]}");

        var reflect = Graph("Pad", [2, 2], [OnnxTensors.Int64s("p", 1, 0, 0, 1)], 13,
            new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("reflect") });
        StringAssert.Contains(Refusal(reflect), "mode is 'reflect', but NetSpec's pad takes mode = constant");
        var partial = Graph("Pad", [2, 2], [OnnxTensors.Int64s("p", 1, 1), null, OnnxTensors.Int64s("a", 1)], 18);
        StringAssert.Contains(Refusal(partial), "its axes [1] pad only some axes or in another order, and NetSpec's pad takes pads for every axis in order");
    }

    [TestMethod]
    public void Reduce_mean_takes_its_axes_as_an_attribute_before_opset_18_and_as_an_input_from_18()
    {
        StringAssert.Contains(OnnxImporter.Import(Graph("ReduceMean", [2, 3], [], 13, Ints("axes", 1)), "m"), "y: {op: reduce_mean, x: x, axes: [1], keepdims: 1}");
        StringAssert.Contains(OnnxImporter.Import(Graph("ReduceMean", [2, 3], [OnnxTensors.Int64s("a", -1)], 18, Int("keepdims", 0)), "m"), "y: {op: reduce_mean, x: x, axes: [-1]}");
        StringAssert.Contains(Refusal(Graph("ReduceMean", [2, 3], [], 18, Int("noop_with_empty_axes", 1))),
            "noop_with_empty_axes = 1 with no axes returns the input unchanged, but NetSpec's reduce_mean with no axes averages every axis");

        var graph = Load("network:\n  y: {op: reduce_mean, x: x, axes: [1]}\ndata:\n  x: [[1, 2], [3, 4]]\n");
        var at17 = OnnxExporter.Export(graph).Graph.Node.Single();
        Assert.AreEqual("axes", at17.Attribute.Single(a => a.Name == "axes").Name);
        Assert.HasCount(1, at17.Input);
        var model18 = OnnxExporter.Export(graph, new OnnxExportOptions { Opset = 18 });
        var at18 = model18.Graph.Node.Single();
        Assert.IsFalse(at18.Attribute.Any(a => a.Name == "axes"));
        CollectionAssert.AreEqual(new long[] { 1 }, Int64s(model18, at18.Input[1]));
    }

    [TestMethod]
    public void Reshape_and_flatten_and_concat_refuse_what_netspec_cannot_compute_saying_why()
    {
        StringAssert.Contains(Refusal(Graph("Reshape", [2, 3], [OnnxTensors.Int64s("s", 3, 0)], 14, Int("allowzero", 1))),
            "allowzero = 1 with a 0 in shape [3, 0] asks for an axis of size 0, and NetSpec tensors hold at least one value");
        StringAssert.Contains(OnnxImporter.Import(Graph("Reshape", [2, 3], [OnnxTensors.Int64s("s", 3, 2)], 14, Int("allowzero", 1)), "m"),
            "y: {op: reshape, x: x, shape: [3, 2]}");
        StringAssert.Contains(Refusal(Graph("Reshape", [2, 3], [OnnxTensors.Int64s("s", 4, -1)], 13)),
            "NetSpec's reshape refuses it: shape [4, -1] cannot take the 6 elements of x");
        StringAssert.Contains(Refusal(Graph("Flatten", [2, 3], [], 9, Int("axis", -1))), "a negative axis in Flatten needs opset 11, and the model's opset is 9");
        StringAssert.Contains(OnnxImporter.Import(Graph("Flatten", [2, 3, 2], [], 13, Int("axis", -1)), "m"), "y: {op: flatten, x: x, axis: -1}");
        StringAssert.Contains(OnnxImporter.Import(Graph("Transpose", [2, 3, 2], [], 13), "m"), "y: {op: transpose, x: x}");
    }
}
