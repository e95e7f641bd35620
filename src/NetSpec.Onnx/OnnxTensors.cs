using Google.Protobuf;
using Onnx;

namespace NetSpec.Onnx;

/// <summary>ONNX TensorProto to and from NetSpec's row-major doubles.</summary>
public static class OnnxTensors
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Double = (int)TensorProto.Types.DataType.Double;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;

    /// <summary>A tensor of <paramref name="dims"/> holding <paramref name="values"/> as float (FLOAT) or double (DOUBLE), little-endian raw data.</summary>
    public static TensorProto Create(string name, ReadOnlySpan<int> dims, ReadOnlySpan<double> values, bool float32)
    {
        var t = new TensorProto { Name = name, DataType = float32 ? Float : Double };
        foreach (var d in dims) t.Dims.Add(d);
        var bytes = new byte[values.Length * (float32 ? 4 : 8)];
        for (int i = 0; i < values.Length; i++)
        {
            if (float32) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (float)values[i]);
            else BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), values[i]);
        }
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is little-endian");
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    /// <summary>A 1-D INT64 tensor (axes, shapes).</summary>
    public static TensorProto Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return t;
    }

    /// <summary>
    /// The tensor's values as doubles (FLOAT, DOUBLE, INT32, INT64; raw or typed fields), or
    /// null with <paramref name="error"/> set when its type or storage is not supported.
    /// </summary>
    public static double[]? Read(TensorProto t, out string? error)
    {
        error = null;
        long count = 1;
        foreach (var d in t.Dims)
        {
            if (d < 0) { error = $"tensor '{t.Name}' has a negative dimension {d}"; return null; }
            count *= d;
            if (count > int.MaxValue) { error = $"tensor '{t.Name}' is too large"; return null; }
        }
        int n = (int)count;
        if (t.DataLocation == TensorProto.Types.DataLocation.External) { error = $"tensor '{t.Name}' keeps its data in an external file, which NetSpec does not read"; return null; }
        var raw = t.RawData.Span;
        var v = new double[n];
        bool hasRaw = !t.RawData.IsEmpty;
        switch (t.DataType)
        {
            case Float:
                if (hasRaw ? raw.Length != n * 4 : t.FloatData.Count != n) break;
                for (int i = 0; i < n; i++) v[i] = hasRaw ? BitConverter.ToSingle(raw.Slice(i * 4, 4)) : t.FloatData[i];
                return v;
            case Double:
                if (hasRaw ? raw.Length != n * 8 : t.DoubleData.Count != n) break;
                for (int i = 0; i < n; i++) v[i] = hasRaw ? BitConverter.ToDouble(raw.Slice(i * 8, 8)) : t.DoubleData[i];
                return v;
            case Int64:
                if (hasRaw ? raw.Length != n * 8 : t.Int64Data.Count != n) break;
                for (int i = 0; i < n; i++) v[i] = hasRaw ? BitConverter.ToInt64(raw.Slice(i * 8, 8)) : t.Int64Data[i];
                return v;
            case (int)TensorProto.Types.DataType.Int32:
                if (hasRaw ? raw.Length != n * 4 : t.Int32Data.Count != n) break;
                for (int i = 0; i < n; i++) v[i] = hasRaw ? BitConverter.ToInt32(raw.Slice(i * 4, 4)) : t.Int32Data[i];
                return v;
            default:
                error = $"tensor '{t.Name}' has ONNX element type {TypeName(t.DataType)}; NetSpec reads float, double, int32 and int64";
                return null;
        }
        error = $"tensor '{t.Name}' holds a different number of values than its shape [{string.Join(", ", t.Dims)}] says";
        return null;
    }

    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToLowerInvariant() : dataType.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
