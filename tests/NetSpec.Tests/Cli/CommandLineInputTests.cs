namespace NetSpec.Tests.Cli;

/// <summary>Hostile command lines: empty paths and numbers out of range, each a one-line message and exit 64.</summary>
[TestClass]
[DoNotParallelize]
public sealed class CommandLineInputTests
{
    private static string Spec => Path.Combine(TestPaths.Specs, "batch-of-two.yaml");

    private static void AssertUsage(string[] args, string message)
    {
        var (code, _, err) = CliRunner.Invoke(args);
        Assert.AreEqual(64, code, $"{string.Join(' ', args)}: {err}");
        Assert.Contains(message, err, string.Join(' ', args));
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("internal error", err);
    }

    [TestMethod]
    public void AnEmptyPathIsRefusedByEveryCommandThatTakesOne()
    {
        var cases = new (string[] Args, string Message)[]
        {
            (["run", ""], "the <spec> argument of 'run' is empty"),
            (["check", Spec, ""], "the <spec> argument of 'check' is empty"),
            (["graph", ""], "the <spec> argument of 'graph' is empty"),
            (["test", ""], "the <folder> argument of 'test' is empty"),
            (["gradcheck", ""], "the <spec> argument of 'gradcheck' is empty"),
            (["export", "", "--onnx", "m.onnx"], "the <spec> argument of 'export' is empty"),
            (["export", Spec, "--onnx", ""], "--onnx is empty"),
            (["import", ""], "the <model> argument of 'import' is empty"),
            (["import", "m.onnx", "-o", ""], "--output is empty"),
            (["import", "m.onnx", "--test-data", ""], "--test-data is empty"),
            (["run", Spec, "--trace-file", ""], "--trace-file is empty"),
        };
        foreach (var (args, message) in cases) AssertUsage(args, message);
    }

    [TestMethod]
    public void EveryNumberOptionIsCheckedAgainstItsRange()
    {
        var cases = new (string[] Args, string Message)[]
        {
            (["run", Spec, "--full-limit", "-1"], "--full-limit must be between 0 and 2147483647, not -1"),
            (["run", Spec, "--threads", "0"], "--threads must be between 1 and 1024, not 0"),
            (["run", Spec, "--threads", "100000"], "--threads must be between 1 and 1024, not 100000"),
            (["check", Spec, "--max-file-bytes", "-1"], "--max-file-bytes must be between 1 and 9223372036854775807, not -1"),
            (["check", Spec, "--max-nodes", "0"], "--max-nodes must be between 1 and"),
            (["check", Spec, "--max-string-length", "-5"], "--max-string-length must be between 1 and"),
            (["check", Spec, "--max-elements", "0"], "--max-elements must be between 1 and"),
            (["check", Spec, "--max-depth", "0"], "--max-depth must be between 1 and 1000, not 0"),
            (["gradcheck", Spec, "--step", "0"], "--step must be a finite number > 0, not 0"),
            (["gradcheck", Spec, "--step", "Infinity"], "--step must be a finite number > 0"),
            (["gradcheck", Spec, "--threshold", "-1"], "--threshold must be a finite number >= 0, not -1"),
            (["gradcheck", Spec, "--threshold", "NaN"], "--threshold must be a finite number >= 0, not NaN"),
            (["export", Spec, "--onnx", "m.onnx", "--opset", "12"], "--opset must be between 13 and 23, not 12"),
        };
        foreach (var (args, message) in cases) AssertUsage(args, message);
    }

    [TestMethod]
    public void NumbersInRangeStillRun()
    {
        var (code, _, err) = CliRunner.Invoke("run", Spec, "-q", "--full-limit", "0", "--threads", "2", "--max-file-bytes", "1000000");
        Assert.AreEqual(0, code, err);
    }
}
