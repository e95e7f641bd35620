using NetSpec.Runtime;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// The text layout of values of any rank: rank 3 and more as 2-D slices labelled with their
/// leading indices, as numpy prints them, columns aligned across slices; a summary above the
/// size limit, its shape printed once. Numbers at the trace's precision: float32 in float32's
/// shortest round-trip digits (the expected texts are numpy's repr of np.float32, which agrees),
/// float64 to 10 significant digits, summaries too. A node shows only the attributes its spec
/// sets or that differ from their default.
/// </summary>
[TestClass]
public sealed class TraceTextWriterTests
{
    private static double[] Count(int n) => [.. Enumerable.Range(1, n).Select(i => (double)i)];

    [TestMethod]
    public void A_rank_3_value_prints_as_labelled_slices_with_aligned_columns()
    {
        var text = TensorText.Format(new Shape(2, 2, 3), Count(12), 0, 64);
        Assert.AreEqual(
            "[0, :, :] = [[ 1,  2,  3],\n" +
            "             [ 4,  5,  6]]\n" +
            "[1, :, :] = [[ 7,  8,  9],\n" +
            "             [10, 11, 12]]", text);
    }

    [TestMethod]
    public void A_rank_4_value_labels_each_slice_with_its_two_leading_indices()
    {
        var text = TensorText.Format(new Shape(2, 1, 2, 2), Count(8), 2, 64);
        Assert.AreEqual(
            "[0, 0, :, :] = [[1, 2],\n" +
            "                  [3, 4]]\n" +
            "  [1, 0, :, :] = [[5, 6],\n" +
            "                  [7, 8]]", text);
    }

    [TestMethod]
    public void A_rank_3_value_above_the_limit_prints_as_a_summary()
    {
        var text = TensorText.Format(new Shape(2, 3, 4), Count(24), 0, 10);
        Assert.AreEqual("2x3x4 min 1, max 24, mean 12.5, first [1, 2, 3, 4, 5, 6, ...]", text);
    }

    [TestMethod]
    public void On_one_line_a_rank_3_value_nests_its_brackets()
    {
        Assert.AreEqual("[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", TensorText.Inline(new Shape(2, 2, 2), Count(8), 64));
        Assert.AreEqual("[1, 2, 3]", TensorText.Inline(new Shape(1, 3), Count(3), 64), "a batch of one reads as its vector");
    }

    [TestMethod]
    public void Float32_values_print_in_float32s_shortest_round_trip_digits()
    {
        // Before: the float64 of the same value to 10 digits, [0.5, 0.1000000015, 0.3333333433, 123456792, 1.401298464e-45].
        var values = new TraceValues(new[] { 0.5f, 0.1f, 1f / 3, 123456789f, float.Epsilon });
        Assert.AreEqual("[0.5, 0.1, 0.33333334, 123456790, 1e-45]", TensorText.Format(new Shape(5), values, 0, 64));
        Assert.AreEqual("[0.1, 0.3333333333]", TensorText.Format(new Shape(2), new[] { 0.1, 1.0 / 3 }, 0, 64), "float64 keeps 10 digits");
        Assert.AreEqual("[[20.1, 10.2],\n [ 0.7,  0.3]]", TensorText.Format(new Shape(2, 2), new TraceValues(new[] { 20.1f, 10.2f, 0.7f, 0.3f }), 0, 64),
            "columns are as wide as the float32 texts");
    }

    [TestMethod]
    public void The_trace_writer_lines_up_every_slice_under_the_first()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var output = new StringWriter();
        var writer = new TraceTextWriter(graph, 64, output);
        writer.Emit(new TraceEvent(TracePhase.Forward, 1, "x", "data", "x", new Shape(2, 2, 2), Count(8)));
        var lines = output.ToString().Split(Environment.NewLine);
        Assert.AreEqual("", lines[0]);
        Assert.AreEqual("step 1 · forward", lines[1]);
        StringAssert.StartsWith(lines[2], "  x (data) ");
        int slice = lines[2].IndexOf("[0, :, :] = [[1, 2],", StringComparison.Ordinal);
        Assert.IsGreaterThan(0, slice, lines[2]);
        StringAssert.Contains(lines[2], "2x2x2");
        Assert.AreEqual(new string(' ', slice + 12) + " [3, 4]]", lines[3]);
        Assert.AreEqual(new string(' ', slice) + "[1, :, :] = [[5, 6],", lines[4]);
        Assert.AreEqual(new string(' ', slice + 12) + " [7, 8]]", lines[5]);
        Assert.AreEqual("", lines[6]);
    }

    [TestMethod]
    public void A_collected_event_keeps_its_values_when_the_tensor_changes_later()
    {
        var data = new[] { 1.0, 2.0 };
        var sink = new CollectingTraceSink();
        sink.Emit(new TraceEvent(TracePhase.Forward, 1, "x", "data", "x", new Shape(2), data));
        data[0] = 99;
        Assert.AreEqual(1.0, sink.Events[0].Values[0]);
    }

    [TestMethod]
    public void A_summary_keeps_the_first_of_equal_extremes_and_skips_non_finite_values()
    {
        Assert.AreEqual("3 min 0, max 1, mean 0.3333333333, first [0, -0, 1]", Summary.Of(new Shape(3), new[] { 0.0, -0.0, 1 }));
        Assert.AreEqual("3 min -0, max 1, mean 0.3333333333, first [-0, 0, 1]", Summary.Of(new Shape(3), new[] { -0.0, 0.0, 1 }));
        Assert.AreEqual("3 min -2, max 1, mean -0.5, 1 non-finite, first [nan, -2, 1]", Summary.Of(new Shape(3), new[] { double.NaN, -2, 1 }));
        Assert.AreEqual("2 min -1.5, max 2.25, mean 0.375, first [2.25, -1.5]", Summary.Of(new Shape(2), new TraceValues(new[] { 2.25f, -1.5f })));
    }

    [TestMethod]
    public void A_summary_is_at_the_traces_precision()
    {
        // float64: 10 digits, as every value of the trace; (0.1 + 2/3) / 2 = 0.38333... (before: the 17 digits of round-trip, 0.3833333333333333).
        Assert.AreEqual("min 0.1, max 0.6666666667, mean 0.3833333333, first [0.1, 0.6666666667]", Summary.Stats(new[] { 0.1, 2.0 / 3 }));
        // float32: min, max and first values are float32 values, and the mean of 0.1f and 0.2f,
        // 0.15000000223517418 in float64, is nearest the float32 0.15 (numpy: np.float32(0.15000000223517418) == np.float32(0.15)).
        // Before: min 0.10000000149011612, max 0.20000000298023224, mean 0.15000000223517418.
        Assert.AreEqual("min 0.1, max 0.2, mean 0.15, first [0.1, 0.2]", Summary.Stats(new TraceValues(new[] { 0.1f, 0.2f })));
    }

    [TestMethod]
    public void A_summarized_value_in_the_trace_prints_its_shape_once()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var output = new StringWriter();
        new TraceTextWriter(graph, 10, output).Emit(new TraceEvent(TracePhase.Forward, 1, "x", "data", "x", new Shape(2, 3, 4), Count(24)));
        var line = output.ToString().Split(Environment.NewLine)[2];
        // Before: "  x (data) ... 2x3x4    2x3x4 min 1, ...".
        StringAssert.EndsWith(line, " 2x3x4    min 1, max 24, mean 12.5, first [1, 2, 3, 4, 5, 6, ...]");
        Assert.AreEqual(line.IndexOf("2x3x4", StringComparison.Ordinal), line.LastIndexOf("2x3x4", StringComparison.Ordinal), line);
    }

    [TestMethod]
    public void A_node_shows_the_attributes_its_spec_sets_or_that_differ_from_their_default()
    {
        const string spec = """
            netspec: 1
            network:
              Y1: {op: gemm, a: A, b: B, c: C}
              Y2: {op: gemm, a: A, b: B, c: C, trans_b: 0, alpha: 3}
              S: {op: sum, inputs: [Y1, Y2]}
            data:
              A: [[1, 2]]
            parameters:
              B: [[1], [2]]
              C: [1]
            """;
        var graph = NetSpecEngine.LoadText("attributes.yaml", spec).Graph!;
        var output = new StringWriter();
        var writer = new TraceTextWriter(graph, 64, output);
        foreach (var n in graph.Nodes)
            writer.Emit(new TraceEvent(TracePhase.Forward, 1, n.Name, n.Op.Name, n.Expression, new Shape(1, 1), new[] { 1.0 }));
        var text = output.ToString();
        // gemm's alpha, beta, trans_a and trans_b default to 1, 1, 0 and 0: Y1 sets none of them,
        // Y2 sets trans_b (to its default, shown since the spec says it) and alpha.
        StringAssert.Contains(text, "  Y1 = gemm(A, B, C) ");
        StringAssert.Contains(text, "  Y2 = gemm(A, B, C, alpha = 3, trans_b = 0) ");
        // The machine form (the JSON trace's "expr") keeps every attribute the op shows, as before.
        Assert.AreEqual("gemm(A, B, C, alpha = 1, beta = 1, trans_a = 0, trans_b = 0)", graph.Nodes.Single(n => n.Name == "Y1").Expression);
    }
}
