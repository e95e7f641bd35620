namespace NetSpec.Tests.Onnx;

/// <summary>
/// Models exported by PyTorch's own torch.onnx.export (opsets 13 to 17, float32 and float64; MLPs
/// with each activation, batch and layer norm, dropout, log-softmax heads, CNNs with stride,
/// padding, groups and pools, nn.Flatten and x.view) import into NetSpec and run to PyTorch's
/// outputs: tools/torch-export-check.py, with this build's netspec command. Inconclusive where
/// no Python here has torch and onnx (Debian: apt-get install python3-torch python3-onnx).
/// </summary>
[TestClass]
public sealed class TorchExportTests
{
    [TestMethod]
    [Timeout(30 * 60 * 1000, CooperativeCancellation = true)]
    public void PyTorch_s_exports_of_every_layer_family_import_and_run_to_torch_s_outputs()
    {
        var (python, missing) = TestPython.Find("torch, onnx, numpy");
        if (python is null) Assert.Inconclusive($"the PyTorch export check needs torch and onnx in Python: {missing}");
        string netspec = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "netspec.exe" : "netspec");
        Assert.IsTrue(File.Exists(netspec), $"the netspec command is not built beside the tests ({netspec})");
        var (code, output) = TestPython.Run(python, [Path.Combine(TestPaths.Root, "tools", "torch-export-check.py"), "--netspec", netspec], TimeSpan.FromMinutes(25));
        Console.WriteLine(output);
        Assert.AreEqual(0, code, output);
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"(\d+) of \1 PyTorch exports import and run to torch's outputs"));
    }
}
