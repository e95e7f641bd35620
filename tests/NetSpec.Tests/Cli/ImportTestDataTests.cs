using NetSpec.Onnx;
using NetSpec.Runtime;

namespace NetSpec.Tests.Cli;

/// <summary>
/// <c>netspec import --test-data</c> takes the test data set's folder or the folder holding it,
/// and holds float64 outputs to a float64 tolerance.
/// </summary>
[TestClass]
public sealed class ImportTestDataTests
{
    private static string NodeTest(string name) => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests", name);

    [TestMethod]
    public void The_set_s_folder_and_its_parent_import_the_same_spec()
    {
        string dir = NodeTest("test_add"), model = Path.Combine(dir, "model.onnx");
        var (code, fromSet, err) = CliRunner.Invoke("import", model, "--test-data", Path.Combine(dir, "test_data_set_0"));
        Assert.AreEqual(0, code, err);
        var (code2, fromParent, err2) = CliRunner.Invoke("import", model, "--test-data", dir);
        Assert.AreEqual(0, code2, err2);
        Assert.AreEqual("", err2);
        Assert.AreEqual(fromSet, fromParent);
        StringAssert.Contains(fromParent, "expect:");
    }

    [TestMethod]
    public void A_folder_that_holds_no_test_data_is_one_line_and_exit_64()
    {
        var dir = Path.Combine(Path.GetTempPath(), "netspec-td-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var (code, _, err) = CliRunner.Invoke("import", Path.Combine(NodeTest("test_add"), "model.onnx"), "--test-data", dir);
            Assert.AreEqual(64, code);
            StringAssert.Contains(err, "is not an ONNX test data set: it holds no input_0.pb or output_0.pb, and no test_data_set_0 folder that does");
            Assert.AreEqual(1, err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, err);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>lab07 exported as float64, imported with its own output [320, 347] (hand arithmetic) or one 3e-9 off it.</summary>
    private static (string Text, RunResult Result) Lab07(double o1, bool float32)
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var model = OnnxExporter.Export(graph, new OnnxExportOptions { Float32 = float32 });
        var text = OnnxImporter.Import(model, "lab07", [OnnxTensors.Create("x", [1, 2], [10, 5], float32)], [OnnxTensors.Create("o", [1, 2], [320, o1], float32)]);
        var loaded = NetSpecEngine.LoadText("lab07-imported.yaml", text);
        Assert.IsTrue(loaded.Ok, text);
        return (text, NetSpecEngine.Run(loaded.Graph!));
    }

    [TestMethod]
    public void A_float64_output_gets_a_float64_tolerance()
    {
        // |e| >= 1: NetSpec's tol = (1e-10 + 1e-9 |e|) / |e|, about 1e-9 (ONNX's float32 rule would give 1e-3).
        var (text, exact) = Lab07(347, float32: false);
        Assert.IsTrue(exact.AllPassed, text);
        double tol = exact.Expectations.Single().Expectation.Spec.Tolerance;
        Assert.IsTrue(tol is > 1e-9 and < 1.01e-9, $"{tol}\n{text}");
        // 347 + 1e-6 is 2.9e-9 relative off what lab07 computes: a float64 import must catch it.
        var (_, off) = Lab07(347.000001, float32: false);
        Assert.IsFalse(off.AllPassed);
        // A float32 model keeps ONNX's rtol 1e-3 (about 1e-3 for values of magnitude 320 and 347).
        var (text32, f32) = Lab07(347, float32: true);
        Assert.IsTrue(f32.AllPassed, text32);
        Assert.IsTrue(f32.Expectations.Single().Expectation.Spec.Tolerance is > 9.9e-4 and < 1.01e-3, text32);
    }
}
