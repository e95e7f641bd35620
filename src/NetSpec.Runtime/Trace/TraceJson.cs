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
/// A graph with batch_norm or dropout adds <c>"mode":"train"</c> or <c>"mode":"eval"</c> after <c>expr</c>.
/// As a sink it formats each number as UTF-8 straight from the tensor's data into a pooled
/// buffer, written to its stream when full; a large tensor's numbers are formatted in chunks on
/// several threads and written in order, so the bytes are the same for any thread count. A float32
/// value is written as its float64 (the golden traces' form) through <see cref="SingleAsDoubleText"/>,
/// the same bytes as <c>double.TryFormat</c> in about half the time.
/// </summary>
public sealed class TraceJson : ITraceSink, IDisposable
{
    private const int BufferSize = 1 << 16;
    private const int NumberRoom = 32; // the longest number, or "-Infinity" in quotes, with a comma
    private const int ChunkElements = 16384; // formatted by one thread at a time
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly int _threads;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _used;

    /// <summary>A sink writing JSON lines to <paramref name="stream"/>; disposing it flushes (and closes the stream when it owns it).</summary>
    /// <param name="stream">Where the lines go.</param>
    /// <param name="ownsStream">Whether disposing the sink closes the stream.</param>
    /// <param name="threads">Most threads formatting the numbers of one large tensor (0: one per processor).</param>
    public TraceJson(Stream stream, bool ownsStream = false, int threads = 0)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
    }

    /// <summary>A sink writing JSON lines to a new file at <paramref name="path"/>.</summary>
    public static TraceJson ToFile(string path, int threads = 0) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.SequentialScan), ownsStream: true, threads);

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
        if (e.Mode is { } mode)
        {
            Raw(",\"mode\":"u8);
            String(mode);
        }
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
        if (_threads > 1 && values.Length >= 2 * ChunkElements) ParallelNumbers(values);
        else
        {
            int step = _buffer.Length / NumberRoom; // what an empty buffer surely holds
            for (int start = 0; start < values.Length; start += step)
            {
                int count = Math.Min(step, values.Length - start);
                Room(count * NumberRoom);
                _used += Format(values, start, count, _buffer.AsSpan(_used));
            }
        }
        Byte((byte)']');
    }

    /// <summary>
    /// Chunks of the values formatted on up to <see cref="_threads"/> threads, a batch at a time,
    /// and written in order: while one batch goes to the stream the next is being formatted.
    /// </summary>
    private void ParallelNumbers(TraceValues values)
    {
        int chunks = (values.Length + ChunkElements - 1) / ChunkElements;
        int batch = _threads * 2;
        // Two sets of chunk buffers: the batch being written and the batch being formatted.
        var buffers = new byte[2 * batch][];
        var lengths = new int[2 * batch];
        for (int i = 0; i < buffers.Length; i++) buffers[i] = ArrayPool<byte>.Shared.Rent(ChunkElements * NumberRoom);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _threads };
        void FormatBatch(int first, int set) => Parallel.For(0, Math.Min(batch, chunks - first), options, k =>
        {
            int start = (first + k) * ChunkElements;
            lengths[set * batch + k] = Format(values, start, Math.Min(ChunkElements, values.Length - start), buffers[set * batch + k]);
        });
        Task? next = null;
        try
        {
            Drain();
            FormatBatch(0, 0);
            for (int first = 0, set = 0; first < chunks; first += batch, set ^= 1)
            {
                int after = first + batch, nextSet = set ^ 1;
                next = after < chunks ? Task.Run(() => FormatBatch(after, nextSet)) : null;
                // Each chunk goes to the stream as it is (no copy through the line buffer).
                for (int k = 0, inBatch = Math.Min(batch, chunks - first); k < inBatch; k++) _stream.Write(buffers[set * batch + k], 0, lengths[set * batch + k]);
                next?.GetAwaiter().GetResult();
                next = null;
            }
        }
        finally
        {
            // A failed write leaves the next batch's formatting to finish before its buffers go back.
            try { next?.Wait(); } catch (AggregateException) { }
            foreach (var b in buffers) ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>
    /// Elements [start, start + count) as <see cref="Utf8JsonWriter.WriteNumberValue(double)"/>
    /// writes them (the shortest round-trip form), each but the array's first after a comma, into
    /// <paramref name="destination"/> (room for <see cref="NumberRoom"/> bytes each); returns the bytes written.
    /// </summary>
    private static int Format(TraceValues values, int start, int count, Span<byte> destination)
    {
        int used = 0;
        if (values.IsSingle)
        {
            var s = values.Singles.Slice(start, count);
            for (int i = 0; i < s.Length; i++)
            {
                if (start + i > 0) destination[used++] = (byte)',';
                float x = s[i];
                used += float.IsFinite(x) ? SingleAsDoubleText.Format(x, destination[used..]) : Number(x, comma: false, destination[used..]);
            }
        }
        else
        {
            var d = values.Doubles.Slice(start, count);
            for (int i = 0; i < d.Length; i++) used += Number(d[i], start + i > 0, destination[used..]);
        }
        return used;
    }

    private static int Number(double v, bool comma, Span<byte> destination)
    {
        int used = 0;
        if (comma) destination[used++] = (byte)',';
        if (double.IsFinite(v))
        {
            v.TryFormat(destination[used..], out int n, default, CultureInfo.InvariantCulture);
            return used + n;
        }
        var text = double.IsNaN(v) ? "\"NaN\""u8 : v > 0 ? "\"Infinity\""u8 : "\"-Infinity\""u8;
        text.CopyTo(destination[used..]);
        return used + text.Length;
    }

    /// <summary>
    /// Characters a JSON string holds as they are (the encoder writes them unescaped; a test checks
    /// each): printable ASCII but the quote and the backslash, and the notation of the notes and
    /// expressions (the update's "·", Greek letters, sub- and superscript digits, a few symbols).
    /// </summary>
    internal const string PlainCharacters =
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~" +
        "·×÷±²³¹½ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρστυφχψωϵ₀₁₂₃₄₅₆₇₈₉⁰⁴⁵⁶⁷⁸⁹⁺⁻ᵀ∂∇√∑∏−∞≈≠≤≥⊙…→←∈";

    private static readonly SearchValues<char> Plain = SearchValues.Create(PlainCharacters);

    /// <summary>
    /// <paramref name="s"/> in quotes, escaped as <see cref="JsonEncodedText.Encode(string, JavaScriptEncoder?)"/>
    /// escapes it; a string of plain characters (names, ops, expressions) is copied as its UTF-8
    /// bytes, without the encoder (whose tables cost a start-up a few hundred microseconds).
    /// </summary>
    private void String(string s)
    {
        if (s.Length <= 1024 && !s.AsSpan().ContainsAnyExcept(Plain))
        {
            Room(3 * s.Length + 2);
            _buffer[_used++] = (byte)'"';
            _used += Encoding.UTF8.GetBytes(s, _buffer.AsSpan(_used));
            _buffer[_used++] = (byte)'"';
            return;
        }
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
        if (_used > 0) _stream.Write(_buffer, 0, _used);
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
