using System.Globalization;
using System.Text;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// Tensors as people read them: a scalar as a number, a vector (or a batch of one) as the notes
/// write it, [24, 47, 86], a matrix row by row, a tensor of rank 3 or more as its 2-D slices
/// labelled with their leading indices, as numpy does (<c>[0, :, :] = [[1, 2], [3, 4]]</c>);
/// above a size, a one-line summary. Numbers are written at the trace's precision: a float64 with
/// up to 10 significant digits (integers whole), a float32 in its own shortest round-trip digits
/// (0.1f is 0.1, not the 0.1000000015 of the float64 of the same value).
/// </summary>
public static class TensorText
{
    /// <summary>Room for any number <see cref="TryFormat"/> writes.</summary>
    private const int NumberRoom = 32;

    /// <summary>Up to 10 significant digits, integers without a decimal point.</summary>
    public static string Number(double v) => Number(v, single: false);

    /// <summary>
    /// <paramref name="v"/> at the trace's precision: <paramref name="single"/>, the float32
    /// nearest it in float32's shortest round-trip digits; else as <see cref="Number(double)"/>.
    /// </summary>
    public static string Number(double v, bool single)
    {
        Span<char> buffer = stackalloc char[NumberRoom];
        return new string(buffer[..TryFormat(v, single, buffer)]);
    }

    /// <summary>Writes <see cref="Number(double, bool)"/>'s text of <paramref name="v"/> into <paramref name="destination"/> (at least 32 chars); returns its length.</summary>
    private static int TryFormat(double v, bool single, Span<char> destination)
    {
        if (double.IsNaN(v)) return Copy("nan", destination);
        if (double.IsInfinity(v)) return Copy(v > 0 ? "inf" : "-inf", destination);
        int n;
        if (single)
        {
            // .NET's shortest round-trip text of a float: at most 9 digits, integers whole below 1e9.
            float f = (float)v;
            if (float.IsInfinity(f)) return Copy(f > 0 ? "inf" : "-inf", destination);
            f.TryFormat(destination, out n, "R", CultureInfo.InvariantCulture);
        }
        else if (v == Math.Floor(v) && Math.Abs(v) < 1e15)
        {
            v.TryFormat(destination, out n, "0", CultureInfo.InvariantCulture);
            return n;
        }
        else v.TryFormat(destination, out n, "G10", CultureInfo.InvariantCulture);
        for (int i = 0; i < n; i++)
            if (destination[i] == 'E') destination[i] = 'e';
        return n;
    }

    private static int Copy(string s, Span<char> destination)
    {
        s.AsSpan().CopyTo(destination);
        return s.Length;
    }

    /// <summary>Element <paramref name="i"/> of <paramref name="v"/>, right-aligned in <paramref name="width"/>.</summary>
    private static void AppendNumber(StringBuilder sb, TraceValues v, int i, int width = 0)
    {
        Span<char> buffer = stackalloc char[NumberRoom];
        int n = TryFormat(v[i], v.IsSingle, buffer);
        if (width > n) sb.Append(' ', width - n);
        sb.Append(buffer[..n]);
    }

    private static int Width(TraceValues v, int i)
    {
        Span<char> buffer = stackalloc char[NumberRoom];
        return TryFormat(v[i], v.IsSingle, buffer);
    }

    /// <summary>On one line: [24, 47, 86], [[1, 2], [3, 4]] or [[[1, 2]], [[3, 4]]]; a summary above <paramref name="fullLimit"/> elements.</summary>
    public static string Inline(Shape shape, TraceValues v, int fullLimit)
    {
        if (v.Length > fullLimit) return Summary.Of(shape, v, 6);
        if (shape.Rank == 0) return Number(v[0], v.IsSingle);
        var sb = new StringBuilder();
        if (shape.Rank == 2 && shape.Rows == 1) Nested(sb, v, 0, [shape.Cols]); // a batch of one reads as its vector
        else Nested(sb, v, 0, shape.Dims);
        return sb.ToString();
    }

    /// <summary>[a, b] for one axis, [[..], [..]] for more, row-major from <paramref name="offset"/>.</summary>
    private static void Nested(StringBuilder sb, TraceValues v, int offset, ReadOnlySpan<int> dims)
    {
        sb.Append('[');
        int inner = 1;
        for (int k = 1; k < dims.Length; k++) inner *= dims[k];
        for (int i = 0; i < dims[0]; i++)
        {
            if (i > 0) sb.Append(", ");
            if (dims.Length == 1) AppendNumber(sb, v, offset + i);
            else Nested(sb, v, offset + i * inner, dims[1..]);
        }
        sb.Append(']');
    }

    /// <summary>Lines of text for a tensor; the first line goes beside its label, the rest under it at <paramref name="indent"/>.</summary>
    public static string Format(Shape shape, TraceValues v, int indent, int fullLimit)
    {
        var sb = new StringBuilder();
        Append(sb, shape, v, indent, fullLimit);
        return sb.ToString();
    }

    /// <summary>
    /// Appends what <see cref="Format"/> returns, without intermediate strings; a summary leaves out
    /// the shape when <paramref name="shapeShown"/> (the trace prints it beside the label).
    /// </summary>
    public static void Append(StringBuilder sb, Shape shape, TraceValues v, int indent, int fullLimit, bool shapeShown = false)
    {
        if (v.Length > fullLimit)
        {
            sb.Append(shapeShown ? Summary.Stats(v, 6) : Summary.Of(shape, v, 6));
            return;
        }
        if (shape.Rank == 0)
        {
            AppendNumber(sb, v, 0);
            return;
        }
        if (shape.Rank == 1 || (shape.Rank == 2 && shape.Rows == 1))
        {
            Nested(sb, v, 0, [shape.Cols]);
            return;
        }
        int rows = shape[shape.Rank - 2], cols = shape[shape.Rank - 1];
        // Columns are as wide as their widest cell, across every slice, so the slices line up.
        var widths = new int[cols];
        for (int i = 0; i < v.Length; i++) widths[i % cols] = Math.Max(widths[i % cols], Width(v, i));
        if (shape.Rank == 2)
        {
            Matrix(sb, v, 0, rows, cols, widths, indent);
            return;
        }
        if (v.Length == 0)
        {
            sb.Append("[]");
            return;
        }
        int slices = v.Length / (rows * cols);
        var index = new int[shape.Rank - 2];
        for (int s = 0; s < slices; s++)
        {
            if (s > 0) sb.Append('\n').Append(' ', indent);
            int start = sb.Length;
            sb.Append('[');
            foreach (var i in index) sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(", ");
            sb.Append(":, :] = ");
            Matrix(sb, v, s * rows * cols, rows, cols, widths, indent + sb.Length - start);
            for (int k = index.Length - 1; k >= 0 && ++index[k] == shape[k]; k--) index[k] = 0;
        }
    }

    private static void Matrix(StringBuilder sb, TraceValues v, int offset, int rows, int cols, int[] widths, int indent)
    {
        for (int r = 0; r < rows; r++)
        {
            if (r > 0) sb.Append('\n').Append(' ', indent);
            sb.Append(r == 0 ? "[[" : " [");
            for (int j = 0; j < cols; j++)
            {
                if (j > 0) sb.Append(", ");
                AppendNumber(sb, v, offset + r * cols + j, widths[j]);
            }
            sb.Append(r == rows - 1 ? "]]" : "],");
        }
    }
}
