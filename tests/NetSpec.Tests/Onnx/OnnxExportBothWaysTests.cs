using NetSpec.Onnx;
using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;
using Onnx;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// Every spec's ONNX export, checked from outside and brought back: the onnx package's checker
/// and strict shape inference accept it; its symbolic batch dimension lets ONNX Runtime run it at
/// another batch size to NetSpec's values for that batch; and NetSpec's importer reads it back
/// (losses kept or not) into a spec that computes the same values.
/// </summary>
[TestClass]
public sealed class OnnxExportBothWaysTests
{
    public static IEnumerable<object[]> Cases() => OnnxExportTests.Cases();

    [TestMethod]
    public void Every_export_passes_the_onnx_checker_with_full_check_and_strict_shape_inference()
    {
        var (python, missing) = TestPython.Find("onnx, onnx.checker, onnx.shape_inference");
        if (python is null) Assert.Inconclusive($"the ONNX checker runs in Python with the onnx package (Debian: apt-get install python3-onnx): {missing}");
        var dir = Directory.CreateTempSubdirectory("netspec-onnx-check-").FullName;
        try
        {
            var files = new List<string>();
            foreach (var c in Cases())
            {
                var (file, keepLoss, f32) = ((string)c[0], (bool)c[1], (bool)c[2]);
                var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
                if (!HasInferenceGraph(graph, keepLoss)) continue;
                string path = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(file)}{(keepLoss ? "-loss" : "")}-{(f32 ? "f32" : "f64")}.onnx");
                File.WriteAllBytes(path, OnnxExporter.ExportBytes(graph, new OnnxExportOptions { Float32 = f32, KeepLoss = keepLoss }));
                files.Add(path);
            }
            var (code, output) = TestPython.Run(python, [Path.Combine(TestPaths.Root, "tools", "onnx-check.py"), .. files], TimeSpan.FromMinutes(5));
            Assert.AreEqual(0, code, output);
            Assert.AreEqual(files.Count, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)), output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void An_export_with_a_symbolic_batch_runs_in_onnx_runtime_at_another_batch_size_to_netspec_s_values(string file, bool keepLoss, bool float32)
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
        if (!HasInferenceGraph(graph, keepLoss)) return;   // OnnxExportTests checks the refusal
        var model = OnnxExporter.Export(graph, new OnnxExportOptions { Float32 = float32, KeepLoss = keepLoss });
        var symbolic = model.Graph.Input.Where(i => i.Type.TensorType.Shape.Dim.Count > 0 && i.Type.TensorType.Shape.Dim[0].DimParam == OnnxBatchAxes.Batch).Select(i => i.Name).ToHashSet();
        var ranked = model.Graph.Input.Where(i => i.Type.TensorType.Shape.Dim.Count > 0).Select(i => i.Name).ToArray();
        if (ranked.Length == 0)
        {
            // Scalars and parameters only (sum-forward, regularization-forward): no batch to vary.
            Assert.IsTrue(model.Graph.Output.All(o => o.Type.TensorType.Shape.Dim.All(d => d.HasDimValue)), $"{file}: an output has a symbolic dimension");
            return;
        }
        if (FixedBatch.Contains(file) || (keepLoss && FixedBatchWithLoss.Contains(file)))
        {
            Assert.IsEmpty(symbolic, $"{file}: its batch cannot vary");
            return;
        }
        Assert.IsNotEmpty(symbolic, $"{file}: no input has a symbolic batch");
        // Every data input of rank 1 or more follows the batch, as do the outputs that are per sample.
        CollectionAssert.AreEquivalent(ranked, symbolic.ToArray());

        // The same spec with 2N + 1 samples (its rows repeated), built and run by NetSpec.
        var exported = OnnxExporter.Select(graph, keepLoss).Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var other = WithBatch(Path.Combine(TestPaths.Specs, file), symbolic, exported);
        var (expected, inputs) = float32 ? OnnxExportTests.NetSpecForward<float>(other) : OnnxExportTests.NetSpecForward<double>(other);
        int n = graph.Find(symbolic.First())!.Shape[0];
        Assert.AreEqual(2 * n + 1, other.Find(symbolic.First())!.Shape[0]);
        var outputNames = model.Graph.Output.Select(o => o.Name).ToList();
        if (!float32 && model.Graph.Node.FirstOrDefault(n => OnnxExportTests.NoFloat64Kernel.Contains(n.OpType)) is { } missing)
            Assert.Inconclusive($"{file}: ONNX Runtime has no float64 {missing.OpType} kernel, so the float64 export is not run at another batch; the float32 export is");
        var actual = OnnxRuntimeRunner.Run(OnnxExporter.ExportBytes(graph, new OnnxExportOptions { Float32 = float32, KeepLoss = keepLoss }), float32,
            model.Graph.Input.ToDictionary(i => i.Name, i => inputs[i.Name]), outputNames);
        // Kept losses sum in another order at the other batch size: float32 to 1e-5, as the torch exports are checked.
        double tol = float32 ? (keepLoss ? 1e-5 : 1e-6) : keepLoss ? 1e-10 : 1e-12;
        foreach (var name in outputNames)
        {
            var (shape, values) = actual[name];
            var want = expected[name];
            CollectionAssert.AreEqual(other.Find(name)!.Shape.Dims.ToArray().Select(d => (long)d).ToArray(), shape, $"{name}: shape at batch {2 * n + 1}");
            for (int i = 0; i < want.Length; i++)
                Assert.IsLessThanOrEqualTo(tol * Math.Max(1, Math.Abs(want[i])), Math.Abs(values[i] - want[i]),
                    $"{file} {name}[{i}] at batch {2 * n + 1}: onnxruntime {values[i]:R}, NetSpec {want[i]:R}");
        }
    }

    /// <summary>Specs whose batch axis cannot vary: gemm-transposed reads A as K x M (op(A) = A^T), so its axis 0 is contracted with B.</summary>
    private static readonly HashSet<string> FixedBatch = new(StringComparer.Ordinal) { "gemm-transposed.yaml" };

    /// <summary>Specs whose losses fix the batch: nll-loss's labels y1 are one data row of 4 (1 x 4), the samples along axis 1.</summary>
    private static readonly HashSet<string> FixedBatchWithLoss = new(StringComparer.Ordinal) { "nll-loss.yaml", "cross-entropy-class-index.yaml" };

    /// <summary>
    /// Kept-loss exports that run in ONNX Runtime but that NetSpec's importer does not read back,
    /// with the ONNX op it stops at: softmax_cross_entropy with class labels and label smoothing
    /// exports as a chain of masks and gathers (Equal, Where, GatherElements; ONNX's own
    /// SoftmaxCrossEntropyLoss has no smoothing). The test checks that the refusal is that one,
    /// so it fails when the gap closes or moves.
    /// </summary>
    private static readonly Dictionary<string, string> KeptLossNotReimported = new(StringComparer.Ordinal)
    {
        ["cross-entropy-class-index.yaml"] = "ONNX 'Equal'",
    };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void An_export_re_imports_into_a_spec_that_computes_the_same_values(string file, bool keepLoss, bool float32)
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file)).Graph!;
        if (!HasInferenceGraph(graph, keepLoss)) return;
        var bytes = OnnxExporter.ExportBytes(graph, new OnnxExportOptions { Float32 = float32, KeepLoss = keepLoss });
        var model = ModelProto.Parser.ParseFrom(bytes);
        var (expected, inputs) = float32 ? OnnxExportTests.NetSpecForward<float>(graph) : OnnxExportTests.NetSpecForward<double>(graph);
        var testInputs = model.Graph.Input.Select(i => OnnxTensors.Create(i.Name, inputs[i.Name].Item1, inputs[i.Name].Item2, float32)).ToList();
        var testOutputs = model.Graph.Output.Select(o => OnnxTensors.Create(o.Name, graph.Find(o.Name)!.Shape.Dims, expected[o.Name], float32)).ToList();

        ImportedSpec imported;
        try
        {
            imported = OnnxImporter.ImportModel(model, Path.GetFileNameWithoutExtension(file), testInputs, testOutputs);
        }
        catch (OnnxImportException e)
        {
            if (keepLoss && KeptLossNotReimported.TryGetValue(file, out var known))
            {
                Assert.Contains(known, e.Message, $"{file} --keep-loss: refused for another reason");
                return;
            }
            Assert.Fail($"{file}{(keepLoss ? " --keep-loss" : "")}: NetSpec's importer refuses NetSpec's own export: {e.Message}");
            return;
        }
        string yaml = imported.ToYaml();
        var loaded = NetSpecEngine.LoadText("imported.yaml", yaml);
        Assert.IsTrue(loaded.Ok, $"{file}: the imported spec does not load:\n{string.Join("\n", loaded.Diagnostics.Items.Select(d => d.ToString()))}\n{yaml}");
        Assert.AreEqual(float32 ? DType.Float32 : DType.Float64, loaded.Graph!.Spec.DType);
        var values = float32 ? Forward<float>(loaded.Graph) : Forward<double>(loaded.Graph);

        // A graph of ops with one ONNX node each comes back node for node: the same kernels on the
        // same values, so the same bits. An op written as a chain of ONNX nodes (a kept l2_loss as
        // Sub, Mul, ReduceSum, ReduceMean, Mul; gelu as Div, Erf, Add, Mul) comes back as that
        // chain, which computes in another order.
        bool chains = OnnxExporter.Select(graph, keepLoss).Nodes.Any(n => n.Op.WritesOwnOnnx);
        double tol = !chains ? 0 : float32 ? 1e-6 : 1e-12;
        foreach (var o in model.Graph.Output)
        {
            var got = values[o.Name];
            var want = expected[o.Name];
            Assert.HasCount(want.Length, got, $"{o.Name}: element count");
            for (int i = 0; i < want.Length; i++)
                Assert.IsLessThanOrEqualTo(tol * Math.Max(1, Math.Abs(want[i])), Math.Abs(got[i] - want[i]),
                    $"{file}{(keepLoss ? " --keep-loss" : "")} {o.Name}[{i}]: re-imported {got[i]:R}, NetSpec {want[i]:R}\n{yaml}");
        }
    }

    private static Dictionary<string, double[]> Forward<T>(NetworkGraph g) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var interp = new Interpreter<T>(g, new InterpreterOptions { StopOnNonFinite = false });
        interp.Forward(1);
        return g.Values.ToDictionary(v => v.Name, v => interp.Value(v.Name).ToDoubles());
    }

    private static bool HasInferenceGraph(NetworkGraph g, bool keepLoss)
    {
        try
        {
            OnnxExporter.Select(g, keepLoss);
            return true;
        }
        catch (OnnxExportException)
        {
            return false;
        }
    }

    /// <summary>
    /// The exported part of a spec with 2N + 1 samples instead of N: only the nodes named in
    /// <paramref name="nodes"/>; each data value named in <paramref name="batched"/> has its rows
    /// repeated in order (row i is row i mod N); a training spec's batch size is set to 2N + 1.
    /// Expectations, backward and optimizer are dropped (their shapes are the batch's).
    /// </summary>
    private static NetworkGraph WithBatch(string path, IReadOnlySet<string> batched, IReadOnlySet<string> nodes)
    {
        var diagnostics = new DiagnosticBag();
        var doc = SpecParser.ParseFile(path, diagnostics).Document!;
        var data = doc.Data.Select(d =>
        {
            if (!batched.Contains(d.Name)) return d;
            var v = d.Value;
            int rows = v.Rank == 1 ? 1 : v.Dims[0], per = v.Values.Length / rows;
            int[] dims = v.Rank == 1 ? [2 * rows + 1, v.Dims[0]] : [2 * rows + 1, .. v.Dims[1..]];
            var values = new double[(2 * rows + 1) * per];
            for (int r = 0; r < 2 * rows + 1; r++) Array.Copy(v.Values, (r % rows) * per, values, r * per, per);
            return d with { Value = v with { Dims = dims, Values = values } };
        }).ToList();
        doc = doc with { Data = data, Network = [.. doc.Network.Where(n => nodes.Contains(n.Name))], Expectations = [], Backward = null, Optimizer = null };
        if (doc.Training is { } t) doc = doc with { Training = t with { BatchSize = 2 * t.BatchSize + 1 } };
        var (prepared, dataset) = TrainingSetup.Prepare(doc, diagnostics, null);
        var graph = GraphBuilder.Build(prepared, diagnostics);
        Assert.IsFalse(diagnostics.HasErrors, string.Join("\n", diagnostics.Items.Select(d => d.ToString())));
        graph!.Dataset = dataset;
        return graph;
    }
}
