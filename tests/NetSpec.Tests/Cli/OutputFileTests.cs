namespace NetSpec.Tests.Cli;

/// <summary>
/// Every output is written atomically: a target that cannot be written (a directory in its
/// place, a device, a full disk) is a clear I/O error with exit code 74 and leaves neither a
/// partial file nor a temporary one; temporary files a killed run left behind are cleaned up.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class OutputFileTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "netspec-outputs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.Copy(Path.Combine(TestPaths.Specs, "iris.yaml"), At("iris.yaml"));
        File.Copy(Path.Combine(TestPaths.Specs, "data", "iris.csv"), At("data/iris.csv"));
        File.Copy(Path.Combine(TestPaths.Specs, "lab07.yaml"), At("lab07.yaml"));
        // Two epochs are enough to write every output.
        File.WriteAllText(At("iris.yaml"), File.ReadAllText(At("iris.yaml")).Replace("epochs: 60", "epochs: 2", StringComparison.Ordinal));
    }

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string At(string name) => Path.Combine(_dir, name);

    private static (int Code, string Err) Invoke(params string[] args)
    {
        var (code, stdout, err) = CliRunner.Invoke(args);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("internal error", err);
        return (code, stdout + err);
    }

    private string[] Temporaries() =>
        [.. Directory.EnumerateFiles(_dir, "*.tmp", SearchOption.AllDirectories).Select(Path.GetFileName)!];

    [TestMethod]
    public void A_directory_where_the_learning_curve_goes_is_an_io_error_and_leaves_nothing_partial()
    {
        Directory.CreateDirectory(At("out/iris.png"));
        var (code, err) = Invoke("run", At("iris.yaml"), "-q");
        Assert.AreEqual(74, code, err);
        Assert.Contains("cannot write", err);
        Assert.Contains("iris.png': it is a directory, not a file", err);
        Assert.IsEmpty(Temporaries(), string.Join(", ", Temporaries()));
        Assert.IsTrue(Directory.Exists(At("out/iris.png")));
    }

    [TestMethod]
    public void A_directory_where_the_parameters_go_is_an_io_error_naming_the_file()
    {
        Directory.CreateDirectory(At("out/iris.parameters.json"));
        var (code, err) = Invoke("run", At("iris.yaml"), "-q");
        Assert.AreEqual(74, code, err);
        Assert.Contains("cannot write the parameters file", err);
        Assert.Contains("it is a directory, not a file", err);
        Assert.IsEmpty(Temporaries());
    }

    [TestMethod]
    public void A_full_device_as_an_output_is_an_io_error_with_exit_code_74()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("/dev/full is a Linux device");
        var (code, err) = Invoke("run", At("lab07.yaml"), "-q", "--trace-file", "/dev/full");
        Assert.AreEqual(74, code, err);
        Assert.Contains("cannot write the trace to '/dev/full': No space left on device", err);
        Directory.CreateDirectory(At("out"));
        File.CreateSymbolicLink(At("out/iris.parameters.json"), "/dev/full");
        (code, err) = Invoke("run", At("iris.yaml"), "-q", "--allow-outside-paths");
        Assert.AreEqual(74, code, err);
        Assert.Contains("is a character device, not a regular file; outputs are written as regular files", err);
    }

    [TestMethod]
    public void The_trace_file_and_exports_are_renamed_into_place_whole()
    {
        var (code, err) = Invoke("run", At("lab07.yaml"), "-q", "--trace-file", At("t.json"));
        Assert.AreEqual(0, code, err);
        var lines = File.ReadAllLines(At("t.json"));
        Assert.IsGreaterThan(10, lines.Length);
        Assert.IsEmpty(Temporaries());
        Directory.CreateDirectory(At("m.onnx"));
        (code, err) = Invoke("export", At("lab07.yaml"), "--onnx", At("m.onnx"));
        Assert.AreEqual(74, code, err);
        Assert.Contains("it is a directory, not a file", err);
        (code, err) = Invoke("import", Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests", "test_relu", "model.onnx"), "-o", At("data"));
        Assert.AreEqual(74, code, err);
        Assert.IsEmpty(Temporaries());
    }

    [TestMethod]
    public void Temporary_files_left_by_a_killed_run_are_cleaned_up_at_the_next_write()
    {
        Directory.CreateDirectory(At("out"));
        // A process id that cannot be running (above the kernel's pid_max of 4194304).
        string stale = At("out/.iris.checkpoint.json.99999999.tmp");
        File.WriteAllText(stale, "{\"format\": \"netspec-ch");
        string live = At($"out/.iris.checkpoint.json.{Environment.ProcessId}.tmp.keep");
        File.WriteAllText(live, "not a temporary file of this pattern");
        var (code, err) = Invoke("run", At("iris.yaml"), "-q");
        Assert.AreNotEqual(74, code, err);
        Assert.IsFalse(File.Exists(stale), "the stale temporary checkpoint is still there");
        Assert.IsTrue(File.Exists(live));
        Assert.IsTrue(File.Exists(At("out/iris.checkpoint.json")));
    }
}
