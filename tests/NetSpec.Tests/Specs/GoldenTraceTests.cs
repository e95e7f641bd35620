using System.Text;
using NetSpec.Runtime;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Specs;

/// <summary>
/// Every spec's complete trace is stored in specs/golden/NAME.trace.jsonl. These tests re-run
/// each spec and compare event by event under a numeric tolerance. They never write golden
/// files: tools/update-golden.sh does, on purpose.
/// </summary>
[TestClass]
public sealed class GoldenTraceTests
{
    /// <summary>float64 specs: 1e-12; float32 specs: 1e-4 (about 2^-13, room for a different summation order).</summary>
    private const double Float64Tolerance = 1e-12, Float32Tolerance = 1e-4;

    /// <summary>
    /// Epoch summaries of a training run aggregate thousands of steps: a kernel that sums in a
    /// different order moves them slightly, so they are compared loosely; the spec's metric
    /// expectations check the outcome.
    /// </summary>
    private const double EpochSummaryTolerance = 1e-2;

    public static IEnumerable<object[]> SpecFiles => TestPaths.SpecFiles();

    [TestMethod]
    [DynamicData(nameof(SpecFiles))]
    public void Every_spec_reproduces_its_golden_trace(string file)
    {
        var golden = Path.Combine(TestPaths.Golden, Path.GetFileNameWithoutExtension(file) + ".trace.jsonl");
        Assert.IsTrue(File.Exists(golden), $"{golden} is missing: run tools/update-golden.sh and check the values");
        var expected = File.ReadAllLines(golden).Where(l => l.Length > 0).Select(TraceJson.Parse).ToList();
        var actual = Trace(Path.Combine(TestPaths.Specs, file));
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file));
        double tolerance = loaded.Document?.DType == NetSpec.Parser.Model.DType.Float32 ? Float32Tolerance : Float64Tolerance;
        var diff = Diff(expected, actual, tolerance);
        Assert.AreEqual("", diff, $"trace of {file} differs from {golden}:\n{diff}");
    }

    [TestMethod]
    public void A_changed_value_is_reported_with_node_phase_expected_and_actual()
    {
        var actual = Trace(Path.Combine(TestPaths.Specs, "lab07.yaml"));
        var expected = actual.Select(e => e.Name == "z" && e.Phase == "forward" ? e with { Values = [24, 48, 86] } : e).ToList();
        var diff = Diff(expected, actual);
        StringAssert.Contains(diff, "forward step 1 z");
        StringAssert.Contains(diff, "values[1]: expected 48, actual 47");
    }

    internal static List<TraceJson.Entry> Trace(string spec)
    {
        var loaded = NetSpecEngine.Load(spec);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var sink = new CollectingTraceSink();
        NetSpecEngine.Run(loaded.Graph!, trace: sink);
        return [.. sink.Events.Select(e => TraceJson.Parse(TraceJson.Line(e)))];
    }

    /// <summary>A readable difference: one line per differing event (node, phase, expected, actual).</summary>
    internal static string Diff(IReadOnlyList<TraceJson.Entry> expected, IReadOnlyList<TraceJson.Entry> actual, double tolerance = Float64Tolerance)
    {
        var sb = new StringBuilder();
        int n = Math.Max(expected.Count, actual.Count);
        for (int i = 0; i < n && sb.Length < 8000; i++)
        {
            if (i >= expected.Count) { sb.AppendLine($"extra event: {actual[i].Key}"); continue; }
            if (i >= actual.Count) { sb.AppendLine($"missing event: {expected[i].Key}"); continue; }
            var e = expected[i];
            var a = actual[i];
            if (e.Key != a.Key || e.Op != a.Op || e.Expression != a.Expression || !e.Shape.SequenceEqual(a.Shape))
            {
                sb.AppendLine($"event {i + 1}: expected {e.Key} = {e.Expression} [{string.Join("x", e.Shape)}], actual {a.Key} = {a.Expression} [{string.Join("x", a.Shape)}]");
                continue;
            }
            double tol = e.Phase == "epoch" ? EpochSummaryTolerance : tolerance;
            Compare(sb, e.Key, "values", e.Values, a.Values, tol);
            Compare(sb, e.Key, "old", e.Old, a.Old, tol);
            Compare(sb, e.Key, "grad", e.Gradient, a.Gradient, tol);
        }
        return sb.ToString();
    }

    private static void Compare(StringBuilder sb, string key, string field, double[]? e, double[]? a, double tolerance)
    {
        if (e is null && a is null) return;
        if (e is null || a is null || e.Length != a.Length)
        {
            sb.AppendLine($"{key}: {field} has {e?.Length ?? 0} values in the golden trace, {a?.Length ?? 0} now");
            return;
        }
        for (int i = 0; i < e.Length; i++)
        {
            bool same = e[i].Equals(a[i]) || Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i]));
            if (!same) sb.AppendLine($"{key}: {field}[{i}]: expected {e[i]:R}, actual {a[i]:R}");
        }
    }
}
