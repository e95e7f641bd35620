using NetSpec.Onnx;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// Every spec exported to ONNX and run in ONNX Runtime gives NetSpec's forward values: within
/// 1e-6 in float32 and 1e-12 in float64, by NetSpec's rule |a - e| &lt;= tol · max(1, |e|).
/// A training spec is compared on the first batch of its training split. The exported model is
/// the network in evaluation mode (batch_norm with its running statistics, dropout the identity),
/// as torch.onnx.export writes a model by default, so NetSpec's forward runs in evaluation mode.
/// </summary>
[TestClass]
public sealed class OnnxExportTests
{
    public static IEnumerable<object[]> Cases() =>
        from spec in TestPaths.SpecFiles().Select(o => (string)o[0])
        from keepLoss in new[] { false, true }
        from f32 in new[] { true, false }
        select new object[] { spec, keepLoss, f32 };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void An_exported_spec_runs_in_onnx_runtime_with_netspec_s_outputs(string file, bool keepLoss, bool float32)
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
        var options = new OnnxExportOptions { Float32 = float32, KeepLoss = keepLoss };
        var (_, outputs) = SelectOrNull(graph, keepLoss);
        if (outputs is null)
        {
            // Only losses (or nodes after them): no inference graph; the exporter says so.
            var e = Assert.ThrowsExactly<OnnxExportException>(() => OnnxExporter.Export(graph, options));
            StringAssert.Contains(e.Message, "--keep-loss");
            return;
        }
        var model = OnnxExporter.ExportBytes(graph, options);
        var (expected, inputs) = float32 ? NetSpecForward<float>(graph) : NetSpecForward<double>(graph);
        var parsed = global::Onnx.ModelProto.Parser.ParseFrom(model);
        var feeds = parsed.Graph.Input.ToDictionary(i => i.Name, i => inputs[i.Name]);
        var outputNames = parsed.Graph.Output.Select(o => o.Name).ToList();
        CollectionAssert.AreEquivalent(outputs.Select(o => o.Name).ToArray(), outputNames.ToArray());
        if (!float32 && parsed.Graph.Node.FirstOrDefault(n => NoFloat64Kernel.Contains(n.OpType)) is { } missing)
        {
            // ONNX Runtime's CPU provider has these ops in float32 only: the float64 model is refused there, so say so and skip.
            var refused = Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => OnnxRuntimeRunner.Run(model, float32, feeds, outputNames));
            StringAssert.Contains(refused.Message, "NotImplemented");
            Assert.Inconclusive($"{file}: ONNX Runtime has no float64 {missing.OpType} kernel, so the float64 export is not run; the float32 export is checked");
        }
        var actual = OnnxRuntimeRunner.Run(model, float32, feeds, outputNames);
        // Inference outputs must agree to 1e-12 in float64. Kept losses reduce thousands of terms
        // (digits: 17,000 squared weights, log-sum-exp over every row) in another order and with
        // another exp/log, so they get 1e-10.
        double tol = float32 ? 1e-6 : keepLoss ? 1e-10 : 1e-12;
        foreach (var name in outputNames)
        {
            var (shape, values) = actual[name];
            var want = expected[name];
            CollectionAssert.AreEqual(graph.Find(name)!.Shape.Dims.ToArray().Select(d => (long)d).ToArray(), shape, $"{name}: shape");
            for (int i = 0; i < want.Length; i++)
                Assert.IsLessThanOrEqualTo(tol * Math.Max(1, Math.Abs(want[i])), Math.Abs(values[i] - want[i]),
                    $"{file} {name}[{i}]: onnxruntime {values[i]:R}, NetSpec {want[i]:R}");
        }
    }

    /// <summary>ONNX ops whose ONNX Runtime CPU kernels (1.31) are float32 only.</summary>
    internal static readonly HashSet<string> NoFloat64Kernel = ["Elu", "Erf", "Softplus", "Conv", "AveragePool"];

    [TestMethod]
    public void Lab07_s_inference_graph_is_gemm_relu_gemm_from_x_to_o_with_the_parameters_as_initializers()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var m = OnnxExporter.Export(graph);
        Assert.AreEqual(17, m.OpsetImport.Single().Version);
        CollectionAssert.AreEqual(new[] { "Gemm", "Relu", "Gemm" }, m.Graph.Node.Select(n => n.OpType).ToArray());
        CollectionAssert.AreEqual(new[] { "z", "h", "o" }, m.Graph.Node.Select(n => n.Name).ToArray());
        Assert.AreEqual(1, m.Graph.Node[0].Attribute.Single(a => a.Name == "transB").I);
        CollectionAssert.AreEqual(new[] { "x" }, m.Graph.Input.Select(i => i.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "o" }, m.Graph.Output.Select(i => i.Name).ToArray());
        CollectionAssert.AreEquivalent(new[] { "W", "b", "M", "c" }, m.Graph.Initializer.Select(i => i.Name).ToArray());
        // float64 by default (the spec's dtype); W as written, row-major, out x in.
        var w = m.Graph.Initializer.Single(i => i.Name == "W");
        Assert.AreEqual(OnnxTensors.Double, w.DataType);
        CollectionAssert.AreEqual(new long[] { 3, 2 }, w.Dims.ToArray());
        CollectionAssert.AreEqual(new double[] { 1, 2, 2, 5, 7, 3 }, OnnxTensors.Read(w, out _));
    }

    [TestMethod]
    public void Lab07_exported_after_training_carries_the_updated_parameters()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var m = OnnxExporter.Export(graph, new OnnxExportOptions { Trained = true });
        var c = OnnxTensors.Read(m.Graph.Initializer.Single(i => i.Name == "c"), out _)!;
        // The spec's own expectation for c after one step: c* = [5.001, 0.998].
        Assert.AreEqual(5.001, c[0], 1e-12);
        Assert.AreEqual(0.998, c[1], 1e-12);
    }

    private static (List<GraphNode>?, List<GraphValue>?) SelectOrNull(NetworkGraph g, bool keepLoss)
    {
        try
        {
            var (nodes, outputs) = OnnxExporter.Select(g, keepLoss);
            return (nodes, outputs);
        }
        catch (OnnxExportException)
        {
            return (null, null);
        }
    }

    internal static (Dictionary<string, double[]> Values, Dictionary<string, (int[], double[])> Inputs) NetSpecForward<T>(NetworkGraph g)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var interp = new Interpreter<T>(g, new InterpreterOptions { StopOnNonFinite = false }) { Training = false };
        LoadSpecParameters(interp);
        if (g.Dataset is { } data) LoadFirstBatch(interp, data);
        interp.Forward(1);
        var values = g.Values.ToDictionary(v => v.Name, v => interp.Value(v.Name).ToDoubles());
        var inputs = g.Values.Where(v => v.Kind == ValueKind.Data).ToDictionary(v => v.Name, v => (v.Shape.Dims.ToArray(), values[v.Name]));
        return (values, inputs);
    }

    /// <summary>
    /// The exporter writes the parameters as the spec has them in its own dtype (docs/onnx.md): a float32
    /// spec exported in float64 carries its float32 values, widened. NetSpec's forward at the export's
    /// precision starts from those values too, taken from an interpreter in the spec's dtype.
    /// </summary>
    private static void LoadSpecParameters<T>(Interpreter<T> interp)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var g = interp.Graph;
        bool specFloat32 = g.Spec.DType == NetSpec.Parser.Model.DType.Float32;
        if (specFloat32 == (typeof(T) == typeof(float))) return;
        var own = specFloat32 ? ParameterValues(new Interpreter<float>(g)) : ParameterValues(new Interpreter<double>(g));
        foreach (var (name, values) in own)
        {
            var p = interp.Value(name);
            for (int i = 0; i < values.Length; i++) p[i] = T.CreateChecked(values[i]);
        }
    }

    private static Dictionary<string, double[]> ParameterValues<T>(Interpreter<T> interp)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        interp.Graph.Values.Where(v => v.Kind == ValueKind.Parameter).ToDictionary(v => v.Name, v => interp.Value(v.Name).ToDoubles());

    /// <summary>
    /// A training spec plans its inputs and targets as one batch but leaves them empty (zeros, class 0):
    /// put the first batch of the training split in them, so both runtimes see real samples.
    /// </summary>
    private static void LoadFirstBatch<T>(Interpreter<T> interp, LoadedDataset data)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var ds = interp.Graph.Spec.Dataset!;
        var x = interp.Value(ds.Inputs.Name);
        var y = interp.Value(ds.Targets.Name);
        int rows = x.Shape.Rows, f = data.FeatureCount, c = data.ClassCount;
        CollectionAssert.AreEqual(new[] { rows, f }, x.Shape.Dims.ToArray(), "the planned input batch");
        CollectionAssert.AreEqual(new[] { rows, c }, y.Shape.Dims.ToArray(), "the planned target batch");
        Assert.IsLessThanOrEqualTo(data.Train.Rows, rows);
        for (int i = 0; i < rows * f; i++) x[i] = T.CreateChecked(data.Train.Features[i]);
        for (int i = 0; i < rows * c; i++) y[i] = T.CreateChecked(data.Train.Targets[i]);
        // Real samples, not the empty batch: the comparison is not one of zeros.
        Assert.IsTrue(data.Train.Features.AsSpan(0, rows * f).ContainsAnyExcept(0.0), "the first batch's features are all zero");
    }
}
