using System.Buffers;
using System.Text;
using System.Text.Json;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The machine-readable trace: one JSON object per line, no timestamps, numbers in shortest
/// round-trip form (NaN and infinities as the strings "NaN", "Infinity", "-Infinity"), so the
/// same spec gives the same bytes on every run.
/// <code>{"phase":"forward","step":1,"name":"z","op":"linear","expr":"linear(x, W, b)","shape":[1,3],"values":[24,47,86]}</code>
/// </summary>
public static class TraceJson
{
    public static string Line(TraceEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("phase", PhaseName(e.Phase));
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
    }

    public static string PhaseName(TracePhase p) => p switch
    {
        TracePhase.Forward => "forward",
        TracePhase.Backward => "backward",
        TracePhase.Epoch => "epoch",
        _ => "update",
    };

    private static void Numbers(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            if (double.IsFinite(v)) w.WriteNumberValue(v);
            else w.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
        w.WriteEndArray();
    }

    /// <summary>A trace line read back (for golden comparisons).</summary>
    public sealed record Entry(string Phase, int Step, string Name, string Op, string Expression, int[] Shape, double[] Values, double[]? Old, double[]? Gradient)
    {
        public string Key => $"{Phase} step {Step} {Name}";
    }

    public static Entry Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        static double[] Nums(JsonElement a) => [.. a.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String
            ? x.GetString() switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, _ => double.NegativeInfinity }
            : x.GetDouble())];
        return new Entry(
            r.GetProperty("phase").GetString()!,
            r.GetProperty("step").GetInt32(),
            r.GetProperty("name").GetString()!,
            r.GetProperty("op").GetString()!,
            r.GetProperty("expr").GetString()!,
            [.. r.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32())],
            Nums(r.GetProperty("values")),
            r.TryGetProperty("old", out var o) ? Nums(o) : null,
            r.TryGetProperty("grad", out var g) ? Nums(g) : null);
    }
}
