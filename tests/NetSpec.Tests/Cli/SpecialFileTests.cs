using System.Diagnostics;

namespace NetSpec.Tests.Cli;

/// <summary>
/// Files that are not regular files (a FIFO, a symbolic link to a character device) given as a
/// spec, a data file, a parameters file, a checkpoint or an ONNX model, and declared shapes far
/// larger than the values present: each refused with one clear message, within seconds, never a
/// hang, an out-of-memory crash or a stack trace.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SpecialFileTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "netspec-special-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        File.Copy(Path.Combine(TestPaths.Specs, "iris.yaml"), Path.Combine(_dir, "iris.yaml"));
        File.Copy(Path.Combine(TestPaths.Specs, "data", "iris.csv"), Path.Combine(_dir, "data", "iris.csv"));
    }

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, "mkfifo");
    }

    private string At(string name) => Path.Combine(_dir, name);

    /// <summary>Runs the command with a deadline: a hang fails the test instead of hanging it.</summary>
    private static (int Code, string Err) Invoke(params string[] args)
    {
        var task = Task.Run(() => CliRunner.Invoke(args));
        Assert.IsTrue(task.Wait(TimeSpan.FromSeconds(60)), $"netspec {string.Join(' ', args)} did not finish: it hangs on a special file");
        var (code, stdout, err) = task.Result;
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("internal error", err);
        return (code, stdout + err);
    }

    private static bool Linux => OperatingSystem.IsLinux();

    [TestMethod]
    public void A_fifo_or_a_device_given_as_the_spec_is_refused_by_check_run_and_test()
    {
        if (!Linux) Assert.Inconclusive("FIFOs and /dev/zero are Linux files here");
        MakeFifo(At("pipe.yaml"));
        File.CreateSymbolicLink(At("zero.yaml"), "/dev/zero");
        var (code, err) = Invoke("check", At("pipe.yaml"));
        Assert.AreEqual(2, code, err);
        Assert.Contains("is a FIFO (named pipe), not a regular file", err);
        (code, err) = Invoke("run", At("zero.yaml"));
        Assert.AreEqual(2, code, err);
        Assert.Contains("is a character device, not a regular file", err);
        File.Delete(At("iris.yaml"));
        (code, err) = Invoke("test", _dir);
        Assert.AreNotEqual(0, code, err);
        Assert.Contains("pipe.yaml", err);
        Assert.Contains("is a FIFO (named pipe), not a regular file", err);
    }

    [TestMethod]
    public void A_fifo_or_a_device_given_as_the_data_file_is_refused_at_its_position()
    {
        if (!Linux) Assert.Inconclusive("FIFOs and /dev/zero are Linux files here");
        File.Delete(At("data/iris.csv"));
        MakeFifo(At("data/iris.csv"));
        var (code, err) = Invoke("check", At("iris.yaml"));
        Assert.AreEqual(2, code, err);
        StringAssert.Contains(err, "iris.yaml:10:9: error NS0002: cannot read the data file 'data/iris.csv'");
        Assert.Contains("FIFO", err);
        File.Delete(At("data/iris.csv"));
        File.CreateSymbolicLink(At("data/iris.csv"), "/dev/zero");
        (code, err) = Invoke("check", At("iris.yaml"));
        Assert.AreEqual(2, code, err);
        Assert.Contains("NS0013", err); // the link leads outside the folder
        (code, err) = Invoke("check", At("iris.yaml"), "--allow-outside-paths");
        Assert.AreEqual(2, code, err);
        Assert.Contains("cannot read the data file 'data/iris.csv': it is a character device, not a regular file", err);
    }

    [TestMethod]
    public void A_parameters_file_that_is_a_fifo_or_declares_a_huge_shape_is_refused_before_allocating()
    {
        if (!Linux) Assert.Inconclusive("FIFOs are Linux files here");
        var spec = File.ReadAllText(At("iris.yaml")).Replace("parameters:\n  W:", "parameters_file: p.json\nparameters:\n  W:", StringComparison.Ordinal);
        File.WriteAllText(At("iris.yaml"), spec);
        File.WriteAllText(At("p.json"), """{"format": "netspec-parameters", "dtype": "float64", "parameters": {"W": {"shape": [40000, 40000], "values": [1, 2]}}}""");
        var (code, err) = Invoke("check", At("iris.yaml"));
        Assert.AreEqual(2, code, err);
        Assert.Contains("parameter 'W' declares shape [40000, 40000] (1600000000 values) but has 2 values", err);
        File.Delete(At("p.json"));
        MakeFifo(At("p.json"));
        (code, err) = Invoke("check", At("iris.yaml"));
        Assert.AreEqual(2, code, err);
        Assert.Contains("cannot read the parameters file 'p.json': it is a FIFO (named pipe), not a regular file", err);
    }

    [TestMethod]
    public void A_checkpoint_or_a_model_that_is_a_fifo_is_refused()
    {
        if (!Linux) Assert.Inconclusive("FIFOs are Linux files here");
        MakeFifo(At("out/iris.checkpoint.json"));
        var (code, err) = Invoke("run", At("iris.yaml"), "--resume", "-q");
        Assert.AreNotEqual(0, code, err);
        Assert.Contains("cannot resume from the checkpoint", err);
        Assert.Contains("FIFO", err);
        MakeFifo(At("m.onnx"));
        (code, err) = Invoke("import", At("m.onnx"));
        Assert.AreEqual(64, code, err);
        Assert.Contains("is a FIFO (named pipe), not a regular file", err);
        File.CreateSymbolicLink(At("z.onnx"), "/dev/zero");
        (code, err) = Invoke("import", At("z.onnx"));
        Assert.AreEqual(64, code, err);
        Assert.Contains("is a character device, not a regular file", err);
    }

    [TestMethod]
    public void A_symbolic_link_inside_the_folder_that_leads_outside_it_is_refused_for_reading_and_writing()
    {
        if (!Linux) Assert.Inconclusive("symbolic links are Linux files here");
        string outside = Path.Combine(Path.GetTempPath(), "netspec-outside-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outside);
        try
        {
            File.Copy(At("data/iris.csv"), Path.Combine(outside, "iris.csv"));
            File.Delete(At("data/iris.csv"));
            File.CreateSymbolicLink(At("data/iris.csv"), Path.Combine(outside, "iris.csv"));
            var (code, err) = Invoke("check", At("iris.yaml"));
            Assert.AreEqual(2, code, err);
            Assert.Contains("error NS0013: 'file' (data/iris.csv) leads outside the spec's folder through a symbolic link", err);
            (code, err) = Invoke("check", At("iris.yaml"), "--allow-outside-paths");
            Assert.AreEqual(0, code, err);

            // A folder link: the outputs would be written outside.
            File.Delete(At("data/iris.csv"));
            File.Copy(Path.Combine(outside, "iris.csv"), At("data/iris.csv"));
            Directory.Delete(At("out"));
            Directory.CreateSymbolicLink(At("out"), outside);
            (code, err) = Invoke("check", At("iris.yaml"));
            Assert.AreEqual(2, code, err);
            Assert.Contains("(out/iris.checkpoint.json) leads outside the spec's folder through a symbolic link", err);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
