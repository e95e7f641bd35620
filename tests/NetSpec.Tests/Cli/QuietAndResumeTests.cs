namespace NetSpec.Tests.Cli;

/// <summary>
/// <c>--quiet</c> means the same in run, check, test and gradcheck: only failures and the summary.
/// <c>--resume</c> without a checkpoint file says so in one line and trains from the start; a spec
/// that cannot be resumed at all is a command-line mistake (exit 64).
/// </summary>
[TestClass]
public sealed class QuietAndResumeTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init()
    {
        _dir = Path.Combine(Path.GetTempPath(), "netspec-quiet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string At(string name) => Path.Combine(_dir, name);

    private static string Lab07 => File.ReadAllText(Path.Combine(TestPaths.Specs, "lab07.yaml"));

    private string WrongLab07()
    {
        File.WriteAllText(At("wrong.yaml"), Lab07.Replace("o: [320, 347]", "o: [320, 441]", StringComparison.Ordinal));
        return At("wrong.yaml");
    }

    [TestMethod]
    public void Run_quiet_prints_the_summary_and_only_the_failed_expectation()
    {
        var (code, output, _) = CliRunner.Invoke("run", Path.Combine(TestPaths.Specs, "lab07.yaml"), "-q");
        Assert.AreEqual(0, code);
        Assert.AreEqual("\nexpectations: 18 passed, 0 failed\n", output);
        (code, output, _) = CliRunner.Invoke("run", WrongLab07(), "--quiet");
        Assert.AreEqual(1, code);
        StringAssert.Contains(output, "expectations: 17 passed, 1 failed");
        StringAssert.Contains(output, "FAIL  forward   o at");
        Assert.DoesNotContain("  ok  ", output);
        Assert.DoesNotContain("step 1", output);
    }

    [TestMethod]
    public void Test_quiet_prints_the_failures_and_the_summary_line()
    {
        File.WriteAllText(At("lab07.yaml"), Lab07);
        WrongLab07();
        var (code, output, _) = CliRunner.Invoke("test", _dir, "-q");
        Assert.AreEqual(1, code);
        Assert.DoesNotContain("PASS", output);
        StringAssert.Contains(output, "FAIL    " + At("wrong.yaml"));
        StringAssert.EndsWith(output, "specs: 1 passed, 1 failed\n");
        (_, output, _) = CliRunner.Invoke("test", _dir);
        StringAssert.Contains(output, "PASS    " + At("lab07.yaml"));
    }

    [TestMethod]
    public void Gradcheck_and_check_quiet_print_only_their_summary_when_all_is_well()
    {
        var lab07 = Path.Combine(TestPaths.Specs, "lab07.yaml");
        var (code, output, _) = CliRunner.Invoke("gradcheck", lab07, "-q");
        Assert.AreEqual(0, code, output);
        Assert.AreEqual(1, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, output);
        StringAssert.StartsWith(output, "gradcheck: all ");
        (code, output, _) = CliRunner.Invoke("gradcheck", lab07, "-q", "--threshold", "0", "--atol", "0", "--step", "1");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "FAIL");
        Assert.DoesNotContain("  ok  ", output);
        (code, output, _) = CliRunner.Invoke("check", lab07, "-q");
        Assert.AreEqual(0, code);
        Assert.AreEqual("check: 1 ok, 0 invalid\n", output);
    }

    [TestMethod]
    public void Resume_on_a_spec_that_does_not_train_is_a_usage_error()
    {
        var (code, _, err) = CliRunner.Invoke("run", Path.Combine(TestPaths.Specs, "lab07.yaml"), "--resume");
        Assert.AreEqual(64, code);
        StringAssert.Contains(err, "--resume continues a training run, but ");
        StringAssert.Contains(err, "has no 'training:' section");
    }

    private string ShortIris(bool checkpoint)
    {
        Directory.CreateDirectory(At("data"));
        File.Copy(Path.Combine(TestPaths.Specs, "data", "iris.csv"), At("data/iris.csv"), overwrite: true);
        var text = File.ReadAllText(Path.Combine(TestPaths.Specs, "iris.yaml")).Replace("epochs: 60", "epochs: 2", StringComparison.Ordinal)
            .Replace("{min: 0.93}", "{min: 0}", StringComparison.Ordinal);
        if (!checkpoint) text = text.Replace("  checkpoint: {every: 10, path: out/iris.checkpoint.json}\n", "", StringComparison.Ordinal);
        Assert.AreEqual(checkpoint, text.Contains("checkpoint:", StringComparison.Ordinal));
        File.WriteAllText(At("iris.yaml"), text);
        return At("iris.yaml");
    }

    [TestMethod]
    public void Resume_without_a_checkpoint_file_says_so_once_and_trains_from_the_start()
    {
        var spec = ShortIris(checkpoint: true);
        var (code, output, err) = CliRunner.Invoke("run", spec, "--resume", "-q");
        Assert.AreEqual(0, code, err);
        Assert.AreEqual($"netspec: --resume: no checkpoint at {Path.Combine(_dir, "out", "iris.checkpoint.json")} yet: training from the start\n", err);
        StringAssert.StartsWith(output, "test accuracy: ");
        Assert.DoesNotContain("epoch", output);
        Assert.IsTrue(File.Exists(At("out/iris.checkpoint.json")));
        // Now there is one: the same command resumes from it, silently.
        (code, _, err) = CliRunner.Invoke("run", spec, "--resume", "-q");
        Assert.AreEqual(0, code, err);
        Assert.AreEqual("", err);
    }

    [TestMethod]
    public void Resume_on_a_spec_that_writes_no_checkpoint_is_a_usage_error()
    {
        var (code, _, err) = CliRunner.Invoke("run", ShortIris(checkpoint: false), "--resume");
        Assert.AreEqual(64, code);
        StringAssert.Contains(err, "writes no checkpoint (training: checkpoint: {every: N, path: FILE}), so there is nothing to resume from");
    }
}
