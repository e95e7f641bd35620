using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// The JSON-lines sink formats numbers itself; its bytes are those <see cref="Utf8JsonWriter"/>
/// writes for the same event (the golden traces were written that way), for any value and rank.
/// </summary>
[TestClass]
public sealed class TraceJsonTests
{
    /// <summary>The line as <see cref="Utf8JsonWriter"/> writes it: the reference.</summary>
    private static string Reference(TraceEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("phase", TraceJson.PhaseName(e.Phase));
            w.WriteNumber("step", e.Step);
            w.WriteString("name", e.Name);
            w.WriteString("op", e.Op);
            w.WriteString("expr", e.Expression);
            w.WriteStartArray("shape");
            foreach (var d in e.Shape.Dims) w.WriteNumberValue(d);
            w.WriteEndArray();
            if (e.Old is { } old) Numbers(w, "old", old);
            if (e.Gradient is { } grad) Numbers(w, "grad", grad);
            Numbers(w, "values", e.Values);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);

        static void Numbers(Utf8JsonWriter w, string name, TraceValues values)
        {
            w.WriteStartArray(name);
            foreach (var v in values)
            {
                if (double.IsFinite(v)) w.WriteNumberValue(v);
                else w.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
            }
            w.WriteEndArray();
        }
    }

    private static double[] Awkward(int n, int seed)
    {
        var rng = new Random(seed);
        double[] specials = [0, -0.0, 1, -1, 0.1, 1e15, 1e16, 123456789012345678, 1e-7, 5e-324, double.MaxValue, double.MinValue,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity, 2.5e-5, 1.0 / 3];
        return [.. specials, .. Enumerable.Range(0, n).Select(_ => (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-30, 30)))];
    }

    [TestMethod]
    public void Every_string_is_escaped_as_Utf8JsonWriter_escapes_it()
    {
        // Each character below 0x100 and some beyond, alone and amid plain text, in each string field.
        var texts = new List<string> { "", "x", "linear(x, W, b)", "W - 0.001 · dJ/dW", "h₁", "🙂 a\"b\\c", new string('a', 3000) + "\"" + new string('b', 70_000) };
        for (int c = 0; c < 0x100; c++) texts.Add($"a{(char)c}b");
        foreach (char c in TraceJson.PlainCharacters) texts.Add($"{c}");
        texts.Add(TraceJson.PlainCharacters);
        texts.AddRange(["\u2028", "\uFEFF", "\uD83D\uDE42", "<script>&'+`"]); // a lone surrogate is refused, as before
        foreach (var t in texts)
        {
            var e = new TraceEvent(TracePhase.Forward, 1, t, t, t, new Shape(1), new[] { 1.0 }) { Mode = t };
            var reference = Reference(e).Replace(",\"shape\"", $",\"mode\":{JsonSerializer.Serialize(t, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })},\"shape\"", StringComparison.Ordinal);
            Assert.AreEqual(reference, TraceJson.Line(e), $"text of {t.Length} chars, first 0x{(t.Length > 1 ? t[1] : 0):X4}");
        }
    }

    [TestMethod]
    public void Every_number_is_written_as_Utf8JsonWriter_writes_it()
    {
        var d = Awkward(5000, 1);
        var e = new TraceEvent(TracePhase.Update, 3, "W", "sgd", "W - alpha · dJ/dW", new Shape(d.Length), d)
        {
            Old = new TraceValues([.. d.Select(x => (float)x)]),
            Gradient = d,
        };
        Assert.AreEqual(Reference(e), TraceJson.Line(e));
    }

    [TestMethod]
    public void Names_and_expressions_are_escaped_as_before()
    {
        var e = new TraceEvent(TracePhase.Backward, 1, "a\"b\\c", "op<>&'", "dJ/dz · √v̂ + ε\n\t\u2028\u0001", new Shape(2, 1, 1), new[] { 1.5, -2.0 });
        Assert.AreEqual(Reference(e), TraceJson.Line(e));
    }

    [TestMethod]
    public void A_rank_4_value_carries_its_shape_and_flat_row_major_values()
    {
        var e = new TraceEvent(TracePhase.Forward, 1, "x", "data", "x", new Shape(1, 2, 1, 2), new[] { 1.0, 2, 3, 4 });
        Assert.AreEqual("""{"phase":"forward","step":1,"name":"x","op":"data","expr":"x","shape":[1,2,1,2],"values":[1,2,3,4]}""", TraceJson.Line(e));
    }

    [TestMethod]
    public void The_sink_writes_one_line_per_event_across_buffer_boundaries()
    {
        var events = Enumerable.Range(0, 5).Select(i => new TraceEvent(TracePhase.Forward, i + 1, $"v{i}", "data", "v", new Shape(20000), Awkward(20000 - 17, i))).ToList();
        var stream = new MemoryStream();
        using (var sink = new TraceJson(stream))
            foreach (var e in events) sink.Emit(e);
        var expected = string.Concat(events.Select(e => Reference(e) + "\n"));
        Assert.AreEqual(expected, Encoding.UTF8.GetString(stream.ToArray()));
    }

    [TestMethod]
    public void A_large_tensor_formatted_on_several_threads_gives_the_same_bytes()
    {
        var d = Awkward(100_000, 7);
        var e = new TraceEvent(TracePhase.Update, 1, "W", "sgd", "W - 0.1 · dJ/dW", new Shape(d.Length), new TraceValues([.. d.Select(x => (float)x)]))
        {
            Old = d,
            Gradient = d,
        };
        string Write(int threads)
        {
            var stream = new MemoryStream();
            using (var sink = new TraceJson(stream, threads: threads)) sink.Emit(e);
            return Encoding.UTF8.GetString(stream.ToArray());
        }
        var one = Write(1);
        Assert.AreEqual(Reference(e) + "\n", one);
        Assert.AreEqual(one, Write(2));
        Assert.AreEqual(one, Write(3));
    }
}
