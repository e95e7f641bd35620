using System.Globalization;
using System.Text;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// Tensors as people read them: a scalar as a number, a vector (or a batch of one) as the notes
/// write it, [24, 47, 86], a matrix row by row; above a size, a one-line summary.
/// </summary>
public static class TensorText
{
    /// <summary>Up to 10 significant digits, integers without a decimal point.</summary>
    public static string Number(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.Floor(v) && Math.Abs(v) < 1e15) return v.ToString("0", CultureInfo.InvariantCulture);
        var s = v.ToString("G10", CultureInfo.InvariantCulture);
        return s.Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);
    }

    /// <summary>On one line: [24, 47, 86] or [[1, 2], [3, 4]]; a summary above <paramref name="fullLimit"/> elements.</summary>
    public static string Inline(Shape shape, double[] v, int fullLimit)
    {
        if (v.Length > fullLimit) return Execution.Summary.Of(shape, v, 6);
        if (shape.Rank == 0) return Number(v[0]);
        if (shape.Rank == 1 || shape.Rows == 1) return "[" + string.Join(", ", v.Select(Number)) + "]";
        int cols = shape.Cols;
        return "[" + string.Join(", ", Enumerable.Range(0, shape.Rows).Select(r =>
            "[" + string.Join(", ", v.Skip(r * cols).Take(cols).Select(Number)) + "]")) + "]";
    }

    /// <summary>Lines of text for a tensor; the first line goes beside its label, the rest under it at <paramref name="indent"/>.</summary>
    public static string Format(Shape shape, double[] v, int indent, int fullLimit)
    {
        if (v.Length > fullLimit) return Execution.Summary.Of(shape, v, 6);
        if (shape.Rank == 0) return Number(v[0]);
        if (shape.Rank == 1 || shape.Rows == 1) return "[" + string.Join(", ", v.Select(Number)) + "]";
        int rows = shape.Rows, cols = shape.Cols;
        var cells = v.Select(Number).ToArray();
        var widths = new int[cols];
        for (int j = 0; j < cols; j++)
            for (int r = 0; r < rows; r++) widths[j] = Math.Max(widths[j], cells[r * cols + j].Length);
        var sb = new StringBuilder();
        for (int r = 0; r < rows; r++)
        {
            if (r > 0) sb.Append('\n').Append(' ', indent);
            sb.Append(r == 0 ? "[[" : " [");
            for (int j = 0; j < cols; j++)
            {
                if (j > 0) sb.Append(", ");
                sb.Append(cells[r * cols + j].PadLeft(widths[j]));
            }
            sb.Append(r == rows - 1 ? "]]" : "],");
        }
        return sb.ToString();
    }
}
