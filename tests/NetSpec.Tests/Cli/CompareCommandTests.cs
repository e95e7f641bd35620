using NetSpec.Cli;
using static NetSpec.Tests.Cli.CliRunner;

namespace NetSpec.Tests.Cli;

/// <summary>
/// <c>netspec compare</c> on traces that <c>netspec run --trace-file</c> writes and on changed copies
/// of golden traces: exit 0 when equal, 1 on a mismatch (named: record, index, both values),
/// 2 for a file that is not a trace (file:line:col, no stack trace), 64 for a bad tolerance.
/// </summary>
[TestClass]
public sealed class CompareCommandTests
{
    private string _dir = "";

    [TestInitialize]
    public void Create() => _dir = Directory.CreateTempSubdirectory("netspec-compare-cli-").FullName;

    [TestCleanup]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private static string Golden(string name) => Path.Combine(TestPaths.Golden, name + ".trace.jsonl");

    private string In(string name) => Path.Combine(_dir, name);

    /// <summary>Runs <paramref name="spec"/> (a path) with its trace written to <paramref name="trace"/> in the temporary folder.</summary>
    private string Traced(string spec, string trace)
    {
        var (code, _, err) = Invoke("run", spec, "-q", "--trace-file", In(trace));
        Assert.IsTrue(code is ExitCodes.Success or ExitCodes.ExpectationFailed, err);
        return In(trace);
    }

    [TestMethod]
    public void Two_runs_of_the_same_spec_compare_equal_with_exit_code_0()
    {
        foreach (var spec in new[] { "lab07.yaml", "iris.yaml", "dropout.yaml" })
        {
            var a = Traced(Path.Combine(TestPaths.Specs, spec), "a.jsonl");
            var b = Traced(Path.Combine(TestPaths.Specs, spec), "b.jsonl");
            var (code, output, err) = Invoke("compare", a, b);
            Assert.AreEqual(ExitCodes.Success, code, output + err);
            int records = File.ReadAllLines(b).Length;
            StringAssert.Contains(output, $"equal: {records} records compared");
            StringAssert.Contains(output, ", 0 differing (0 values over the tolerance, 0 shape or field mismatches), 0 only in a, 0 only in b");
            Assert.DoesNotContain("first divergence", output);
            Assert.AreEqual("", err);
        }
    }

    [TestMethod]
    public void Float32_against_float64_of_a_worked_example_is_equal_at_rtol_1e_5_and_differs_at_1e_12()
    {
        // lab07 in float32: every value is the float64 one rounded to float32's 24 bits (relative 6e-8) and carried
        // through a few operations; S = 0.05 · (1 + 4 + ... ) = 6.95 in float64 is 6.950000286102295 in float32.
        var f64 = Path.Combine(TestPaths.Specs, "lab07.yaml");
        var text = File.ReadAllText(f64);
        Assert.DoesNotContain("dtype", text);
        File.WriteAllText(In("lab07-f32.yaml"), text.Replace("netspec: 1\n", "netspec: 1\ndtype: float32\n", StringComparison.Ordinal));
        var a = Traced(In("lab07-f32.yaml"), "f32.jsonl");
        var b = Traced(f64, "f64.jsonl");
        Assert.AreNotEqual(File.ReadAllText(a), File.ReadAllText(b));

        var (code, output, _) = Invoke("compare", a, b, "--rtol", "1e-5");
        Assert.AreEqual(ExitCodes.Success, code, output);
        StringAssert.Contains(output, "rule: |a - b| <= 0 + 1e-05 * |b|");

        (code, output, _) = Invoke("compare", a, b, "--rtol", "1e-12");
        Assert.AreEqual(ExitCodes.ExpectationFailed, code, output);
        StringAssert.Contains(output, "first divergence: forward step 1 S (a line 11, b line 11), values[0] at index []:\n  a = 6.950000286102295\n  b = 6.95\n");
        StringAssert.Contains(output, "DIFFERENT: 27 records compared");
    }

    [TestMethod]
    public void A_changed_value_in_a_copy_of_a_golden_trace_exits_1_naming_the_node_the_index_and_both_values()
    {
        // conv2d's forward y2 is [2, 2, 2, 3] (strides 12, 6, 3, 1): flat index 13 is [1, 0, 0, 1].
        var lines = File.ReadAllLines(Golden("conv2d"));
        int at = Array.FindIndex(lines, l => l.StartsWith("{\"phase\":\"forward\",\"step\":1,\"name\":\"y2\"", StringComparison.Ordinal));
        Assert.IsGreaterThanOrEqualTo(0, at, "conv2d's trace has forward y2");
        var golden = Golden("conv2d");
        var record = NetSpec.Runtime.Trace.TraceJson.Parse(lines[at]);
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 3 }, record.Shape);
        double b = record.Values[13], a = b + 0.5;
        var values = (double[])record.Values.Clone();
        values[13] = a;
        int start = lines[at].IndexOf("\"values\":[", StringComparison.Ordinal);
        lines[at] = lines[at][..start] + "\"values\":[" + string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]}";
        File.WriteAllLines(In("changed.jsonl"), lines);

        var (code, output, err) = Invoke("compare", In("changed.jsonl"), golden);
        Assert.AreEqual(ExitCodes.ExpectationFailed, code, output + err);
        string A = a.ToString("R", System.Globalization.CultureInfo.InvariantCulture), B = b.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        StringAssert.Contains(output, $"first divergence: forward step 1 y2 (a line {at + 1}, b line {at + 1}), values[13] at index [1, 0, 0, 1]:\n  a = {A}\n  b = {B}\n  |a - b| = 0.5");
        var row = output.Split('\n').Single(l => l.StartsWith("  forward   y2 ", StringComparison.Ordinal));
        StringAssert.Contains(row, " 0.5 ");
        StringAssert.Contains(row, "step 1 values[1,0,0,1]");
        StringAssert.Contains(output, "DIFFERENT: ");
        StringAssert.Contains(output, " 1 differing (1 value over the tolerance,");

        // The reference is the second file: swapped, the first divergence shows the golden value as a.
        (code, output, _) = Invoke("compare", golden, In("changed.jsonl"));
        Assert.AreEqual(ExitCodes.ExpectationFailed, code);
        StringAssert.Contains(output, $"  a = {B}\n  b = {A}\n");
        // Within an absolute tolerance of 0.5 the change passes.
        Assert.AreEqual(ExitCodes.Success, Invoke("compare", In("changed.jsonl"), golden, "--atol", "0.5").Code);
    }

    [TestMethod]
    public void A_record_missing_from_either_trace_is_a_mismatch_listed_by_name()
    {
        var lines = File.ReadAllLines(Golden("lab07"));
        File.WriteAllLines(In("fewer.jsonl"), lines.Where(l => !l.Contains("\"phase\":\"update\",\"step\":1,\"name\":\"M\"", StringComparison.Ordinal)));
        var (code, output, _) = Invoke("compare", In("fewer.jsonl"), Golden("lab07"));
        Assert.AreEqual(ExitCodes.ExpectationFailed, code, output);
        StringAssert.Contains(output, "1 record only in b (");
        StringAssert.Contains(output, "  update step 1 M (line 26)\n");
        StringAssert.Contains(output, "0 only in a, 1 only in b");

        (code, output, _) = Invoke("compare", Golden("lab07"), In("fewer.jsonl"));
        Assert.AreEqual(ExitCodes.ExpectationFailed, code, output);
        StringAssert.Contains(output, "1 only in a, 0 only in b");

        // A trace of other steps shares no record with the golden one.
        File.WriteAllLines(In("step2.jsonl"), lines.Select(l => l.Replace("\"step\":1,", "\"step\":2,", StringComparison.Ordinal)));
        (code, output, _) = Invoke("compare", In("step2.jsonl"), Golden("lab07"));
        Assert.AreEqual(ExitCodes.ExpectationFailed, code);
        StringAssert.Contains(output, "27 records only in a");
        StringAssert.Contains(output, "  ... and 7 more\n");
        StringAssert.Contains(output, "DIFFERENT: 0 records compared");
    }

    [TestMethod]
    public void A_shape_mismatch_is_named()
    {
        var lines = File.ReadAllLines(Golden("lab07"));
        lines[6] = lines[6].Replace("\"shape\":[1,3]", "\"shape\":[3,1]", StringComparison.Ordinal);
        Assert.Contains("\"name\":\"z\"", lines[6]);
        File.WriteAllLines(In("shape.jsonl"), lines);
        var (code, output, _) = Invoke("compare", In("shape.jsonl"), Golden("lab07"));
        Assert.AreEqual(ExitCodes.ExpectationFailed, code);
        StringAssert.Contains(output, "first divergence: forward step 1 z (a line 7, b line 7): shape [3, 1] in the first trace, [1, 3] in the second");
        StringAssert.Contains(output, "1 shape or field mismatch)");
    }

    [TestMethod]
    public void A_file_that_is_not_a_trace_is_an_error_at_its_line_and_column_with_exit_code_2()
    {
        var lines = File.ReadAllLines(Golden("lab07"));
        lines[3] = lines[3].Replace("\"values\":[", "\"values\":[1,,", StringComparison.Ordinal);
        File.WriteAllLines(In("broken.jsonl"), lines);
        int column = lines[3].IndexOf(",,", StringComparison.Ordinal) + 2;
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["compare", In("broken.jsonl"), Golden("lab07")], $"{In("broken.jsonl")}:4:{column}: error: not valid JSON: "),
            (["compare", Golden("lab07"), Path.Combine(TestPaths.Specs, "lab07.yaml")], $"{Path.Combine(TestPaths.Specs, "lab07.yaml")}:1:1: error: not valid JSON: "),
            (["compare", Golden("lab07"), In("none.jsonl")], $"netspec: the trace '{In("none.jsonl")}' does not exist"),
            (["compare", _dir, Golden("lab07")], "netspec: cannot read a trace: "),
        })
        {
            var (code, output, err) = Invoke(args);
            Assert.AreEqual(ExitCodes.InvalidSpec, code, err);
            StringAssert.StartsWith(err, expected);
            Assert.AreEqual(1, err.TrimEnd('\n').Split('\n').Length, err);
            Assert.DoesNotContain("   at ", err);
            Assert.AreEqual("", output);
        }
    }

    [TestMethod]
    public void A_negative_or_non_finite_tolerance_is_a_command_line_error()
    {
        foreach (var (option, value) in new[] { ("--rtol", "-1e-10"), ("--atol", "-1"), ("--rtol", "NaN"), ("--atol", "Infinity") })
        {
            var (code, _, err) = Invoke("compare", Golden("lab07"), Golden("lab07"), option, value);
            Assert.AreEqual(ExitCodes.Usage, code, err);
            StringAssert.Contains(err, $"{option} must be between 0 and ");
        }
    }

    [TestMethod]
    public void Help_states_the_rule()
    {
        var (code, output, _) = Invoke("compare", "--help");
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "|a - b| <= atol + rtol * |b|");
        StringAssert.Contains(output, "--equal-nan");
    }
}
