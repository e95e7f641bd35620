using NetSpec.Runtime;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// The text layout of values of any rank: rank 3 and more as 2-D slices labelled with their
/// leading indices, as numpy prints them, columns aligned across slices; a summary above the
/// size limit.
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
    public void Float32_values_print_as_the_float64_of_the_same_value()
    {
        var values = new TraceValues(new[] { 0.5f, 0.1f });
        Assert.AreEqual("[0.5, 0.1000000015]", TensorText.Format(new Shape(2), values, 0, 64));
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
        Assert.AreEqual("3 min 0, max 1, mean 0.3333333333333333, first [0, -0, 1]", Summary.Of(new Shape(3), new[] { 0.0, -0.0, 1 }));
        Assert.AreEqual("3 min -0, max 1, mean 0.3333333333333333, first [-0, 0, 1]", Summary.Of(new Shape(3), new[] { -0.0, 0.0, 1 }));
        Assert.AreEqual("3 min -2, max 1, mean -0.5, 1 non-finite, first [nan, -2, 1]", Summary.Of(new Shape(3), new[] { double.NaN, -2, 1 }));
        Assert.AreEqual("2 min -1.5, max 2.25, mean 0.375, first [2.25, -1.5]", Summary.Of(new Shape(2), new TraceValues(new[] { 2.25f, -1.5f })));
    }
}
