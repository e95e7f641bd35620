using NetSpec.Runtime.Training;
using NetSpec.Tests.Cli;

namespace NetSpec.Tests.Torch;

/// <summary>
/// <c>netspec export SPEC --pytorch FILE</c> on the command line: exactly one of --onnx and
/// --pytorch, the ONNX-only options refused with --pytorch, the script and its parameters file
/// written (the spec's initial values, or those of --parameters, in the dtype asked for), a
/// refusal reported as <c>netspec: SPEC: cannot export to PyTorch: ...</c> with exit code 2, and
/// nothing written when the export fails or its folder cannot be written.
/// </summary>
[TestClass]
public sealed class TorchExportCliTests
{
    private static string Lab07 => Path.Combine(TestPaths.Specs, "lab07.yaml");

    [TestMethod]
    public void Export_needs_exactly_one_of_onnx_and_pytorch()
    {
        var (code, _, err) = CliRunner.Invoke("export", Lab07);
        Assert.AreEqual(64, code);
        StringAssert.Contains(err, "export needs one of --onnx FILE (an ONNX model) or --pytorch FILE (a PyTorch script)");
        string folder = TorchExportHarness.TempFolder("netspec-torch-cli");
        (code, _, err) = CliRunner.Invoke("export", Lab07, "--onnx", Path.Combine(folder, "m.onnx"), "--pytorch", Path.Combine(folder, "m.py"));
        Assert.AreEqual(64, code);
        StringAssert.Contains(err, "--onnx and --pytorch exclude each other");
        (code, _, err) = CliRunner.Invoke("export", Lab07, "--pytorch", Path.Combine(folder, "m.py"), "--keep-loss");
        Assert.AreEqual(64, code);
        StringAssert.Contains(err, "--keep-loss, --trained and --opset are for --onnx");
        (code, _, err) = CliRunner.Invoke("export", Lab07, "--onnx", Path.Combine(folder, "m.onnx"), "--parameters", Path.Combine(folder, "p.json"), "--trained");
        Assert.AreEqual(64, code);
        StringAssert.Contains(err, "--parameters and --trained exclude each other");
        Assert.IsEmpty(Directory.GetFiles(folder));
    }

    [TestMethod]
    public void The_script_and_the_spec_s_parameters_are_written_side_by_side()
    {
        string folder = TorchExportHarness.TempFolder("netspec-torch-cli");
        string script = Path.Combine(folder, "lab07.py");
        var (code, output, err) = CliRunner.Invoke("export", Lab07, "--pytorch", script, "--float32");
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "lab07.parameters.json");
        string text = File.ReadAllText(script);
        StringAssert.StartsWith(text, "\"\"\"lab07: the NetSpec spec lab07.yaml as a standalone PyTorch script.");
        StringAssert.Contains(text, "class Net(nn.Module):");
        StringAssert.Contains(text, "\"dtype\": \"float32\",");
        StringAssert.Contains(text, "if __name__ == \"__main__\":");
        var contents = ParameterFile.Read(Path.Combine(folder, "lab07.parameters.json"));
        Assert.AreEqual("float32", contents.DType);
        CollectionAssert.AreEqual(new[] { "W", "b", "M", "c" }, contents.Parameters.Keys.ToArray());
        CollectionAssert.AreEqual(new double[] { 1, 2, 2, 5, 7, 3 }, contents.Parameters["W"].Values);
        CollectionAssert.AreEqual(new[] { 3, 2 }, contents.Parameters["W"].Shape);
    }

    [TestMethod]
    public void Parameters_from_a_file_replace_the_spec_s_initial_values()
    {
        string folder = TorchExportHarness.TempFolder("netspec-torch-cli");
        string given = Path.Combine(folder, "trained.json");
        File.WriteAllText(given, """
            {"format":"netspec-parameters","version":2,"spec":"lab07","dtype":"float64","parameters":{
             "W":{"shape":[3,2],"values":[0.5,0.25,-1,0.125,3,0.1]},"b":{"shape":[3],"values":[0,0,0.3]},
             "M":{"shape":[2,3],"values":[1,1,1,1,1,1]},"c":{"shape":[2],"values":[0.1,0.2]}}}
            """);
        var (code, _, err) = CliRunner.Invoke("export", Lab07, "--pytorch", Path.Combine(folder, "m.py"), "--parameters", given);
        Assert.AreEqual(0, code, err);
        var written = ParameterFile.Read(Path.Combine(folder, "m.parameters.json"));
        Assert.AreEqual("float64", written.DType);
        CollectionAssert.AreEqual(new[] { 0.5, 0.25, -1, 0.125, 3, 0.1 }, written.Parameters["W"].Values);
        CollectionAssert.AreEqual(new[] { 0.1, 0.2 }, written.Parameters["c"].Values);
    }

    [TestMethod]
    public void A_refused_export_says_why_and_writes_nothing()
    {
        string folder = TorchExportHarness.TempFolder("netspec-torch-cli");
        string given = Path.Combine(folder, "wrong.json");
        File.WriteAllText(given, """{"format":"netspec-parameters","version":2,"dtype":"float64","parameters":{"W":{"shape":[2,2],"values":[1,2,3,4]}}}""");
        var (code, _, err) = CliRunner.Invoke("export", Lab07, "--pytorch", Path.Combine(folder, "m.py"), "--parameters", given);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"netspec: {Lab07}: cannot export to PyTorch: parameter 'W' is 3x2 in the spec but 2x2 in the parameters file");
        CollectionAssert.AreEqual(new[] { "wrong.json" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void An_unwritable_folder_is_an_output_error_with_nothing_left()
    {
        string folder = TorchExportHarness.TempFolder("netspec-torch-cli");
        File.WriteAllText(Path.Combine(folder, "file"), "a file where the script's folder would be");
        var (code, _, err) = CliRunner.Invoke("export", Lab07, "--pytorch", Path.Combine(folder, "file", "m.py"));
        Assert.AreEqual(74, code, err);
        StringAssert.StartsWith(err, "netspec: cannot write");
        CollectionAssert.AreEqual(new[] { "file" }, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).ToArray());
    }
}
