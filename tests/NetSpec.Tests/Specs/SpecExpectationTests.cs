using NetSpec.Runtime;

namespace NetSpec.Tests.Specs;

[TestClass]
public sealed class SpecExpectationTests
{
    public static IEnumerable<object[]> SpecFiles => TestPaths.SpecFiles();

    [TestMethod]
    [DynamicData(nameof(SpecFiles))]
    public void Every_spec_is_valid_and_meets_all_its_expectations(string file)
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        Assert.IsEmpty(loaded.Diagnostics.Items, "a shipped spec has no warnings: " + string.Join("\n", loaded.Diagnostics.Items));
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsNull(result.Fault);
        Assert.IsGreaterThan(0, result.Expectations.Count + result.Metrics.Count, "a shipped spec checks something");
        var failed = result.Expectations.Where(e => !e.Passed)
            .Select(e => $"{e.Expectation.Spec.Kind} {e.Expectation.Spec.Name.Name}: actual [{string.Join(", ", e.Actual)}]")
            .Concat(result.Metrics.Where(m => !m.Passed).Select(m => $"metric {m.Expectation.Metric.Name}: actual {m.Actual}"));
        Assert.IsTrue(result.AllPassed, string.Join("\n", failed));
    }

    [TestMethod]
    public void Every_worked_example_of_the_notes_has_a_spec()
    {
        string[] expected =
        [
            "lab07", "linear-forward", "linear-backward", "relu-forward", "relu-backward", "regularization-forward",
            "regularization-backward", "sum-forward", "sum-backward", "l2-loss-forward", "l2-loss-backward",
            "softmax-forward", "cross-entropy", "softmax-cross-entropy-backward", "network-forward",
        ];
        foreach (var name in expected)
            Assert.IsTrue(File.Exists(Path.Combine(TestPaths.Specs, name + ".yaml")), name);
    }
}
