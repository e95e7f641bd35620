using System.Numerics;
using System.Text.Json;
using NetSpec.Runtime.Trace;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The trained-parameters file: JSON with every parameter's shape and values in shortest
/// round-trip form, so reading it back gives the same floats or doubles bit for bit, and (from
/// version 2) the preprocessing of the data set training used: its columns, the feature
/// columns in input order, the label column, the class names in class-index order and the
/// scaling with its statistics, so predicting from raw rows scales them as training did.
/// <code>{"format":"netspec-parameters","version":2,"spec":"iris","dtype":"float64",
///  "preprocessing":{"columns":["sepal_length",...,"species"],"features":["sepal_length",...],
///   "label":"species","classes":["setosa","versicolor","virginica"],
///   "scaling":"standardize","mean":[...],"std":[...]},
///  "parameters":{"W":{"shape":[16,4],"values":[...]},...}}</code>
/// <c>"scaling"</c> is <c>"none"</c>, <c>"scale"</c> (with <c>"factor"</c>) or
/// <c>"standardize"</c> (with <c>"mean"</c> and <c>"std"</c>, one per feature). Version 1 files
/// (no preprocessing) still load. A spec loads one with <c>parameters_file: path</c>. Writing
/// is atomic: a temporary file in the same folder, then a rename over the target.
/// </summary>
public static class ParameterFile
{
    public const string Format = "netspec-parameters";

    /// <summary>The version written; every version up to it is read.</summary>
    public const int Version = 2;

    /// <summary>A parameter read back: its shape and values (exact for the dtype written).</summary>
    public sealed record Entry(int[] Shape, double[] Values);

    /// <summary>
    /// Why <paramref name="given"/> cannot replace the parameters of <paramref name="graph"/> (a
    /// parameter of another shape, or one the spec does not have), or null when it can. A parameter
    /// the file leaves out keeps the spec's value. Used by the exports' <c>--parameters FILE</c>.
    /// </summary>
    public static string? Mismatch(Graph.NetworkGraph graph, IReadOnlyDictionary<string, Entry> given)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(given);
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in graph.Values.Where(v => v.Kind == Graph.ValueKind.Parameter))
        {
            known.Add(v.Name);
            if (given.TryGetValue(v.Name, out var e) && !e.Shape.AsSpan().SequenceEqual(v.Shape.Dims))
                return $"parameter '{v.Name}' is {string.Join("x", v.Shape.Dims.ToArray())} in the spec but {string.Join("x", e.Shape)} in the parameters file";
        }
        return given.Keys.FirstOrDefault(k => !known.Contains(k)) is { } stray
            ? $"the parameters file has a parameter '{stray}', which is not a parameter of the spec"
            : null;
    }

    /// <summary>A parameters file read back; <see cref="Preprocessing"/> is null in a version 1 file.</summary>
    public sealed record Contents(int Version, string DType, string? Spec, Dictionary<string, Entry> Parameters, Preprocessing? Preprocessing);

    public static void Write<T>(string path, string specName, IReadOnlyList<(string Name, Tensor<T> Value)> parameters, Preprocessing? preprocessing = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        AtomicFile.Write(path, w => WriteDocument(w, specName, parameters, preprocessing));

    /// <summary>The whole parameters file (format, version, spec, dtype, preprocessing, parameters) as one JSON object.</summary>
    public static void WriteDocument<T>(Utf8JsonWriter w, string specName, IReadOnlyList<(string Name, Tensor<T> Value)> parameters, Preprocessing? preprocessing = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("version", Version);
        w.WriteString("spec", specName);
        w.WriteString("dtype", DTypeName<T>());
        if (preprocessing is not null) WritePreprocessing(w, preprocessing);
        WriteParameters(w, parameters);
        w.WriteEndObject();
    }

    private static void WritePreprocessing(Utf8JsonWriter w, Preprocessing p)
    {
        static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
        {
            w.WriteStartArray(name);
            foreach (var v in values) w.WriteStringValue(v);
            w.WriteEndArray();
        }
        w.WriteStartObject("preprocessing");
        Strings(w, "columns", p.Columns);
        Strings(w, "features", p.Features);
        if (p.Label is { } label) w.WriteString("label", label);
        else w.WriteNull("label");
        Strings(w, "classes", p.Classes);
        switch (p.Scaling)
        {
            case FeatureScaling.Scale:
                w.WriteString("scaling", "scale");
                w.WriteNumber("factor", p.Factor);
                break;
            case FeatureScaling.Standardize:
                w.WriteString("scaling", "standardize");
                WriteNumbers<double>(w, "mean", p.Mean!.ToArray());
                WriteNumbers<double>(w, "std", p.Std!.ToArray());
                break;
            default:
                w.WriteString("scaling", "none");
                break;
        }
        w.WriteEndObject();
    }

    /// <summary>The <c>"preprocessing"</c> object, checked: every feature a column, one statistic per feature, finite, standard deviations above 0.</summary>
    private static Preprocessing ReadPreprocessing(JsonElement p)
    {
        static string[] Strings(JsonElement p, string name)
        {
            var a = p.GetProperty(name);
            if (a.ValueKind != JsonValueKind.Array) throw new FormatException($"preprocessing '{name}' is not a list");
            return [.. a.EnumerateArray().Select(x => x.GetString() ?? throw new FormatException($"preprocessing '{name}' holds a null"))];
        }
        var columns = Strings(p, "columns");
        var features = Strings(p, "features");
        var classes = Strings(p, "classes");
        var labelJson = p.GetProperty("label");
        string? label = labelJson.ValueKind == JsonValueKind.Null ? null : labelJson.GetString();
        if (features.Length == 0) throw new FormatException("its preprocessing lists no features");
        if (classes.Length == 0 || classes.Distinct(StringComparer.Ordinal).Count() != classes.Length)
            throw new FormatException("its preprocessing needs distinct class names, at least one");
        foreach (var f in features.Append(label).OfType<string>())
            if (!columns.Contains(f, StringComparer.Ordinal)) throw new FormatException($"its preprocessing names '{Clip(f)}', which is not one of its columns");
        double[] Stats(string name)
        {
            var v = new double[features.Length];
            ReadNumbers<double>(p.GetProperty(name), v);
            if (v.Any(x => !double.IsFinite(x))) throw new FormatException($"its preprocessing '{name}' holds a value that is not finite");
            return v;
        }
        string scaling = p.GetProperty("scaling").GetString() ?? "";
        switch (scaling)
        {
            case "none":
                return new Preprocessing(columns, features, label, classes, FeatureScaling.None, 1, null, null);
            case "scale":
                double factor = p.GetProperty("factor").GetDouble();
                if (!double.IsFinite(factor) || factor == 0) throw new FormatException("its preprocessing 'factor' is not a finite, non-zero number");
                return new Preprocessing(columns, features, label, classes, FeatureScaling.Scale, factor, null, null);
            case "standardize":
                var mean = Stats("mean");
                var std = Stats("std");
                if (std.Any(x => x <= 0)) throw new FormatException("its preprocessing 'std' holds a value that is not above 0");
                return new Preprocessing(columns, features, label, classes, FeatureScaling.Standardize, 1, mean, std);
            default:
                throw new FormatException($"its preprocessing 'scaling' is '{Clip(scaling)}', not none, scale or standardize");
        }
    }

    internal static string DTypeName<T>() => typeof(T) == typeof(float) ? "float32" : "float64";

    internal static void WriteParameters<T>(Utf8JsonWriter w, IReadOnlyList<(string Name, Tensor<T> Value)> parameters, bool split = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        w.WriteStartObject("parameters");
        foreach (var (name, t) in parameters)
        {
            w.WriteStartObject(name);
            w.WriteStartArray("shape");
            foreach (var d in t.Shape.Dims) w.WriteNumberValue(d);
            w.WriteEndArray();
            WriteNumbers(w, "values", t.Data, split);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>Numbers in shortest round-trip form of their own type (a float as a float); <paramref name="split"/>: a large list formatted in two halves at once (the same bytes).</summary>
    internal static void WriteNumbers<T>(Utf8JsonWriter w, string name, ReadOnlySpan<T> values, bool split = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        w.WriteStartArray(name);
        if (split && values.Length >= HalvesFrom && !w.Options.Indented && Environment.ProcessorCount > 1)
        {
            // A large tensor's numbers in two halves, the second formatted on another thread
            // meanwhile (formatting is most of the time a parameters file or checkpoint takes); each
            // half by a writer of its own, so the bytes are those of one writer writing them all.
            var second = values[(values.Length / 2)..].ToArray();
            var later = Task.Run(() => Formatted<T>(second));
            w.WriteRawValue(Formatted(values[..(values.Length / 2)]).Span, skipInputValidation: true);
            w.WriteRawValue(later.GetAwaiter().GetResult().Span, skipInputValidation: true);
        }
        else if (typeof(T) == typeof(float) && values.Length > 0 && !w.Options.Indented)
        {
            w.WriteRawValue(Formatted(values).Span, skipInputValidation: true);
        }
        else
        {
            foreach (var v in values) WriteNumber(w, v);
        }
        w.WriteEndArray();
    }

    /// <summary>The fewest numbers <see cref="WriteNumbers{T}"/> formats in two halves at once.</summary>
    internal const int HalvesFrom = 4096;

    private static void WriteNumber<T>(Utf8JsonWriter w, T v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) w.WriteNumberValue(float.CreateTruncating(v));
        else w.WriteNumberValue(double.CreateTruncating(v));
    }

    /// <summary>
    /// Numbers as a JSON writer writes them in a list, without the brackets: "1.5,-2,0.25". Float32
    /// numbers by <see cref="SingleText"/> (the writer's bytes, checked over every float32), the
    /// others by a writer.
    /// </summary>
    private static ReadOnlyMemory<byte> Formatted<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(values);
            // At most 15 bytes a number ("-1.2345678E-38") and a comma; 32 bytes of room for the last.
            var bytes = new byte[floats.Length * 16 + 32];
            int at = 0;
            for (int i = 0; i < floats.Length; i++)
            {
                if (i > 0) bytes[at++] = (byte)',';
                at += SingleText.Format(floats[i], bytes.AsSpan(at));
            }
            return bytes.AsMemory(0, at);
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(values.Length * 12 + 2);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var v in values) WriteNumber(w, v);
            w.WriteEndArray();
        }
        return buffer.WrittenMemory[1..^1];
    }

    /// <summary>Reads numbers written by <see cref="WriteNumbers{T}"/> into <paramref name="into"/> exactly.</summary>
    internal static void ReadNumbers<T>(JsonElement array, Span<T> into) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        foreach (var x in array.EnumerateArray())
        {
            if (i >= into.Length) throw new FormatException($"more than {into.Length} values");
            into[i++] = typeof(T) == typeof(float) ? T.CreateTruncating(x.GetSingle()) : T.CreateTruncating(x.GetDouble());
        }
        if (i != into.Length) throw new FormatException($"{i} values where {into.Length} are needed");
    }

    /// <summary>Reads a parameters file. Throws <see cref="FormatException"/> or <see cref="IOException"/> with a message for people.</summary>
    public static Contents Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(NetSpec.Parser.Files.SafeFile.ReadAllBytes(path, NetSpec.Parser.Files.SafeFile.MaxDataBytes));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.GetString() != Format)
                throw new FormatException($"it is not a NetSpec parameters file (no \"format\": \"{Format}\")");
            int version = root.TryGetProperty("version", out var ver) ? ver.GetInt32() : 1;
            if (version < 1 || version > Version)
                throw new FormatException($"it is version {version} of the format; this NetSpec reads versions 1 to {Version}{(version > Version ? " (a newer NetSpec wrote it)" : "")}");
            string dtype = root.GetProperty("dtype").GetString() ?? "float64";
            string? specName = root.TryGetProperty("spec", out var sp) && sp.ValueKind == JsonValueKind.String ? sp.GetString() : null;
            var preprocessing = version >= 2 && root.TryGetProperty("preprocessing", out var pre) ? ReadPreprocessing(pre) : null;
            var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var p in root.GetProperty("parameters").EnumerateObject())
            {
                var shapeJson = p.Value.GetProperty("shape");
                if (shapeJson.ValueKind != JsonValueKind.Array || shapeJson.GetArrayLength() is < 1 or > Shape.MaxRank)
                    throw new FormatException($"parameter '{Clip(p.Name)}' has an invalid shape (a list of 1 to {Shape.MaxRank} sizes)");
                int[] shape = [.. shapeJson.EnumerateArray().Select(x => x.GetInt32())];
                if (shape.Any(d => d < 1)) throw new FormatException($"parameter '{Clip(p.Name)}' has an invalid shape (sizes must be 1 or more)");
                long count = shape.Aggregate(1L, (a, b) => Math.Min(a * b, long.MaxValue / int.MaxValue));
                // Checked against the values actually present before anything is allocated: a
                // file declaring 40000 x 40000 with a handful of values is refused, not allocated.
                var valuesJson = p.Value.GetProperty("values");
                int present = valuesJson.ValueKind == JsonValueKind.Array ? valuesJson.GetArrayLength() : -1;
                if (present < 0) throw new FormatException($"parameter '{Clip(p.Name)}' has no list of values");
                if (count != present)
                    throw new FormatException($"parameter '{Clip(p.Name)}' declares shape [{string.Join(", ", shape)}] ({(count >= int.MaxValue ? "too many" : count.ToString(System.Globalization.CultureInfo.InvariantCulture))} values) but has {present} values");
                int n = (int)count;
                var values = new double[n];
                if (dtype == "float32")
                {
                    var tmp = new float[n];
                    ReadNumbers<float>(valuesJson, tmp);
                    for (int i = 0; i < n; i++) values[i] = tmp[i];
                }
                else ReadNumbers<double>(valuesJson, values);
                result[p.Name] = new Entry(shape, values);
            }
            return new Contents(version, dtype, specName, result, preprocessing);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private static string Clip(string s) => NetSpec.Parser.Diagnostics.Excerpt.Clip(s);
}
