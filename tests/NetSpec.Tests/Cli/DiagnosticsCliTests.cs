using NetSpec.Cli;
using NetSpec.Runtime;
using NetSpec.Runtime.Trace;
using NetSpec.Tests.Diagnostics;

namespace NetSpec.Tests.Cli;

/// <summary>What the <c>netspec</c> command prints and returns for bad input and numeric faults.</summary>
[TestClass]
[DoNotParallelize]
public sealed class DiagnosticsCliTests
{
    private static string Faults => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Cli", "Faults");

    private static (int Code, string Out, string Err) Netspec(params string[] args) => CliRunner.Invoke(args);

    private static string TempFile(string name, string text)
    {
        var dir = Path.Combine(Path.GetTempPath(), "netspec-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [TestMethod]
    public void EveryCorpusCaseWithAnErrorExitsWithTwoAndTheOthersWithZero()
    {
        foreach (var c in DiagnosticCorpusTests.Cases())
        {
            string name = (string)c[0];
            var expected = File.ReadAllText(Path.Combine(DiagnosticCorpusTests.CorpusFolder, name + ".expected"));
            var args = new List<string> { "check", Path.Combine(DiagnosticCorpusTests.CorpusFolder, name + ".yaml") };
            if (expected.StartsWith("limits:", StringComparison.Ordinal))
            {
                var line = expected.Split('\n')[0];
                foreach (var setting in line["limits:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (key, value) = (setting.Split('=')[0], setting.Split('=')[1]);
                    args.Add(key switch
                    {
                        "MaxFileBytes" => "--max-file-bytes",
                        "MaxElements" => "--max-elements",
                        _ => throw new InvalidDataException(key),
                    });
                    args.Add(value);
                }
            }
            var (code, _, err) = Netspec([.. args]);
            bool hasError = expected.Contains(": error NS", StringComparison.Ordinal);
            Assert.AreEqual(hasError ? 2 : 0, code, $"{name}: {err}");
            Assert.DoesNotContain("   at ", err, $"{name} printed a stack trace");
        }
    }

    [TestMethod]
    public void AMisspelledOpInLab07IsPinpointedWithItsLineAndCarets()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.Specs, "lab07.yaml"));
        Assert.Contains("  h: {op: relu, x: z}\n", text);
        var path = TempFile("lab07.yaml", text.Replace("  h: {op: relu, x: z}", "  h: {op: reul, x: z}", StringComparison.Ordinal));
        int line = text[..text.IndexOf("  h: {op: relu", StringComparison.Ordinal)].Count(c => c == '\n') + 1;

        var (code, _, err) = Netspec("check", path);

        Assert.AreEqual(2, code);
        string n = line.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual(
            $"{path}:{n}:11: error NS0104: unknown op 'reul' in node 'h'; did you mean 'relu'?\n" +
            $"{n.PadLeft(5)} |   h: {{op: reul, x: z}}\n" +
            "      |           ^^^^\n" +
            "1 error\n", err);
    }

    [TestMethod]
    public void AMissingFileADirectoryAndAnEmptyFileGetPlainErrors()
    {
        var missing = Path.Combine(Path.GetTempPath(), "netspec-no-such-spec.yaml");
        var (code, _, err) = Netspec("check", missing);
        Assert.AreEqual(2, code);
        Assert.AreEqual($"{missing}: error NS0001: spec file '{missing}' does not exist\n1 error\n", err);

        var dir = Path.GetDirectoryName(TempFile("placeholder.yaml", "x"))!;
        (code, _, err) = Netspec("run", dir);
        Assert.AreEqual(2, code);
        Assert.AreEqual($"{dir}: error NS0002: '{dir}' is a directory, not a spec file\n1 error\n", err);

        var empty = TempFile("empty.yaml", "");
        (code, _, err) = Netspec("run", empty);
        Assert.AreEqual(2, code);
        Assert.StartsWith($"{empty}:1:1: error NS0004: the spec file has no content\n", err);
    }

    [TestMethod]
    public void ADocumentNestedAHundredThousandLevelsDeepIsRefused()
    {
        foreach (var (name, text) in new[]
        {
            ("flow.yaml", "a: " + new string('[', 100_000) + new string(']', 100_000) + "\n"),
            ("flow-map.yaml", "a: " + string.Concat(Enumerable.Repeat("{a: ", 100_000)) + "1" + new string('}', 100_000) + "\n"),
            ("block.yaml", string.Concat(Enumerable.Repeat("- ", 100_000)) + "x\n"),
        })
        {
            var (code, _, err) = Netspec("check", TempFile(name, text));
            Assert.AreEqual(2, code, err);
            Assert.Contains("error NS0007: YAML nesting is deeper than the limit of 64 levels (--max-depth)", err);
        }
    }

    [TestMethod]
    public void ABillionLaughsDocumentIsRefused()
    {
        var lines = new List<string> { "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]" };
        for (int i = 1; i <= 9; i++) lines.Add($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]");
        lines.Add("network: *l9");
        var (code, _, err) = Netspec("check", TempFile("bomb.yaml", string.Join("\n", lines) + "\n"));
        Assert.AreEqual(2, code, err);
        Assert.Contains("error NS0008: aliases expand the document past 2000000 nodes", err);
    }

    [TestMethod]
    public void AMaxDepthAboveTheCeilingIsAUsageError()
    {
        var (code, _, err) = Netspec("check", "--max-depth", "30000", Path.Combine(TestPaths.Specs, "lab07.yaml"));
        Assert.AreEqual(64, code);
        Assert.Contains("--max-depth must be between 1 and 1000, not 30000", err);
    }

    [TestMethod]
    public void AForwardOverflowStopsAtTheNodeThatProducedTheInfinity()
    {
        var path = Path.Combine(Faults, "forward-overflow.yaml");
        var loaded = NetSpecEngine.Load(path);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsNotNull(result.Fault);
        Assert.AreEqual(TracePhase.Forward, result.Fault.Phase);
        Assert.AreEqual(1, result.Fault.Step);
        Assert.AreEqual("o", result.Fault.Node);
        Assert.AreEqual("linear", result.Fault.Op);
        Assert.HasCount(3, result.Fault.InputSummaries); // h, M and c, all finite

        var (code, _, err) = Netspec("run", "--quiet", path);
        Assert.AreEqual(3, code);
        var first = err.Split('\n')[0];
        Assert.AreEqual($"{path}:9:3: error NS0601: forward step 1: linear 'o' produced a NaN or infinity in its output o", first);
        Assert.Contains("    input h: ", err);
        Assert.Contains("    input M: ", err);
    }

    [TestMethod]
    public void ABackwardOverflowNamesTheNodeAndTheInputWhoseGradientOverflowed()
    {
        var loaded = NetSpecEngine.Load(Path.Combine(Faults, "backward-overflow.yaml"));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var fault = NetSpecEngine.Run(loaded.Graph!).Fault;
        Assert.IsNotNull(fault);
        Assert.AreEqual(TracePhase.Backward, fault.Phase);
        Assert.AreEqual("o", fault.Node);
        Assert.AreEqual("the gradient of its input x", fault.What);
    }

    [TestMethod]
    public void ABackwardOverflowInAGradientThatALaterNodeAddsToNamesTheNodeThatProducedIt()
    {
        var loaded = NetSpecEngine.Load(Path.Combine(Faults, "backward-shared-gradient.yaml"));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var fault = NetSpecEngine.Run(loaded.Graph!).Fault;
        Assert.IsNotNull(fault);
        Assert.AreEqual(TracePhase.Backward, fault.Phase);
        Assert.AreEqual("S", fault.Node);
        Assert.AreEqual("the gradient of its input W", fault.What);
    }

    [TestMethod]
    public void ContinueOnNonfiniteRunsEveryStepButStillReportsTheFault()
    {
        var path = Path.Combine(Faults, "forward-overflow.yaml");
        var (code, stdout, err) = Netspec("run", "--quiet", "--continue-on-nonfinite", path);
        Assert.AreEqual(3, code);
        Assert.Contains("expectations: 1 passed, 0 failed", stdout); // the expectation was still checked (--quiet prints no ok lines)
        Assert.Contains("error NS0601: forward step 1: linear 'o'", err);
    }
}
