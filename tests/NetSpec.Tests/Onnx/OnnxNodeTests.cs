using System.Text.RegularExpressions;
using NetSpec.Onnx;
using NetSpec.Runtime;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// ONNX's own backend node tests (copied into Onnx/NodeTests, see its README and PROVENANCE)
/// through import and run: each imported spec carries the ONNX outputs as expectations, at
/// tolerances at least as strict as ONNX's rtol 1e-3, atol 1e-7. docs/onnx.md lists every copied
/// test with its outcome: it passes, the importer refuses it (with the reason), or it waits for
/// the N-d ops of the op branches (it must not pass yet: when it does, the table says so).
/// </summary>
[TestClass]
public sealed partial class OnnxNodeTests
{
    private static string Folder => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests");

    /// <summary>The workplace's shared ONNX node tests, beside the checkout (as CI lays them out).</summary>
    private static string Shared => Path.GetFullPath(Path.Combine(TestPaths.Root, "..", "shared", "onnx-node-tests"));

    private const string NoShared = "(no shared onnx-node-tests folder)";

    public static IEnumerable<object[]> NodeTests() =>
        Directory.EnumerateDirectories(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(n => new object[] { n! });

    /// <summary>The node-test table of docs/onnx.md: test name to (outcome, why).</summary>
    private static Dictionary<string, (string Outcome, string Why)> Table()
    {
        var rows = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.Root, "docs", "onnx.md")))
        {
            var m = Row().Match(line);
            if (m.Success) rows.Add(m.Groups[1].Value, (m.Groups[2].Value.Trim(), m.Groups[3].Value.Trim()));
        }
        return rows;
    }

    [GeneratedRegex(@"^\| `(test_[A-Za-z0-9_]+)` \| (passes|refused) \| (.*) \|$")]
    private static partial Regex Row();

    /// <summary>What happens to a node test: passes, refused (with the importer's message), or fails (why).</summary>
    private static (string Outcome, string Detail) Outcome(string test)
    {
        var dir = Path.Combine(Folder, test);
        ImportedSpec imported;
        try
        {
            imported = OnnxImporter.ReadFile(Path.Combine(dir, "model.onnx"), Path.Combine(dir, "test_data_set_0"));
        }
        catch (OnnxImportException e)
        {
            return ("refused", e.Message);
        }
        var text = imported.ToYaml();
        var loaded = NetSpecEngine.LoadText(test + ".yaml", text);
        if (!loaded.Ok) return ("fails", string.Join("\n", loaded.Diagnostics.Items));
        var result = NetSpecEngine.Run(loaded.Graph!);
        if (result.Fault is { } f) return ("fails", $"non-finite value in {f.Node}");
        var outputs = Directory.EnumerateFiles(Path.Combine(dir, "test_data_set_0"), "output_*.pb").Count();
        if (result.Expectations.Count != outputs) return ("fails", $"{result.Expectations.Count} expectations for {outputs} outputs");
        var failed = result.Expectations.Where(e => !e.Passed).Select(e => $"{e.Expectation.Spec.Name.Name}: worst error {e.WorstError:R} at {e.WorstIndex}").ToList();
        return failed.Count == 0 ? ("passes", "") : ("fails", string.Join("\n", failed) + "\n" + text);
    }

    [TestMethod]
    public void The_docs_list_every_copied_node_test_once_and_no_other()
    {
        var listed = Table().Keys.Order(StringComparer.Ordinal).ToArray();
        var copied = NodeTests().Select(o => (string)o[0]).ToArray();
        CollectionAssert.AreEqual(copied, listed, $"copied but not listed: {string.Join(", ", copied.Except(listed))}; listed but not copied: {string.Join(", ", listed.Except(copied))}");
        Assert.HasCount(175, copied);
    }

    [TestMethod]
    [DynamicData(nameof(NodeTests))]
    public void An_onnx_node_test_has_the_outcome_the_docs_list(string test)
    {
        var (listed, why) = Table()[test];
        var (outcome, detail) = Outcome(test);
        switch (listed)
        {
            case "passes":
                Assert.AreEqual("passes", outcome, $"{test} is listed as passing: {detail}");
                break;
            case "refused":
                Assert.AreEqual("refused", outcome, $"{test} is listed as refused ({why}) but {outcome}: {detail}");
                Assert.IsTrue(detail.Contains("node '", StringComparison.Ordinal) || detail.Contains("graph input '", StringComparison.Ordinal) || detail.Contains("test output", StringComparison.Ordinal),
                    $"{test}: the refusal names no node or tensor: {detail}");
                break;
            default:
                Assert.Fail($"{test}: unknown outcome '{listed}' in docs/onnx.md");
                break;
        }
    }

    public static IEnumerable<object[]> SharedModels() =>
        !Directory.Exists(Shared) ? [[NoShared]] :
        Directory.EnumerateDirectories(Shared).Concat(Directory.Exists(Path.Combine(Shared, "onnx-1.23")) ? Directory.EnumerateDirectories(Path.Combine(Shared, "onnx-1.23")) : [])
            .Where(d => File.Exists(Path.Combine(d, "model.onnx")))
            .Select(d => Path.GetRelativePath(Shared, d)).Order(StringComparer.Ordinal).Select(d => new object[] { d });

    [TestMethod]
    public void All_309_shared_onnx_node_tests_are_found()
    {
        if (!Directory.Exists(Shared)) Assert.Inconclusive($"{Shared} is not on this machine");
        Assert.HasCount(309, SharedModels().ToList());
    }

    [TestMethod]
    [DynamicData(nameof(SharedModels))]
    public void Any_onnx_node_test_either_imports_or_is_refused_with_a_message(string test)
    {
        if (test == NoShared) Assert.Inconclusive($"{Shared} is not on this machine");
        var dir = Path.Combine(Shared, test);
        try
        {
            var text = OnnxImporter.ImportFile(Path.Combine(dir, "model.onnx"), Path.Combine(dir, "test_data_set_0"));
            // What imports is a spec NetSpec loads: the importer ran the ops' own shape rules.
            var loaded = NetSpecEngine.LoadText(test + ".yaml", text);
            Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items) + "\n" + text);
        }
        catch (OnnxImportException e)
        {
            Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message), test);
            Assert.DoesNotContain("\n", e.Message, $"{test}: a refusal is one line: {e.Message}");
        }
    }

    [TestMethod]
    public void An_expected_output_moved_past_onnx_s_tolerance_fails_the_imported_spec()
    {
        // The tolerance is not vacuous: nudge one expected element of gemm by 2e-3 relative (ONNX allows 1e-3).
        var dir = Path.Combine(Folder, "test_gemm_all_attributes", "test_data_set_0");
        var inputs = Enumerable.Range(0, 3).Select(j => global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, $"input_{j}.pb")))).ToList();
        var output = global::Onnx.TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "output_0.pb")));
        var values = OnnxTensors.Read(output, out _)!;
        values[3] *= 1.002;
        var nudged = OnnxTensors.Create(output.Name, [.. output.Dims.Select(d => (int)d)], values, float32: true);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Folder, "test_gemm_all_attributes", "model.onnx")));
        var text = OnnxImporter.Import(model, "nudged", inputs, [nudged]);
        var result = NetSpecEngine.Run(NetSpecEngine.LoadText("nudged.yaml", text).Graph!);
        Assert.IsFalse(result.AllPassed);
        Assert.AreEqual(3, result.Expectations.Single().WorstIndex);
    }

    [TestMethod]
    [DataRow(0.0, 1e-7)]
    [DataRow(0.5, 5.001e-4)]
    [DataRow(1.0, 1.0001e-3)]
    [DataRow(1000.0, 1.0000001e-3)]
    public void The_tolerance_for_a_single_value_is_the_largest_within_onnx_s_rule(double e, double expected)
    {
        double tol = OnnxImporter.ToleranceFor([e]);
        Assert.AreEqual(expected, tol, 1e-15);
        Assert.IsLessThanOrEqualTo(1e-7 + 1e-3 * Math.Abs(e) + 1e-18, tol * Math.Max(1, Math.Abs(e)));
    }
}
