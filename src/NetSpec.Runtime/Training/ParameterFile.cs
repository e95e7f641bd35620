using System.Numerics;
using System.Text.Json;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The trained-parameters file: JSON with every parameter's shape and values in shortest
/// round-trip form, so reading it back gives the same floats or doubles bit for bit.
/// <code>{"format":"netspec-parameters","version":1,"spec":"digits","dtype":"float32",
///  "parameters":{"W1":{"shape":[128,64],"values":[...]},...}}</code>
/// A spec loads one with <c>parameters_file: path</c>. Writing is atomic: a temporary file in
/// the same folder, then a rename over the target.
/// </summary>
public static class ParameterFile
{
    public const string Format = "netspec-parameters";

    /// <summary>A parameter read back: its shape and values (exact for the dtype written).</summary>
    public sealed record Entry(int[] Shape, double[] Values);

    public static void Write<T>(string path, string specName, IReadOnlyList<(string Name, Tensor<T> Value)> parameters)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        AtomicFile.Write(path, w =>
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", 1);
            w.WriteString("spec", specName);
            w.WriteString("dtype", DTypeName<T>());
            WriteParameters(w, parameters);
            w.WriteEndObject();
        });

    internal static string DTypeName<T>() => typeof(T) == typeof(float) ? "float32" : "float64";

    internal static void WriteParameters<T>(Utf8JsonWriter w, IReadOnlyList<(string Name, Tensor<T> Value)> parameters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        w.WriteStartObject("parameters");
        foreach (var (name, t) in parameters)
        {
            w.WriteStartObject(name);
            w.WriteStartArray("shape");
            foreach (var d in t.Shape.Dims) w.WriteNumberValue(d);
            w.WriteEndArray();
            WriteNumbers(w, "values", t.Data);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>Numbers in shortest round-trip form of their own type (a float as a float).</summary>
    internal static void WriteNumbers<T>(Utf8JsonWriter w, string name, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            if (typeof(T) == typeof(float)) w.WriteNumberValue(float.CreateTruncating(v));
            else w.WriteNumberValue(double.CreateTruncating(v));
        }
        w.WriteEndArray();
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
    public static (string DType, Dictionary<string, Entry> Parameters) Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(NetSpec.Parser.Files.SafeFile.ReadAllBytes(path, NetSpec.Parser.Files.SafeFile.MaxDataBytes));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.GetString() != Format)
                throw new FormatException($"it is not a NetSpec parameters file (no \"format\": \"{Format}\")");
            string dtype = root.GetProperty("dtype").GetString() ?? "float64";
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
            return (dtype, result);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private static string Clip(string s) => NetSpec.Parser.Diagnostics.Excerpt.Clip(s);
}
