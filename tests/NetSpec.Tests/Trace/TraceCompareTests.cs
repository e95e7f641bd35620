using System.Text;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// <see cref="TraceCompare"/> on golden traces and hand-made changes of them: the tolerance rule
/// (torch.allclose's, b the reference), where a divergence is, records matched by key not by line,
/// missing records, shapes, and the errors for a file that is not a trace.
/// </summary>
[TestClass]
public sealed class TraceCompareTests
{
    private string _dir = "";

    [TestInitialize]
    public void Create() => _dir = Directory.CreateTempSubdirectory("netspec-compare-").FullName;

    [TestCleanup]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private static string Golden(string name) => Path.Combine(TestPaths.Golden, name + ".trace.jsonl");

    private string Write(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
        return path;
    }

    private static string Record(string phase, int step, string name, string shape, string values, string extra = "") =>
        $"{{\"phase\":\"{phase}\",\"step\":{step},\"name\":\"{name}\",\"op\":\"x\",\"expr\":\"x\",\"shape\":{shape}{extra},\"values\":{values}}}";

    private TraceComparison One(string a, string b, TraceCompareOptions? options = null) =>
        TraceCompare.Compare(Write("a.jsonl", [a]), Write("b.jsonl", [b]), options);

    [TestMethod]
    public void A_golden_trace_equals_itself_record_for_record()
    {
        foreach (var name in new[] { "lab07", "batch-norm", "iris", "dropout" })
        {
            var lines = File.ReadAllLines(Golden(name));
            var c = TraceCompare.Compare(Golden(name), Write("copy.jsonl", lines));
            Assert.IsTrue(c.Equal, name);
            Assert.AreEqual(lines.Length, c.RecordsCompared, name);
            Assert.AreEqual(lines.Length, c.RecordsA);
            Assert.AreEqual(0, c.RecordsDiffering);
            Assert.IsNull(c.FirstDivergence);
        }
    }

    [TestMethod]
    public void A_changed_value_is_found_with_its_record_field_index_and_both_values()
    {
        // lab07's dJ/dM, shape [2, 3]: element 4 (row 1, column 1) is 94.4.
        var lines = File.ReadAllLines(Golden("lab07"));
        int at = Array.FindIndex(lines, l => l.StartsWith("{\"phase\":\"backward\",\"step\":1,\"name\":\"M\"", StringComparison.Ordinal));
        Assert.Contains("[-23.6,-46.9,-85.8,48.3,94.4,172.1]", lines[at]);
        lines[at] = lines[at].Replace("94.4,", "94.40000001,", StringComparison.Ordinal);
        var c = TraceCompare.Compare(Write("changed.jsonl", lines), Golden("lab07"));
        Assert.IsFalse(c.Equal);
        var d = c.FirstDivergence!;
        Assert.AreEqual(new TraceRecordKey("backward", 1, "M", 1), d.Key);
        Assert.AreEqual("values", d.Field);
        Assert.AreEqual(4, d.Index);
        CollectionAssert.AreEqual(new[] { 1, 1 }, d.MultiIndex);
        Assert.AreEqual(94.40000001, d.A);
        Assert.AreEqual(94.4, d.B);
        Assert.AreEqual(at + 1, d.LineA);
        Assert.AreEqual(1, c.ValuesOverTolerance);
        Assert.AreEqual(1, c.RecordsDiffering);
        var node = c.Nodes.Single(n => n.Phase == "backward" && n.Name == "M");
        Assert.AreEqual(1, node.Mismatches);
        Assert.AreEqual(Math.Abs(94.40000001 - 94.4), node.MaxAbsolute);
        Assert.AreEqual(Math.Abs(94.40000001 - 94.4) / 94.4, node.MaxRelative);
        Assert.AreEqual((d.Key, d.Field, d.Index), (node.MaxAbsoluteAt!.Key, node.MaxAbsoluteAt.Field, node.MaxAbsoluteAt.Index));
        Assert.IsTrue(c.Nodes.Where(n => n != node).All(n => n.Mismatches == 0 && n.MaxAbsolute == 0));

        // 1e-8 absolute, 1.06e-10 relative: within rtol 1e-9, not within 1e-10; within atol 2e-8 with rtol 0.
        Assert.IsTrue(TraceCompare.Compare(Write("changed.jsonl", lines), Golden("lab07"), new(1e-9)).Equal);
        Assert.IsTrue(TraceCompare.Compare(Write("changed.jsonl", lines), Golden("lab07"), new(0, 2e-8)).Equal);
        Assert.IsFalse(TraceCompare.Compare(Write("changed.jsonl", lines), Golden("lab07"), new(0, 0.5e-8)).Equal);
    }

    [TestMethod]
    public void An_update_compares_old_and_grad_too_and_the_index_counts_within_the_field()
    {
        var lines = File.ReadAllLines(Golden("lab07"));
        int at = Array.FindIndex(lines, l => l.StartsWith("{\"phase\":\"update\",\"step\":1,\"name\":\"b\"", StringComparison.Ordinal));
        Assert.Contains("\"grad\":[2,7,0]", lines[at]);
        lines[at] = lines[at].Replace("\"grad\":[2,7,0]", "\"grad\":[2,7,1e-300]", StringComparison.Ordinal);
        var d = TraceCompare.Compare(Write("a.jsonl", lines), Golden("lab07")).FirstDivergence!;
        Assert.AreEqual(("grad", 2L, 1e-300, 0.0), (d.Field, d.Index, d.A, d.B));
        // A zero of the reference is matched only by a zero while atol is 0, whatever rtol.
        Assert.IsFalse(TraceCompare.Compare(Write("a.jsonl", lines), Golden("lab07"), new(0.5)).Equal);
        Assert.IsTrue(TraceCompare.Compare(Write("a.jsonl", lines), Golden("lab07"), new(0, 1e-299)).Equal);
    }

    [TestMethod]
    public void The_tolerance_scales_with_the_second_trace_as_torch_allclose_does()
    {
        // |1.1 - 1| = 0.1: 0.1 <= 0.1 * |1| (b = 1) holds; 0.1 <= 0.1 * |1| swapped is 0.1 <= 0.11: both hold,
        // but |2 - 1| <= 0.5 * |b| holds with b = 2 and not with b = 1.
        var o = new TraceCompareOptions(0.5);
        Assert.IsTrue(o.Close(1, 2));
        Assert.IsFalse(o.Close(2, 1));
        Assert.IsTrue(One(Record("forward", 1, "z", "[]", "[1]"), Record("forward", 1, "z", "[]", "[2]"), o).Equal);
        Assert.IsFalse(One(Record("forward", 1, "z", "[]", "[2]"), Record("forward", 1, "z", "[]", "[1]"), o).Equal);
        // Exactly at the bound is within it (<=), as in torch: |a - b| <= atol + rtol * |b| with 0.25 exact.
        Assert.IsTrue(new TraceCompareOptions(0, 0.25).Close(1.25, 1));
        Assert.IsFalse(new TraceCompareOptions(0, 0.25).Close(1.25 + 1e-15, 1));
    }

    [TestMethod]
    public void NaN_matches_only_with_equal_nan_and_infinities_and_signed_zeros_match_their_equals()
    {
        var strict = new TraceCompareOptions(0.1, 0.1);
        Assert.IsFalse(strict.Close(double.NaN, double.NaN));
        Assert.IsTrue((strict with { EqualNaN = true }).Close(double.NaN, double.NaN));
        Assert.IsFalse((strict with { EqualNaN = true }).Close(double.NaN, 1));
        Assert.IsTrue(strict.Close(double.PositiveInfinity, double.PositiveInfinity));
        Assert.IsFalse(strict.Close(double.PositiveInfinity, double.NegativeInfinity));
        Assert.IsFalse(new TraceCompareOptions(1e300, 1e300).Close(double.PositiveInfinity, 1));
        Assert.IsTrue(new TraceCompareOptions(0).Close(-0.0, 0.0));

        string a = Record("forward", 1, "z", "[3]", "[\"NaN\",\"Infinity\",-0]"), b = Record("forward", 1, "z", "[3]", "[\"NaN\",\"Infinity\",0]");
        var c = One(a, b);
        Assert.AreEqual((1L, 0L), (c.ValuesOverTolerance, c.FirstDivergence!.Index));
        Assert.IsTrue(double.IsNaN(c.FirstDivergence.A));
        Assert.AreEqual(0, c.Nodes[0].MaxAbsolute, "a NaN is no largest difference");
        Assert.IsTrue(One(a, b, new(EqualNaN: true)).Equal);
    }

    [TestMethod]
    public void Records_are_matched_by_phase_step_and_name_not_by_line()
    {
        var lines = File.ReadAllLines(Golden("iris"));
        var reversed = lines.Reverse().ToArray();
        var c = TraceCompare.Compare(Write("reversed.jsonl", reversed), Golden("iris"));
        Assert.IsTrue(c.Equal);
        Assert.AreEqual(lines.Length, c.RecordsCompared);

        // The first divergence is the first in the first trace's order, wherever the reference has it.
        // The first and the last record each get one more value and a shape that holds it: shape mismatches.
        foreach (int i in new[] { 0, reversed.Length - 1 })
        {
            var e = TraceJson.Parse(reversed[i]);
            string shape = "\"shape\":[" + string.Join(",", e.Shape) + "]";
            Assert.Contains(shape, reversed[i]);
            reversed[i] = reversed[i].Replace("\"values\":[", "\"values\":[1e9,", StringComparison.Ordinal)
                .Replace(shape, $"\"shape\":[{e.Values.Length + 1}]", StringComparison.Ordinal);
        }
        c = TraceCompare.Compare(Write("reversed.jsonl", reversed), Golden("iris"));
        Assert.AreEqual(2, c.StructureCount);
        Assert.AreEqual(1, c.Structure[0].LineA);
        Assert.AreEqual(lines.Length, c.Structure[0].LineB);
    }

    [TestMethod]
    public void A_node_traced_twice_in_a_step_is_matched_occurrence_by_occurrence()
    {
        // batch_norm's running mean rm1 is traced in forward step 1 as the step's input, then as its new state.
        var lines = File.ReadAllLines(Golden("batch-norm"));
        var rm1 = Enumerable.Range(0, lines.Length).Where(i => lines[i].StartsWith("{\"phase\":\"forward\",\"step\":1,\"name\":\"rm1\"", StringComparison.Ordinal)).ToArray();
        Assert.HasCount(2, rm1);
        var swapped = (string[])lines.Clone();
        (swapped[rm1[0]], swapped[rm1[1]]) = (lines[rm1[1]], lines[rm1[0]]);
        var c = TraceCompare.Compare(Write("swapped.jsonl", swapped), Golden("batch-norm"));
        Assert.IsFalse(c.Equal);
        Assert.AreEqual(new TraceRecordKey("forward", 1, "rm1", 1), c.FirstDivergence!.Key);
        Assert.AreEqual("forward step 1 rm1 (record 2 of that name)", new TraceRecordKey("forward", 1, "rm1", 2).ToString());
        Assert.AreEqual(2, c.RecordsDiffering);
    }

    [TestMethod]
    public void A_record_only_one_trace_has_is_a_mismatch_named_with_its_line()
    {
        var lines = File.ReadAllLines(Golden("lab07"));
        int at = Array.FindIndex(lines, l => l.Contains("\"phase\":\"backward\",\"step\":1,\"name\":\"x\"", StringComparison.Ordinal));
        var fewer = lines.Where((_, i) => i != at).ToArray();
        var extra = Record("forward", 2, "z", "[1]", "[1]");
        var c = TraceCompare.Compare(Write("fewer.jsonl", [.. fewer, extra]), Golden("lab07"));
        Assert.IsFalse(c.Equal);
        Assert.AreEqual(0, c.ValuesOverTolerance);
        Assert.AreEqual((1L, 1L), (c.OnlyInACount, c.OnlyInBCount));
        Assert.AreEqual(new TraceMissingRecord(new TraceRecordKey("backward", 1, "x", 1), at + 1), c.OnlyInB.Single());
        Assert.AreEqual(new TraceMissingRecord(new TraceRecordKey("forward", 2, "z", 1), lines.Length), c.OnlyInA.Single());
        Assert.AreEqual(lines.Length - 1, c.RecordsCompared);
    }

    [TestMethod]
    public void Different_shapes_and_a_field_in_one_trace_only_are_named()
    {
        var c = One(Record("forward", 1, "z", "[2,3]", "[1,2,3,4,5,6]"), Record("forward", 1, "z", "[3,2]", "[1,2,3,4,5,6]"));
        Assert.AreEqual("shape [2, 3] in the first trace, [3, 2] in the second", c.Structure.Single().Description);
        Assert.AreEqual(0, c.ValuesCompared);
        Assert.IsFalse(c.Equal);

        c = One(Record("update", 1, "W", "[1]", "[1]", ",\"old\":[2]"), Record("update", 1, "W", "[1]", "[1]"));
        Assert.AreEqual("'old' only in the first trace", c.Structure.Single().Description);
        Assert.IsFalse(c.Equal);
    }

    [TestMethod]
    public void Records_larger_than_the_read_buffer_and_many_small_ones_stream_through()
    {
        // One record of 300 000 values (about 6 MB, several times the 1 MB read buffer) between thousands of small ones.
        var rng = new Random(7);
        var big = Enumerable.Range(0, 300_000).Select(_ => rng.NextDouble() * 1e3 - 500).ToArray();
        var small = Enumerable.Range(0, 20_000).Select(i => Record("epoch", i + 1, "loss", "[]", $"[{0.1 * i:R}]")).ToList();
        string Big(double[] v) => Record("forward", 1, "h", "[300,1000]", "[" + string.Join(",", v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]");
        var a = Write("a.jsonl", [.. small.Take(10_000), Big(big), .. small.Skip(10_000)]);
        var changed = (double[])big.Clone();
        changed[123_456] += 1e-6 * Math.Abs(changed[123_456]);
        var b = Write("b.jsonl", [.. small.Take(10_000), Big(changed), .. small.Skip(10_000)]);
        Assert.IsGreaterThan(5_000_000L, new FileInfo(a).Length);
        var c = TraceCompare.Compare(a, b);
        Assert.AreEqual(20_001, c.RecordsCompared);
        Assert.AreEqual(300_000 + 20_000, c.ValuesCompared);
        Assert.AreEqual(1, c.ValuesOverTolerance);
        var d = c.FirstDivergence!;
        Assert.AreEqual((123_456L, 10_001L), (d.Index, d.LineA));
        CollectionAssert.AreEqual(new[] { 123, 456 }, d.MultiIndex);
        Assert.AreEqual((big[123_456], changed[123_456]), (d.A, d.B));
        Assert.IsTrue(TraceCompare.Compare(a, b, new(1e-5)).Equal);
    }

    [TestMethod]
    public void Crlf_line_ends_a_byte_order_mark_blank_lines_and_no_final_line_break_are_read()
    {
        var text = File.ReadAllText(Golden("lab07"));
        var path = Path.Combine(_dir, "crlf.jsonl");
        File.WriteAllText(path, "\n" + text.Replace("\n", "\r\n\r\n", StringComparison.Ordinal).TrimEnd(), new UTF8Encoding(true));
        var c = TraceCompare.Compare(path, Golden("lab07"));
        Assert.IsTrue(c.Equal);
        Assert.AreEqual(27, c.RecordsCompared);
    }

    private void Refused(string content, long line, long column, string message)
    {
        var path = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(path, content);
        var e = Assert.ThrowsExactly<TraceFormatException>(() => TraceCompare.Compare(path, Golden("lab07")));
        Assert.AreEqual((path, line, column), (e.Path, e.Line, e.Column), e.Message);
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void A_file_that_is_not_a_trace_is_refused_at_its_line_and_column()
    {
        var good = File.ReadAllLines(Golden("lab07"))[0];
        Refused("netspec: 1\n", 1, 2, "not valid JSON"); // where the reader finds "n" is not "null"
        Refused(good + "\n[1, 2]\n", 2, 1, "a trace line is one JSON object");
        Refused(good + "\n\n{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"shape\":[1],\"values\":[1,]}\n", 3, 64, "not valid JSON");
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"shape\":[1]}\n", 1, 1, "it has no \"values\"");
        Refused("{\"phase\":\"forwards\",\"step\":1,\"name\":\"x\",\"shape\":[1],\"values\":[1]}\n", 1, 10, "unknown phase \"forwards\"");
        Refused("{\"phase\":\"forward\",\"step\":1.5,\"name\":\"x\",\"shape\":[1],\"values\":[1]}\n", 1, 27, "\"step\" must be a whole number");
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"shape\":[2,2],\"values\":[1,2,3]}\n", 1, 63, "\"values\" has 3 numbers, but the shape [2, 2] holds 4");
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"shape\":[1],\"values\":[\"one\"]}\n", 1, 62, "\"values\" must hold numbers");
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"shape\":[1],\"values\":[1e400]}\n", 1, 62, "outside float64's range");
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"name\":\"y\",\"shape\":[1],\"values\":[1]}\n", 1, 40, "\"name\" twice");
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"x\",\"shape\":[1],\"values\":[1]} {}\n", 1, 66, "not valid JSON");
        // The column counts characters, not bytes: "é" and "·" are two bytes each in UTF-8.
        Refused("{\"phase\":\"forward\",\"step\":1,\"name\":\"é·\",\"shape\":[-1],\"values\":[1]}\n", 1, 50, "\"shape\" must be an array of whole numbers, 0 or more");
    }
}
