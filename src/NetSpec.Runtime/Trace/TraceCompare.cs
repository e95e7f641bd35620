using System.Text;
using System.Text.Json;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// How two traces are compared: a value <c>a</c> of the first trace matches the value <c>b</c>
/// of the second when <c>|a - b| &lt;= atol + rtol · |b|</c>, PyTorch's <c>torch.allclose(a, b)</c>
/// rule (the second trace is the reference the tolerance scales with). Equal values always match,
/// so do -0 and 0 and infinities of the same sign; NaN matches nothing, not even NaN, unless
/// <see cref="EqualNaN"/> (torch's <c>equal_nan</c>). With <see cref="AbsoluteTolerance"/> 0 a zero
/// of the second trace is matched only by a zero.
/// </summary>
/// <param name="RelativeTolerance">rtol, 0 or more (default 1e-10: float64 runs that agree to about six digits short of float64's 16).</param>
/// <param name="AbsoluteTolerance">atol, 0 or more (default 0).</param>
/// <param name="EqualNaN">Whether a NaN matches a NaN.</param>
public sealed record TraceCompareOptions(double RelativeTolerance = 1e-10, double AbsoluteTolerance = 0, bool EqualNaN = false)
{
    /// <summary>Whether <paramref name="a"/> matches <paramref name="b"/> under these tolerances.</summary>
    public bool Close(double a, double b)
    {
        if (a == b) return true;
        if (double.IsNaN(a) || double.IsNaN(b)) return EqualNaN && double.IsNaN(a) && double.IsNaN(b);
        if (!double.IsFinite(a) || !double.IsFinite(b)) return false;
        return Math.Abs(a - b) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(b);
    }
}

/// <summary>
/// Which record of a trace: its phase, step and node (or side value, e.g. <c>drop.mask</c>), and
/// which record of that phase, step and name it is (1 but for a node traced twice in one step, as
/// batch_norm's running statistics are: once as the step's input, once as its new state).
/// </summary>
public sealed record TraceRecordKey(string Phase, long Step, string Name, int Occurrence)
{
    public override string ToString() =>
        Occurrence == 1 ? $"{Phase} step {Step} {Name}" : $"{Phase} step {Step} {Name} (record {Occurrence} of that name)";
}

/// <summary>A value of one record outside the tolerance: where (the field, the flat row-major index and the index per axis) and both values.</summary>
/// <param name="Key">The record.</param>
/// <param name="LineA">The record's line in the first trace.</param>
/// <param name="LineB">The record's line in the second trace.</param>
/// <param name="Field"><c>values</c>, or an update's <c>old</c> or <c>grad</c>.</param>
/// <param name="Index">The flat (row-major) index.</param>
/// <param name="MultiIndex">The index on each axis of the record's shape (empty for a scalar).</param>
/// <param name="A">The first trace's value.</param>
/// <param name="B">The second trace's value.</param>
public sealed record TraceDivergence(TraceRecordKey Key, long LineA, long LineB, string Field, long Index, int[] MultiIndex, double A, double B)
{
    /// <summary>|a - b| (NaN when either is NaN).</summary>
    public double Difference => Math.Abs(A - B);
}

/// <summary>A record both traces have that cannot be compared value by value: the shapes differ, or a field (<c>old</c>, <c>grad</c>) is in one only.</summary>
public sealed record TraceStructureMismatch(TraceRecordKey Key, long LineA, long LineB, string Description);

/// <summary>A record only one trace has.</summary>
public sealed record TraceMissingRecord(TraceRecordKey Key, long Line);

/// <summary>
/// One node of one phase across the steps both traces have: how many records and values were
/// compared, how many values are outside the tolerance, and the largest differences with where they are.
/// </summary>
public sealed class TraceNodeSummary
{
    internal TraceNodeSummary(string phase, string name)
    {
        Phase = phase;
        Name = name;
    }

    public string Phase { get; }
    public string Name { get; }
    public long Records { get; internal set; }
    public long Values { get; internal set; }

    /// <summary>Values outside the tolerance (non-finite mismatches included).</summary>
    public long Mismatches { get; internal set; }

    /// <summary>The largest |a - b| over the finite values (0 when all are equal).</summary>
    public double MaxAbsolute { get; internal set; }

    /// <summary>Where <see cref="MaxAbsolute"/> is, or null when every difference is 0.</summary>
    public TraceDivergence? MaxAbsoluteAt { get; internal set; }

    /// <summary>The largest |a - b| / |b| over the finite values whose b is not 0.</summary>
    public double MaxRelative { get; internal set; }

    /// <summary>Where <see cref="MaxRelative"/> is, or null when every difference is 0.</summary>
    public TraceDivergence? MaxRelativeAt { get; internal set; }
}

/// <summary>What <see cref="TraceCompare.Compare(string, string, TraceCompareOptions)"/> found.</summary>
public sealed class TraceComparison
{
    /// <summary>The most missing records and structure mismatches each list keeps (the counts count them all).</summary>
    public const int ListLimit = 100;

    public required TraceCompareOptions Options { get; init; }
    public long RecordsA { get; internal set; }
    public long RecordsB { get; internal set; }

    /// <summary>Records both traces have.</summary>
    public long RecordsCompared { get; internal set; }

    /// <summary>Records both have with a value outside the tolerance or a structure mismatch.</summary>
    public long RecordsDiffering { get; internal set; }

    public long ValuesCompared { get; internal set; }
    public long ValuesOverTolerance { get; internal set; }

    /// <summary>The value outside the tolerance that comes first in the first trace, or null.</summary>
    public TraceDivergence? FirstDivergence { get; internal set; }

    /// <summary>Per phase and node, in the order of the first trace.</summary>
    public IReadOnlyList<TraceNodeSummary> Nodes => _nodes;

    /// <summary>Records only the first trace has, in its order (at most <see cref="ListLimit"/>; <see cref="OnlyInACount"/> counts them all).</summary>
    public IReadOnlyList<TraceMissingRecord> OnlyInA { get; internal set; } = [];
    public long OnlyInACount { get; internal set; }

    /// <summary>Records only the second trace has, in its order (at most <see cref="ListLimit"/>).</summary>
    public IReadOnlyList<TraceMissingRecord> OnlyInB { get; internal set; } = [];
    public long OnlyInBCount { get; internal set; }

    /// <summary>Shape or field mismatches, in the first trace's order (at most <see cref="ListLimit"/>).</summary>
    public IReadOnlyList<TraceStructureMismatch> Structure => _structure;
    public long StructureCount { get; internal set; }

    /// <summary>Whether the traces match: the same records, the same shapes and fields, every value within the tolerance.</summary>
    public bool Equal => ValuesOverTolerance == 0 && StructureCount == 0 && OnlyInACount == 0 && OnlyInBCount == 0;

    internal readonly List<TraceNodeSummary> _nodes = [];
    internal readonly List<TraceStructureMismatch> _structure = [];
}

/// <summary>A file that is not a NetSpec JSON-lines trace, with the 1-based line and column of the first problem.</summary>
public sealed class TraceFormatException(string path, long line, long column, string message) : Exception(message)
{
    public string Path { get; } = path;
    public long Line { get; } = line;
    public long Column { get; } = column;
}

/// <summary>
/// Compares two JSON-lines traces (<see cref="TraceJson"/>'s format) record by record and value by
/// value. Records are matched by phase, step and name (and occurrence, <see cref="TraceRecordKey"/>),
/// not by line, so traces written in another order compare too; the text fields (op, expr, mode)
/// are labels and are not compared. Both files are read as streams, one line at a time: when both
/// list their records in the same order only the current record of each is held, a trace of
/// hundreds of megabytes included; a record whose partner has not come yet is held until it does.
/// </summary>
public static class TraceCompare
{
    /// <summary>
    /// Compares the trace at <paramref name="pathA"/> with the reference at <paramref name="pathB"/>.
    /// Throws <see cref="TraceFormatException"/> for a line that is not a trace record, and
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> for a file that cannot be read.
    /// </summary>
    public static TraceComparison Compare(string pathA, string pathB, TraceCompareOptions? options = null)
    {
        options ??= new TraceCompareOptions();
        using var a = new TraceRecordReader(pathA);
        using var b = new TraceRecordReader(pathB);
        var state = new Comparer(options);
        bool moreA = true, moreB = true;
        while (moreA || moreB)
        {
            if (moreA && a.Next() is { } ra) state.FromA(ra);
            else moreA = false;
            if (moreB && b.Next() is { } rb) state.FromB(rb);
            else moreB = false;
        }
        return state.Finish(a.Records, b.Records);
    }

    private sealed class Comparer(TraceCompareOptions options)
    {
        private readonly Dictionary<TraceRecordKey, TraceRecord> _pendingA = [];
        private readonly Dictionary<TraceRecordKey, TraceRecord> _pendingB = [];
        private readonly Dictionary<(string, string), TraceNodeSummary> _byNode = [];
        private readonly TraceComparison _result = new() { Options = options };

        public void FromA(TraceRecord r)
        {
            if (_pendingB.Remove(r.Key, out var other)) Pair(r, other);
            else _pendingA.Add(r.Key, r);
        }

        public void FromB(TraceRecord r)
        {
            if (_pendingA.Remove(r.Key, out var other)) Pair(other, r);
            else _pendingB.Add(r.Key, r);
        }

        public TraceComparison Finish(long recordsA, long recordsB)
        {
            _result.RecordsA = recordsA;
            _result.RecordsB = recordsB;
            (_result.OnlyInA, _result.OnlyInACount) = Missing(_pendingA);
            (_result.OnlyInB, _result.OnlyInBCount) = Missing(_pendingB);
            _result._structure.Sort((x, y) => x.LineA.CompareTo(y.LineA));
            return _result;
        }

        private static (IReadOnlyList<TraceMissingRecord>, long) Missing(Dictionary<TraceRecordKey, TraceRecord> pending) =>
            ([.. pending.Values.OrderBy(r => r.Line).Take(TraceComparison.ListLimit).Select(r => new TraceMissingRecord(r.Key, r.Line))], pending.Count);

        private void Pair(TraceRecord a, TraceRecord b)
        {
            _result.RecordsCompared++;
            var node = Node(a);
            node.Records++;
            if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            {
                Structure(a, b, $"shape {TraceRecord.ShapeText(a.Shape)} in the first trace, {TraceRecord.ShapeText(b.Shape)} in the second");
                _result.RecordsDiffering++;
                return;
            }
            long before = _result.ValuesOverTolerance, structureBefore = _result.StructureCount;
            foreach (var (field, va, vb) in new[] { ("old", a.Old, b.Old), ("grad", a.Gradient, b.Gradient), ("values", a.Values, b.Values) })
            {
                if (va is null && vb is null) continue;
                if (va is null || vb is null) Structure(a, b, $"'{field}' only in the {(va is null ? "second" : "first")} trace");
                else Values(a, b, field, va, vb, node);
            }
            if (_result.ValuesOverTolerance > before || _result.StructureCount > structureBefore) _result.RecordsDiffering++;
        }

        private void Values(TraceRecord a, TraceRecord b, string field, double[] va, double[] vb, TraceNodeSummary node)
        {
            node.Values += va.Length;
            _result.ValuesCompared += va.Length;
            for (int i = 0; i < va.Length; i++)
            {
                double x = va[i], y = vb[i];
                if (x == y) continue;
                if (!options.Close(x, y))
                {
                    node.Mismatches++;
                    _result.ValuesOverTolerance++;
                    if (_result.FirstDivergence is not { } first || a.Line < first.LineA
                        || (a.Line == first.LineA && FieldOrder(field) < FieldOrder(first.Field)))
                        _result.FirstDivergence = At(a, b, field, i);
                }
                if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
                double d = Math.Abs(x - y);
                if (d > node.MaxAbsolute)
                {
                    node.MaxAbsolute = d;
                    node.MaxAbsoluteAt = At(a, b, field, i);
                }
                if (y != 0 && d / Math.Abs(y) > node.MaxRelative)
                {
                    node.MaxRelative = d / Math.Abs(y);
                    node.MaxRelativeAt = At(a, b, field, i);
                }
            }
        }

        private static int FieldOrder(string field) => field switch { "old" => 0, "grad" => 1, _ => 2 };

        private static TraceDivergence At(TraceRecord a, TraceRecord b, string field, int index)
        {
            var va = field switch { "old" => a.Old!, "grad" => a.Gradient!, _ => a.Values };
            var vb = field switch { "old" => b.Old!, "grad" => b.Gradient!, _ => b.Values };
            var multi = new int[a.Shape.Length];
            long rest = index;
            for (int k = a.Shape.Length - 1; k >= 0; k--)
            {
                if (a.Shape[k] == 0) break;
                multi[k] = (int)(rest % a.Shape[k]);
                rest /= a.Shape[k];
            }
            return new TraceDivergence(a.Key, a.Line, b.Line, field, index, multi, va[index], vb[index]);
        }

        private void Structure(TraceRecord a, TraceRecord b, string description)
        {
            _result.StructureCount++;
            if (_result._structure.Count < TraceComparison.ListLimit) _result._structure.Add(new TraceStructureMismatch(a.Key, a.Line, b.Line, description));
        }

        private TraceNodeSummary Node(TraceRecord r)
        {
            if (!_byNode.TryGetValue((r.Key.Phase, r.Key.Name), out var node))
            {
                node = new TraceNodeSummary(r.Key.Phase, r.Key.Name);
                _byNode.Add((r.Key.Phase, r.Key.Name), node);
                _result._nodes.Add(node);
            }
            return node;
        }
    }
}

/// <summary>One record of a JSON-lines trace as <see cref="TraceCompare"/> reads it.</summary>
internal sealed record TraceRecord(TraceRecordKey Key, long Line, string? Op, int[] Shape, double[] Values, double[]? Old, double[]? Gradient)
{
    public static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>
/// Reads a JSON-lines trace one record at a time: a line at a time into a buffer that grows to the
/// longest line, parsed with <see cref="Utf8JsonReader"/> (no document tree). Blank lines are skipped;
/// every other line must be one record: <c>phase</c> (forward, backward, update or epoch), <c>step</c>
/// (an integer), <c>name</c>, <c>shape</c> (integers, 0 or more) and <c>values</c> (as many numbers as
/// the shape holds; "NaN", "Infinity", "-Infinity" as strings), optionally <c>old</c> and <c>grad</c>
/// (as many), <c>op</c>, <c>expr</c>, <c>mode</c>; other fields are skipped.
/// </summary>
internal sealed class TraceRecordReader : IDisposable
{
    private static readonly string[] Phases = ["forward", "backward", "update", "epoch"];

    private readonly string _path;
    private readonly FileStream _stream;
    private readonly Dictionary<(string, long, string), int> _occurrences = [];
    private readonly List<double> _numbers = [];
    private byte[] _buffer = new byte[1 << 20];
    private int _start, _end, _scanned;
    private bool _eof;
    private long _line;

    public TraceRecordReader(string path)
    {
        _path = path;
        if (Directory.Exists(path)) throw new IOException($"'{path}' is a directory, not a trace file");
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
    }

    /// <summary>Records read so far.</summary>
    public long Records { get; private set; }

    public void Dispose() => _stream.Dispose();

    /// <summary>The next record, or null at the end of the file.</summary>
    public TraceRecord? Next()
    {
        while (ReadLine(out var line))
        {
            _line++;
            if (_line == 1 && line.StartsWith("\uFEFF"u8)) line = line[3..];
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
            if (line.Trim(" \t"u8).Length == 0) continue;
            var record = Parse(line);
            Records++;
            return record;
        }
        return null;
    }

    private bool ReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int nl = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = _buffer.AsSpan(_start, _scanned + nl - _start);
                _start = _scanned = _scanned + nl + 1;
                return true;
            }
            _scanned = _end;
            if (_eof)
            {
                line = _buffer.AsSpan(_start, _end - _start);
                bool any = _end > _start;
                _start = _scanned = _end;
                return any;
            }
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                (_end, _scanned, _start) = (_end - _start, _scanned - _start, 0);
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= Array.MaxLength)
                    throw new TraceFormatException(_path, _line + 1, 1, "the line is longer than a trace line can be (2 GB)");
                Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, 2L * _buffer.Length));
            }
            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) _eof = true;
            _end += n;
        }
    }

    private TraceFormatException Error(ReadOnlySpan<byte> line, long byteIndex, string message) =>
        new(_path, _line, Encoding.UTF8.GetCharCount(line[..(int)Math.Clamp(byteIndex, 0, line.Length)]) + 1, message);

    private TraceRecord Parse(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 16 });
        string? phase = null, name = null, op = null;
        long? step = null;
        int[]? shape = null;
        double[]? values = null, old = null, grad = null;
        long valuesAt = 0, oldAt = 0, gradAt = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Error(line, 0, "not a trace record: a trace line is one JSON object, {\"phase\":..., \"step\":..., \"name\":..., \"shape\":[...], \"values\":[...]}");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                long at = reader.TokenStartIndex;
                string property = reader.GetString()!;
                if (!seen.Add(property)) throw Error(line, at, $"the record has \"{Clip(property)}\" twice");
                reader.Read();
                long valueAt = reader.TokenStartIndex;
                switch (property)
                {
                    case "phase":
                        phase = Text(ref reader, line, property);
                        if (!Phases.Contains(phase))
                            throw Error(line, valueAt, $"unknown phase \"{Clip(phase)}\": a trace's phases are forward, backward, update and epoch");
                        break;
                    case "name":
                        name = Text(ref reader, line, property);
                        break;
                    case "op":
                        op = Text(ref reader, line, property);
                        break;
                    case "expr" or "mode":
                        Text(ref reader, line, property);
                        break;
                    case "step":
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long s) || s < 0)
                            throw Error(line, valueAt, "\"step\" must be a whole number, 0 or more");
                        step = s;
                        break;
                    case "shape":
                        shape = Shape(ref reader, line);
                        break;
                    case "values":
                        (values, valuesAt) = (Numbers(ref reader, line, property), valueAt);
                        break;
                    case "old":
                        (old, oldAt) = (Numbers(ref reader, line, property), valueAt);
                        break;
                    case "grad":
                        (grad, gradAt) = (Numbers(ref reader, line, property), valueAt);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            while (reader.Read()) { } // anything after the object is an error the reader reports
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut >= 0) message = message[..cut];
            throw Error(line, e.BytePositionInLine ?? 0, "not valid JSON: " + NetSpec.Parser.Diagnostics.Excerpt.Message(message.TrimEnd('.')));
        }
        foreach (var (field, present) in new[] { ("phase", phase is not null), ("step", step is not null), ("name", name is not null), ("shape", shape is not null), ("values", values is not null) })
            if (!present) throw Error(line, 0, $"not a trace record: it has no \"{field}\" (a record has phase, step, name, shape and values)");
        long count = 1;
        foreach (int d in shape!) count = Math.Min(count * d, long.MaxValue / 2);
        foreach (var (field, v, at) in new[] { ("values", values, valuesAt), ("old", old, oldAt), ("grad", grad, gradAt) })
            if (v is not null && v.Length != count)
                throw Error(line, at, $"\"{field}\" has {v.Length} number{(v.Length == 1 ? "" : "s")}, but the shape {TraceRecord.ShapeText(shape)} holds {count}");
        var partial = (phase!, step!.Value, name!);
        int occurrence = _occurrences.TryGetValue(partial, out int k) ? k + 1 : 1;
        _occurrences[partial] = occurrence;
        return new TraceRecord(new TraceRecordKey(phase!, step.Value, name!, occurrence), _line, op, shape, values!, old, grad);
    }

    private string Text(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, string property) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Error(line, reader.TokenStartIndex, $"\"{property}\" must be a string");

    private int[] Shape(ref Utf8JsonReader reader, ReadOnlySpan<byte> line)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw Error(line, reader.TokenStartIndex, "\"shape\" must be an array of whole numbers");
        var dims = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int d) || d < 0)
                throw Error(line, reader.TokenStartIndex, "\"shape\" must be an array of whole numbers, 0 or more");
            dims.Add(d);
        }
        return [.. dims];
    }

    private double[] Numbers(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, string property)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw Error(line, reader.TokenStartIndex, $"\"{property}\" must be an array of numbers");
        _numbers.Clear();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (!reader.TryGetDouble(out double v) || !double.IsFinite(v))
                    throw Error(line, reader.TokenStartIndex, $"a number of \"{property}\" is outside float64's range");
                _numbers.Add(v);
            }
            else if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("NaN"u8)) _numbers.Add(double.NaN);
            else if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("Infinity"u8)) _numbers.Add(double.PositiveInfinity);
            else if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("-Infinity"u8)) _numbers.Add(double.NegativeInfinity);
            else
                throw Error(line, reader.TokenStartIndex, $"\"{property}\" must hold numbers (or the strings \"NaN\", \"Infinity\", \"-Infinity\")");
        }
        return [.. _numbers];
    }

    private static string Clip(string s) => NetSpec.Parser.Diagnostics.Excerpt.Clip(s);
}
