using NetSpec.Onnx;
using NetSpec.Runtime;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// ONNX's own backend node tests (copied into Onnx/NodeTests, see its README) through import
/// and run: each imported spec carries the ONNX outputs as expectations, at tolerances at least
/// as strict as ONNX's rtol 1e-3, atol 1e-7, and must meet them all.
/// </summary>
[TestClass]
public sealed class OnnxNodeTests
{
    private static string Folder => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests");

    public static IEnumerable<object[]> NodeTests() =>
        Directory.EnumerateDirectories(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(n => new object[] { n! });

    [TestMethod]
    public void All_twenty_supported_node_tests_are_in_the_project()
    {
        Assert.HasCount(20, NodeTests().ToList());
    }

    [TestMethod]
    [DynamicData(nameof(NodeTests))]
    public void An_onnx_node_test_imported_with_its_test_data_passes_in_netspec(string test)
    {
        var dir = Path.Combine(Folder, test);
        var text = OnnxImporter.ImportFile(Path.Combine(dir, "model.onnx"), Path.Combine(dir, "test_data_set_0"));
        var loaded = NetSpecEngine.LoadText(test + ".yaml", text);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items) + "\n" + text);
        var outputs = Directory.EnumerateFiles(Path.Combine(dir, "test_data_set_0"), "output_*.pb").Count();
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsNull(result.Fault);
        Assert.HasCount(outputs, result.Expectations);
        var failed = result.Expectations.Where(e => !e.Passed).Select(e => $"{e.Expectation.Spec.Name.Name}: worst error {e.WorstError:R} at {e.WorstIndex}");
        Assert.IsTrue(result.AllPassed, string.Join("\n", failed) + "\n" + text);
    }

    [TestMethod]
    public void An_expected_output_moved_past_onnx_s_tolerance_fails_the_imported_spec()
    {
        // The tolerance is not vacuous: nudge one expected element of gemm by 2e-3 relative (ONNX allows 1e-3).
        var dir = Path.Combine(Folder, "test_gemm_all_attributes", "test_data_set_0");
        var inputs = Enumerable.Range(0, 3).Select(j => global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, $"input_{j}.pb")))).ToList();
        var output = global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "output_0.pb")));
        var values = OnnxTensors.Read(output, out _)!;
        values[3] *= 1.002;
        var nudged = OnnxTensors.Create(output.Name, [.. output.Dims.Select(d => (int)d)], values, float32: true);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Folder, "test_gemm_all_attributes", "model.onnx")));
        var text = OnnxImporter.Import(model, "nudged", inputs, [nudged]);
        var result = NetSpecEngine.Run(NetSpecEngine.LoadText("nudged.yaml", text).Graph!);
        Assert.IsFalse(result.AllPassed);
        Assert.AreEqual(3, result.Expectations.Single().WorstIndex);
    }

    [TestMethod]
    [DataRow(0.0, 1e-7)]
    [DataRow(0.5, 5.001e-4)]
    [DataRow(1.0, 1.0001e-3)]
    [DataRow(1000.0, 1.0000001e-3)]
    public void The_tolerance_for_a_single_value_is_the_largest_within_onnx_s_rule(double e, double expected)
    {
        double tol = OnnxImporter.ToleranceFor([e]);
        Assert.AreEqual(expected, tol, 1e-15);
        Assert.IsLessThanOrEqualTo(1e-7 + 1e-3 * Math.Abs(e) + 1e-18, tol * Math.Max(1, Math.Abs(e)));
    }
}
