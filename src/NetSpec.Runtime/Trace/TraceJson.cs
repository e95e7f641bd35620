using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The machine-readable trace: one JSON object per line, no timestamps, numbers in shortest
/// round-trip form (NaN and infinities as the strings "NaN", "Infinity", "-Infinity"), so the
/// same spec gives the same bytes on every run.
/// <code>{"phase":"forward","step":1,"name":"z","op":"linear","expr":"linear(x, W, b)","shape":[1,3],"values":[24,47,86]}</code>
/// As a sink it formats each number as UTF-8 straight from the tensor's data into a pooled
/// buffer, written to its stream when full.
/// </summary>
public sealed class TraceJson : ITraceSink, IDisposable
{
    private const int BufferSize = 1 << 16;
    private const int NumberRoom = 32; // the longest number, or "-Infinity" in quotes, with a comma
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _used;

    /// <summary>A sink writing JSON lines to <paramref name="stream"/>; disposing it flushes (and closes the stream when it owns it).</summary>
    public TraceJson(Stream stream, bool ownsStream = false)
    {
        _stream = stream;
        _ownsStream = ownsStream;
    }

    /// <summary>A sink writing JSON lines to a new file at <paramref name="path"/>.</summary>
    public static TraceJson ToFile(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.SequentialScan), ownsStream: true);

    public void Emit(TraceEvent e)
    {
        Write(e);
        Byte((byte)'\n');
    }

    /// <summary>Writes the buffered lines to the stream.</summary>
    public void Flush()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
        _stream.Flush();
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        if (_ownsStream) _stream.Dispose();
    }

    /// <summary>One event's line, without the line break.</summary>
    public static string Line(TraceEvent e)
    {
        var stream = new MemoryStream();
        using (var sink = new TraceJson(stream)) sink.Write(e);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    public static string PhaseName(TracePhase p) => p switch
    {
        TracePhase.Forward => "forward",
        TracePhase.Backward => "backward",
        TracePhase.Epoch => "epoch",
        _ => "update",
    };

    private void Write(TraceEvent e)
    {
        Raw("{\"phase\":"u8);
        String(PhaseName(e.Phase));
        Raw(",\"step\":"u8);
        Room(NumberRoom);
        e.Step.TryFormat(_buffer.AsSpan(_used), out int n, default, CultureInfo.InvariantCulture);
        _used += n;
        Raw(",\"name\":"u8);
        String(e.Name);
        Raw(",\"op\":"u8);
        String(e.Op);
        Raw(",\"expr\":"u8);
        String(e.Expression);
        Raw(",\"shape\":["u8);
        var dims = e.Shape.Dims;
        for (int i = 0; i < dims.Length; i++)
        {
            Room(NumberRoom);
            if (i > 0) _buffer[_used++] = (byte)',';
            dims[i].TryFormat(_buffer.AsSpan(_used), out n, default, CultureInfo.InvariantCulture);
            _used += n;
        }
        Byte((byte)']');
        if (e.Old is { } old) Numbers(",\"old\":["u8, old);
        if (e.Gradient is { } grad) Numbers(",\"grad\":["u8, grad);
        Numbers(",\"values\":["u8, e.Values);
        Byte((byte)'}');
    }

    private void Numbers(ReadOnlySpan<byte> head, TraceValues values)
    {
        Raw(head);
        if (values.IsSingle)
        {
            var s = values.Singles;
            for (int i = 0; i < s.Length; i++) Number(s[i], i > 0);
        }
        else
        {
            var d = values.Doubles;
            for (int i = 0; i < d.Length; i++) Number(d[i], i > 0);
        }
        Byte((byte)']');
    }

    /// <summary>As <see cref="Utf8JsonWriter.WriteNumberValue(double)"/> writes it: the shortest round-trip form.</summary>
    private void Number(double v, bool comma)
    {
        if (_buffer.Length - _used < NumberRoom) Drain();
        if (comma) _buffer[_used++] = (byte)',';
        if (double.IsFinite(v))
        {
            v.TryFormat(_buffer.AsSpan(_used), out int n, default, CultureInfo.InvariantCulture);
            _used += n;
        }
        else Raw(double.IsNaN(v) ? "\"NaN\""u8 : v > 0 ? "\"Infinity\""u8 : "\"-Infinity\""u8);
    }

    private void String(string s)
    {
        var encoded = JsonEncodedText.Encode(s, Encoder).EncodedUtf8Bytes;
        Byte((byte)'"');
        Raw(encoded);
        Byte((byte)'"');
    }

    private void Byte(byte b)
    {
        if (_used == _buffer.Length) Drain();
        _buffer[_used++] = b;
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_used == _buffer.Length) Drain();
            int k = Math.Min(bytes.Length, _buffer.Length - _used);
            bytes[..k].CopyTo(_buffer.AsSpan(_used));
            _used += k;
            bytes = bytes[k..];
        }
    }

    private void Room(int bytes)
    {
        if (_buffer.Length - _used < bytes) Drain();
    }

    private void Drain()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
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
