namespace NetSpec.Tests.Cli;

/// <summary>The netspec command end to end, in-process: exit codes, reports and the trace file.</summary>
[TestClass]
public sealed class CliTests
{
    private static (int Code, string Out, string Err) Invoke(params string[] args) => CliRunner.Invoke(args);

    private static string Spec(string name) => Path.Combine(TestPaths.Specs, name);

    [TestMethod]
    public void Run_lab07_prints_the_full_trace_and_passes()
    {
        var (code, output, _) = Invoke("run", Spec("lab07.yaml"));
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "z = linear(x, W, b)");
        StringAssert.Contains(output, "[24, 47, 86]");
        StringAssert.Contains(output, "[320, 347]");
        StringAssert.Contains(output, "dJ/dW");
        StringAssert.Contains(output, "W* = W - alpha · dJ/dW");
        StringAssert.Contains(output, "expectations: 18 passed, 0 failed");
    }

    [TestMethod]
    public void A_wrong_expectation_exits_1_and_says_which_value_differs()
    {
        var path = Path.Combine(Path.GetTempPath(), $"netspec-wrong-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, File.ReadAllText(Spec("lab07.yaml")).Replace("o: [320, 347]", "o: [320, 441]", StringComparison.Ordinal));
        try
        {
            var (code, output, _) = Invoke("run", path, "--quiet");
            Assert.AreEqual(1, code);
            StringAssert.Contains(output, "expectations: 17 passed, 1 failed");
            StringAssert.Contains(output, "FAIL  forward   o at");
            StringAssert.Contains(output, "o[1] is 347, expected 441 (differs by 94");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void An_invalid_spec_exits_2_with_positioned_diagnostics()
    {
        var path = Path.Combine(Path.GetTempPath(), $"netspec-bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "network:\n  h: {op: reul, x: z}\n");
        try
        {
            var (code, _, err) = Invoke("check", path);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, ":2:11: error NS0104: unknown op 'reul' in node 'h'; did you mean 'relu'?");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void A_missing_file_is_a_plain_error_not_a_crash()
    {
        var (code, _, err) = Invoke("run", "/nonexistent/spec.yaml");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "error NS0001: spec file '/nonexistent/spec.yaml' does not exist");
    }

    [TestMethod]
    public void The_trace_file_is_byte_identical_from_run_to_run()
    {
        var a = Path.GetTempFileName();
        var b = Path.GetTempFileName();
        try
        {
            Assert.AreEqual(0, Invoke("run", Spec("lab07.yaml"), "-q", "--trace-file", a).Code);
            Assert.AreEqual(0, Invoke("run", Spec("lab07.yaml"), "-q", "--trace-file", b).Code);
            var bytes = File.ReadAllBytes(a);
            CollectionAssert.AreEqual(bytes, File.ReadAllBytes(b));
            var lines = File.ReadAllLines(a);
            Assert.AreEqual(File.ReadAllLines(Path.Combine(TestPaths.Golden, "lab07.trace.jsonl")).Length, lines.Length);
            StringAssert.StartsWith(lines[0], "{\"phase\":\"forward\",\"step\":1,\"name\":\"x\"");
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
        }
    }

    [TestMethod]
    public void Test_runs_every_spec_with_a_line_each_and_a_summary()
    {
        var (code, output, _) = Invoke("test", TestPaths.Specs);
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "PASS    ");
        StringAssert.Contains(output, " passed, 0 failed");
    }

    [TestMethod]
    public void Every_command_has_help()
    {
        foreach (var cmd in new[] { "run", "check", "test" })
        {
            var (code, output, _) = Invoke(cmd, "--help");
            Assert.AreEqual(0, code, cmd);
            StringAssert.Contains(output, "Usage:");
        }
    }

    [TestMethod]
    public void A_wrong_command_line_exits_64()
    {
        Assert.AreEqual(64, Invoke("run").Code);
        Assert.AreEqual(64, Invoke("frobnicate").Code);
    }

    [TestMethod]
    public void A_large_tensor_prints_as_a_summary_above_the_limit()
    {
        var (code, output, _) = Invoke("run", Spec("lab07.yaml"), "--full-limit", "4");
        Assert.AreEqual(0, code);
        // W = [[1, 2], [2, 5], [7, 3]] has 6 > 4 elements: its shape once (padded to 8 columns), then
        // min, max, mean 20/6 to the trace's 10 digits and its first 6 values. Before: "3x2      3x2 min 1, max 7, mean 3.3333333333333335, ...".
        StringAssert.Contains(output, "  3x2      min 1, max 7, mean 3.333333333, first [1, 2, 2, 5, 7, 3]");
        Assert.DoesNotContain("3x2 min", output);
    }
}
