using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// <c>netspec export SPEC --onnx FILE --parameters VALUES</c>: the model's initializers are the
/// parameters file's values (a training's trained ones), the rest the spec's; a file that does not
/// fit the spec is refused and nothing is written.
/// </summary>
[TestClass]
public sealed class OnnxExportParametersTests
{
    private static string Lab07 => Path.Combine(TestPaths.Specs, "lab07.yaml");

    private static string Folder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "netspec-onnx-parameters-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A float64 initializer's values, from double_data or little-endian raw_data.</summary>
    private static double[] Doubles(global::Onnx.TensorProto t)
    {
        Assert.AreEqual(11, t.DataType, "float64");
        if (t.DoubleData.Count > 0) return [.. t.DoubleData];
        var raw = t.RawData.ToByteArray();
        return [.. Enumerable.Range(0, raw.Length / 8).Select(i => BitConverter.ToDouble(raw, 8 * i))];
    }

    [TestMethod]
    public void The_initializers_are_the_parameters_file_s_values()
    {
        string folder = Folder();
        string values = Path.Combine(folder, "values.json"), model = Path.Combine(folder, "m.onnx");
        // Written by hand: W (3x2) and c (2) replaced, b and M left to the spec (lab07: b = [4, 2, 1]).
        File.WriteAllText(values, """
            {"format": "netspec-parameters", "version": 2, "spec": "lab07", "dtype": "float64",
             "parameters": {"W": {"shape": [3, 2], "values": [0.5, -1.25, 2, 3.5, -0.125, 7]},
                            "c": {"shape": [2], "values": [0.1, -0.2]}}}
            """);
        var (code, _, err) = CliRunner.Invoke("export", Lab07, "--onnx", model, "--parameters", values);
        Assert.AreEqual(0, code, err);
        var init = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(model)).Graph.Initializer.ToDictionary(t => t.Name);
        CollectionAssert.AreEqual(new[] { 0.5, -1.25, 2, 3.5, -0.125, 7 }, Doubles(init["W"]));
        CollectionAssert.AreEqual(new[] { 0.1, -0.2 }, Doubles(init["c"]));
        CollectionAssert.AreEqual(new[] { 4.0, 2, 1 }, Doubles(init["b"]));
        Directory.Delete(folder, true);
    }

    [TestMethod]
    public void A_parameters_file_that_does_not_fit_the_spec_is_refused_and_nothing_is_written()
    {
        string folder = Folder();
        string values = Path.Combine(folder, "values.json"), model = Path.Combine(folder, "m.onnx");
        File.WriteAllText(values, """
            {"format": "netspec-parameters", "version": 2, "spec": "lab07", "dtype": "float64",
             "parameters": {"W": {"shape": [2, 3], "values": [1, 2, 3, 4, 5, 6]}}}
            """);
        var (code, _, err) = CliRunner.Invoke("export", Lab07, "--onnx", model, "--parameters", values);
        Assert.AreEqual(2, code, err);
        StringAssert.Contains(err, "parameter 'W' is 3x2 in the spec but 2x3 in the parameters file");
        Assert.IsFalse(File.Exists(model));
        File.WriteAllText(values, """
            {"format": "netspec-parameters", "version": 2, "spec": "lab07", "dtype": "float64",
             "parameters": {"V": {"shape": [1], "values": [1]}}}
            """);
        (code, _, err) = CliRunner.Invoke("export", Lab07, "--onnx", model, "--parameters", values);
        Assert.AreEqual(2, code, err);
        StringAssert.Contains(err, "the parameters file has a parameter 'V', which is not a parameter of the spec");
        Assert.IsFalse(File.Exists(model));
        Directory.Delete(folder, true);
    }
}
