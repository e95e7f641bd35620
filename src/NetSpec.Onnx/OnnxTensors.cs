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
    public const int Bool = (int)TensorProto.Types.DataType.Bool;

    /// <summary>The integer element types (and bool) the importer reads as constants: shapes, axes, pads, class labels, flags.</summary>
    public static bool IsInteger(int dataType) => dataType is Int64 or Int32 or Bool
        or (int)TensorProto.Types.DataType.Int8 or (int)TensorProto.Types.DataType.Int16
        or (int)TensorProto.Types.DataType.Uint8 or (int)TensorProto.Types.DataType.Uint16
        or (int)TensorProto.Types.DataType.Uint32 or (int)TensorProto.Types.DataType.Uint64;

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
    /// The tensor's values as doubles (FLOAT, DOUBLE, the integer types and BOOL as 0 and 1;
    /// raw or typed fields), or null with <paramref name="error"/> set when its type or storage
    /// is not supported (half precision, strings, complex) or does not hold its shape's count.
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
            case Bool or (int)TensorProto.Types.DataType.Int8 or (int)TensorProto.Types.DataType.Uint8:
            case (int)TensorProto.Types.DataType.Int16 or (int)TensorProto.Types.DataType.Uint16:
            {
                // Stored one per int32_data entry, or packed little-endian in raw_data.
                int size = t.DataType is (int)TensorProto.Types.DataType.Int16 or (int)TensorProto.Types.DataType.Uint16 ? 2 : 1;
                if (hasRaw ? raw.Length != n * size : t.Int32Data.Count != n) break;
                for (int i = 0; i < n; i++)
                    v[i] = !hasRaw ? t.Int32Data[i] : t.DataType switch
                    {
                        (int)TensorProto.Types.DataType.Int8 => (sbyte)raw[i],
                        (int)TensorProto.Types.DataType.Int16 => BitConverter.ToInt16(raw.Slice(i * 2, 2)),
                        (int)TensorProto.Types.DataType.Uint16 => BitConverter.ToUInt16(raw.Slice(i * 2, 2)),
                        _ => raw[i],
                    };
                if (t.DataType == Bool) for (int i = 0; i < n; i++) v[i] = v[i] != 0 ? 1 : 0;
                return v;
            }
            case (int)TensorProto.Types.DataType.Uint32 or (int)TensorProto.Types.DataType.Uint64:
            {
                int size = t.DataType == (int)TensorProto.Types.DataType.Uint32 ? 4 : 8;
                if (hasRaw ? raw.Length != n * size : t.Uint64Data.Count != n) break;
                for (int i = 0; i < n; i++)
                    v[i] = !hasRaw ? t.Uint64Data[i] : size == 4 ? BitConverter.ToUInt32(raw.Slice(i * 4, 4)) : BitConverter.ToUInt64(raw.Slice(i * 8, 8));
                return v;
            }
            default:
                error = $"tensor '{t.Name}' has ONNX element type {TypeName(t.DataType)}; NetSpec reads float, double, and integers and bools as constants";
                return null;
        }
        error = $"tensor '{t.Name}' holds a different number of values than its shape [{string.Join(", ", t.Dims)}] says";
        return null;
    }

    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToLowerInvariant() : dataType.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
