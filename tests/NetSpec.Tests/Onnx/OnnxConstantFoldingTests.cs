using NetSpec.Onnx;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using Onnx;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// Shape arithmetic folded at import (OnnxConstantFolding), the nodes rewritten for NetSpec's
/// forms (Pow by 2, opset-6 broadcast), each checked on its own and through a whole import.
/// </summary>
[TestClass]
public sealed class OnnxConstantFoldingTests
{
    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = output };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    private static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    private static OnnxValue Integers(string name, int[] dims, params long[] v) => new(name, dims, OnnxTensors.Int64, $"initializer '{name}'") { Integers = v, Known = true };

    private static OnnxValue Fold(Dictionary<string, OnnxValue> tensors, NodeProto node, int opset = 13)
    {
        Assert.IsTrue(OnnxConstantFolding.Fold(node, opset, tensors, $"node '{node.Name}'"), $"{node.OpType} is not folded");
        return tensors[node.Output[0]];
    }

    [TestMethod]
    public void The_view_chain_shape_gather_unsqueeze_concat_folds_to_the_constant_shape_reshape_reads()
    {
        // torch.onnx.export of x.view(x.size(0), -1) with a dynamic batch, on x of 3 x 2 x 4.
        var t = new Dictionary<string, OnnxValue>(StringComparer.Ordinal)
        {
            ["x"] = new("x", [3, 2, 4], OnnxTensors.Float, "graph input 'x'") { Values = new double[24], IsGraphInput = true },
            ["zero"] = Integers("zero", [], 0),
            ["axes"] = Integers("axes", [1], 0),
            ["minus1"] = Integers("minus1", [1], -1),
        };
        var shape = Fold(t, Node("Shape", ["x"], "s"));
        CollectionAssert.AreEqual(new long[] { 3, 2, 4 }, shape.Integers);
        CollectionAssert.AreEqual(new[] { 3 }, shape.Dims);
        var n = Fold(t, Node("Gather", ["s", "zero"], "n", Int("axis", 0)));
        CollectionAssert.AreEqual(new long[] { 3 }, n.Integers);
        Assert.IsEmpty(n.Dims, "a scalar index gathers a scalar");
        var u = Fold(t, Node("Unsqueeze", ["n", "axes"], "u"));
        CollectionAssert.AreEqual(new[] { 1 }, u.Dims);
        var c = Fold(t, Node("Concat", ["u", "minus1"], "c", Int("axis", 0)));
        CollectionAssert.AreEqual(new long[] { 3, -1 }, c.Integers);
        CollectionAssert.AreEqual(new[] { 2 }, c.Dims);
        // Before opset 13 Unsqueeze takes its axes as an attribute.
        t.Remove("u");
        CollectionAssert.AreEqual(new long[] { 3 }, Fold(t, Node("Unsqueeze", ["n"], "u", Ints("axes", 0)), opset: 11).Integers);
    }

    [TestMethod]
    public void Integer_arithmetic_slices_squeezes_and_casts_fold_as_onnx_computes_them()
    {
        var t = new Dictionary<string, OnnxValue>(StringComparer.Ordinal)
        {
            ["a"] = Integers("a", [3], 7, -7, 12),
            ["two"] = Integers("two", [], 2),
            ["s"] = Integers("s", [4], 5, 6, 7, 8),
            ["one"] = Integers("one", [1], 1),
            ["big"] = Integers("big", [1], long.MaxValue),
            ["col"] = Integers("col", [1, 1], 9),
        };
        CollectionAssert.AreEqual(new long[] { 3, -3, 6 }, Fold(t, Node("Div", ["a", "two"], "q")).Integers, "integer Div truncates toward zero");
        CollectionAssert.AreEqual(new long[] { 9, -5, 14 }, Fold(t, Node("Add", ["a", "two"], "p")).Integers);
        CollectionAssert.AreEqual(new long[] { 14, -14, 24 }, Fold(t, Node("Mul", ["two", "a"], "m")).Integers);
        CollectionAssert.AreEqual(new long[] { 6, 7, 8 }, Fold(t, Node("Slice", ["s", "one", "big"], "tail")).Integers, "ends clamp to the length");
        var sq = Fold(t, Node("Squeeze", ["col"], "sq"));
        Assert.IsEmpty(sq.Dims);
        CollectionAssert.AreEqual(new long[] { 9 }, sq.Integers);
        var f = Fold(t, Node("Cast", ["a"], "f", Int("to", OnnxTensors.Float)));
        Assert.IsNull(f.Integers);
        CollectionAssert.AreEqual(new double[] { 7, -7, 12 }, f.Values);
        // A float node output is not known at import: nothing folds.
        t["y"] = new("y", [3], OnnxTensors.Float, "output 'y'") { NetSpec = "y" };
        Assert.IsFalse(OnnxConstantFolding.Fold(Node("Identity", ["y"], "z"), 13, t, "node 'z'"));
    }

    /// <summary>A model over graph input x (float32, shape given) with initializers, nodes in order, output y.</summary>
    private static ModelProto Model(int opset, int[] x, TensorProto[] initializers, params NodeProto[] nodes)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(OnnxExporter.ValueInfo("x", new Shape(x), f32: true));
        g.Initializer.AddRange(initializers);
        g.Node.AddRange(nodes);
        g.Output.Add(OnnxExporter.ValueInfo("y", Shape.Scalar, f32: true));
        var m = new ModelProto { IrVersion = 8, Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = opset });
        return m;
    }

    private static double[] Run(ModelProto model, double[] x, int[] dims)
    {
        var yaml = OnnxImporter.Import(model, "m", [OnnxTensors.Create("x", dims, x, float32: true)]);
        var loaded = NetSpecEngine.LoadText("m.yaml", yaml);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items) + "\n" + yaml);
        var interp = new Interpreter<float>(loaded.Graph!);
        interp.Forward(1);
        return interp.Value("y").ToDoubles();
    }

    [TestMethod]
    public void A_reduce_sum_whose_axes_come_from_folded_shape_arithmetic_imports_and_runs()
    {
        // axes = Unsqueeze(Sub(Gather(Shape(x), 0), 1), [0]) = [2 - 1] = [1]: row sums of x (2 x 3).
        var m = Model(13, [2, 3], [OnnxTensors.Int64s("i0", 0), OnnxTensors.Int64s("one", 1), OnnxTensors.Int64s("ax0", 0)],
            Node("Shape", ["x"], "s"), Node("Gather", ["s", "i0"], "g"), Node("Sub", ["g", "one"], "d"),
            Node("Squeeze", ["d"], "ds"), Node("Unsqueeze", ["ds", "ax0"], "axes"),
            Node("ReduceSum", ["x", "axes"], "y", Int("keepdims", 0)));
        var yaml = OnnxImporter.Import(m, "m");
        StringAssert.Contains(yaml, "{op: reduce_sum, x: x, axes: [1]}");
        Assert.DoesNotContain("Shape", yaml.Split("network:")[1].Split("data:")[0], "the shape arithmetic writes no node");
        CollectionAssert.AreEqual(new double[] { 6, 15 }, Run(m, [1, 2, 3, 4, 5, 6], [2, 3]));
    }

    [TestMethod]
    public void Pow_by_a_constant_two_imports_as_a_product_and_an_identity_of_an_initializer_as_the_initializer()
    {
        // y = Pow(x, 2) + Identity(B): LayerNorm's variance before opset 17, batch-norm statistics in PyTorch's exports.
        var m = Model(13, [1, 3], [OnnxTensors.Create("two", [], [2], float32: true), OnnxTensors.Create("B", [3], [10, 20, 30], float32: true)],
            Node("Pow", ["x", "two"], "sq"), Node("Identity", ["B"], "b2"), Node("Add", ["sq", "b2"], "y"));
        var yaml = OnnxImporter.Import(m, "m");
        StringAssert.Contains(yaml, "sq: {op: mul, a: x, b: x}");
        StringAssert.Contains(yaml, "y: {op: add, a: sq, b: B}");
        Assert.DoesNotContain("two:", yaml, "the exponent is not a parameter");
        CollectionAssert.AreEqual(new double[] { 11, 24, 39 }, Run(m, [1, 2, 3], [1, 3]));
        // Pow by another exponent is not rewritten: NetSpec has no pow, and says so.
        var cube = Model(13, [1, 3], [OnnxTensors.Create("three", [], [3], float32: true)], Node("Pow", ["x", "three"], "y"));
        StringAssert.Contains(Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(cube, "m")).Message, "NetSpec has no op for ONNX 'Pow'");
    }

    [TestMethod]
    public void Opset_6_gemm_and_add_with_broadcast_import_as_opset_7_s_broadcasting()
    {
        var m = Model(6, [2, 2], [OnnxTensors.Create("W", [3, 2], [1, 0, 0, 1, 1, 1], float32: true), OnnxTensors.Create("b", [3], [1, 2, 3], float32: true),
                OnnxTensors.Create("c", [3], [100, 200, 300], float32: true)],
            Node("Gemm", ["x", "W", "b"], "z", Int("transB", 1), Int("broadcast", 1)), Node("Add", ["z", "c"], "y", Int("broadcast", 1)));
        var yaml = OnnxImporter.Import(m, "m");
        StringAssert.Contains(yaml, "z: {op: linear, x: x, W: W, b: b}");
        StringAssert.Contains(yaml, "y: {op: add, a: z, b: c}");
        // x = [[1, 2], [3, 4]]: z = x W^T + b = [[2, 4, 6], [4, 6, 10]], then + c.
        CollectionAssert.AreEqual(new double[] { 102, 204, 306, 104, 206, 310 }, Run(m, [1, 2, 3, 4], [2, 2]));
        // An opset-6 broadcast along a leading axis is not NumPy's: refused, not mis-read.
        var lead = Model(6, [3, 2], [OnnxTensors.Create("c", [3], [1, 2, 3], float32: true)], Node("Add", ["x", "c"], "y", Int("broadcast", 1), Int("axis", 0)));
        Assert.ThrowsExactly<OnnxImportException>(() => OnnxImporter.Import(lead, "m"));
    }
}
