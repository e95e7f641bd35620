using System.Text.RegularExpressions;
using NetSpec.Onnx;
using NetSpec.Runtime;

namespace NetSpec.Tests.Onnx;

/// <summary>
/// ONNX's own backend node tests (copied into Onnx/NodeTests, see its README and PROVENANCE)
/// through import and run: each imported spec carries the ONNX outputs as expectations, at
/// tolerances at least as strict as ONNX's rtol 1e-3, atol 1e-7. docs/onnx.md lists every copied
/// test with its outcome, between the node-test table markers: it passes (with the NetSpec ops it
/// imports as), or the importer refuses it (with the importer's one-line message). The test
/// recomputes every row and fails on any row that differs from what happens, and on any test
/// that fails (imports but gives other values) or crashes (an exception other than a refusal).
/// <c>tools/update-onnx-node-tests.sh</c> rewrites the table from the actual outcomes instead
/// (it sets NETSPEC_UPDATE_NODE_TABLE=1 for <see cref="The_node_test_table_in_the_docs_is_what_happens"/>).
/// </summary>
[TestClass]
public sealed partial class OnnxNodeTests
{
    private static string Folder => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Onnx", "NodeTests");

    private static string Docs => Path.Combine(TestPaths.Root, "docs", "onnx.md");

    /// <summary>The workplace's shared ONNX node tests, beside the checkout (as CI lays them out).</summary>
    private static string Shared => Path.GetFullPath(Path.Combine(TestPaths.Root, "..", "shared", "onnx-node-tests"));

    private const string NoShared = "(no shared onnx-node-tests folder)";

    private const string Begin = "<!-- node-test table: written by tools/update-onnx-node-tests.sh -->";
    private const string End = "<!-- end node-test table -->";

    /// <summary>The copied tests of the older set (onnx 1.12); the rest are ONNX 1.23.0's.</summary>
    private const int OlderSet = 29;

    public static IEnumerable<object[]> NodeTests() =>
        Directory.EnumerateDirectories(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(n => new object[] { n! });

    /// <summary>What happened to one node test: passes, refused, fails or crashes, and the detail.</summary>
    private sealed record Result(string Test, string Outcome, string Why, string Detail);

    /// <summary>Every copied test's outcome, computed once for the tests of this class.</summary>
    private static readonly Lazy<IReadOnlyList<Result>> Results = new(() =>
    {
        var tests = NodeTests().Select(o => (string)o[0]).ToArray();
        var results = new Result[tests.Length];
        Parallel.For(0, tests.Length, i => results[i] = Outcome(tests[i]));
        return results;
    });

    /// <summary>
    /// What happens to a node test: "passes" (why: the NetSpec ops it imports as), "refused"
    /// (why: the importer's message), "fails" (it imports but a value or the spec is wrong) or
    /// "crashes" (any exception but a refusal).
    /// </summary>
    private static Result Outcome(string test)
    {
        var dir = Path.Combine(Folder, test);
        try
        {
            ImportedSpec imported;
            try
            {
                imported = OnnxImporter.ReadFile(Path.Combine(dir, "model.onnx"), Path.Combine(dir, "test_data_set_0"));
            }
            catch (OnnxImportException e)
            {
                return new(test, "refused", e.Message, e.Message);
            }
            var text = imported.ToYaml();
            var loaded = NetSpecEngine.LoadText(test + ".yaml", text);
            if (!loaded.Ok) return new(test, "fails", "the imported spec does not load", string.Join("\n", loaded.Diagnostics.Items) + "\n" + text);
            var result = NetSpecEngine.Run(loaded.Graph!);
            if (result.Fault is { } f) return new(test, "fails", $"non-finite value in {f.Node}", text);
            var outputs = Directory.EnumerateFiles(Path.Combine(dir, "test_data_set_0"), "output_*.pb").Count();
            if (result.Expectations.Count != outputs) return new(test, "fails", $"{result.Expectations.Count} expectations for {outputs} outputs", text);
            var failed = result.Expectations.Where(e => !e.Passed).Select(e => $"{e.Expectation.Spec.Name.Name}: worst error {e.WorstError:R} at {e.WorstIndex}").ToList();
            if (failed.Count > 0) return new(test, "fails", string.Join("; ", failed), text);
            var ops = imported.Document.Network.Select(n => $"`{n.Op.Name}`").Distinct().ToList();
            return new(test, "passes", "as " + string.Join(", ", ops), "");
        }
        catch (Exception e)
        {
            return new(test, "crashes", $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" "), e.ToString());
        }
    }

    /// <summary>A table row: | `test` | outcome | why |, a '|' in the why written as '\|'.</summary>
    private static string Row(Result r) => $"| `{r.Test}` | {r.Outcome} | {r.Why.Replace("|", "\\|", StringComparison.Ordinal)} |";

    /// <summary>The node-test part of docs/onnx.md as it should read: counts and one row per copied test.</summary>
    private static string Table(IReadOnlyList<Result> results)
    {
        int Count(string outcome, IEnumerable<Result> rs) => rs.Count(r => r.Outcome == outcome);
        var newer = results.Where(r => !IsOlder(r.Test)).ToList();
        double share = newer.Count == 0 ? 0 : 100.0 * Count("passes", newer) / newer.Count;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(Begin);
        sb.AppendLine();
        sb.AppendLine(FormattableString.Invariant($"{results.Count} node tests: {Count("passes", results)} pass, {Count("refused", results)} are refused, {Count("fails", results)} fail, {Count("crashes", results)} crash. Of ONNX 1.23.0's {newer.Count}: {Count("passes", newer)} pass ({share:F1}%), {Count("refused", newer)} are refused."));
        sb.AppendLine();
        sb.AppendLine("| node test | outcome | why |");
        sb.AppendLine("|---|---|---|");
        foreach (var r in results) sb.AppendLine(Row(r));
        sb.AppendLine();
        sb.Append(End);
        return sb.ToString().ReplaceLineEndings("\n");
    }

    private static readonly Lazy<HashSet<string>> Older = new(() =>
    {
        var lines = File.ReadLines(Path.Combine(Folder, "PROVENANCE.md")).ToList();
        int from = lines.FindIndex(l => l.StartsWith("## Generated with onnx 1.12", StringComparison.Ordinal));
        return [.. lines.Skip(from + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("- `", StringComparison.Ordinal)).Select(l => l[3..^1])];
    });

    private static bool IsOlder(string test) => Older.Value.Contains(test);

    /// <summary>The docs' node-test region (from the begin marker to the end marker), or null.</summary>
    private static (int Start, int Length)? Region(string docs)
    {
        int a = docs.IndexOf(Begin, StringComparison.Ordinal), b = docs.IndexOf(End, StringComparison.Ordinal);
        return a < 0 || b < a ? null : (a, b + End.Length - a);
    }

    [TestMethod]
    public void The_node_test_table_in_the_docs_is_what_happens()
    {
        var docs = File.ReadAllText(Docs).ReplaceLineEndings("\n");
        var region = Region(docs);
        Assert.IsNotNull(region, $"docs/onnx.md has no '{Begin}' ... '{End}' region");
        var expected = Table(Results.Value);
        var listed = docs.Substring(region.Value.Start, region.Value.Length);
        if (Environment.GetEnvironmentVariable("NETSPEC_UPDATE_NODE_TABLE") == "1")
        {
            File.WriteAllText(Docs, docs[..region.Value.Start] + expected + docs[(region.Value.Start + region.Value.Length)..]);
            return;
        }
        var want = expected.Split('\n');
        var have = listed.Split('\n').ToHashSet(StringComparer.Ordinal);
        var wrong = want.Where(l => !have.Contains(l)).ToList();
        var stale = listed.Split('\n').Where(l => !want.Contains(l)).ToList();
        Assert.AreEqual(expected, listed,
            $"docs/onnx.md's node-test table differs from the outcomes (run tools/update-onnx-node-tests.sh and review the diff).\nWhat happens:\n{string.Join("\n", wrong)}\nWhat the docs say:\n{string.Join("\n", stale)}");
    }

    [TestMethod]
    public void Every_node_test_of_both_sets_is_copied()
    {
        Assert.HasCount(OlderSet, Older.Value);
        Assert.HasCount(OlderSet + 280, NodeTests().ToList());
        var shared = Path.Combine(Shared, "onnx-1.23");
        if (!Directory.Exists(shared)) Assert.Inconclusive($"{shared} is not on this machine");
        var copied = NodeTests().Select(o => (string)o[0]).Where(t => !IsOlder(t)).ToList();
        CollectionAssert.AreEqual(Directory.EnumerateDirectories(shared).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList(), copied);
    }

    [TestMethod]
    public void No_node_test_fails_with_wrong_values_or_crashes()
    {
        var bad = Results.Value.Where(r => r.Outcome is not ("passes" or "refused")).ToList();
        Assert.IsEmpty(bad, string.Join("\n\n", bad.Select(r => $"{r.Test} {r.Outcome}: {r.Why}\n{r.Detail}")));
    }

    [TestMethod]
    public void A_refusal_is_one_line_naming_the_node_or_tensor()
    {
        foreach (var r in Results.Value.Where(r => r.Outcome == "refused"))
        {
            Assert.DoesNotContain("\n", r.Why, $"{r.Test}: {r.Why}");
            Assert.IsTrue(r.Why.Contains("node '", StringComparison.Ordinal) || r.Why.Contains("graph input '", StringComparison.Ordinal) || r.Why.Contains("test output", StringComparison.Ordinal) || r.Why.Contains("graph output '", StringComparison.Ordinal),
                $"{r.Test}: the refusal names no node or tensor: {r.Why}");
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
