using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Graph;

/// <summary>How a tensor literal as written maps to a value's shape, and whether it fits one.</summary>
internal static class LiteralShapes
{
    /// <summary>
    /// The shape of inline data. Rows are samples: a number is a scalar, a vector is a batch of
    /// one (1 x n), a list of rows is as written, and a literal of rank 3 or more keeps its dims.
    /// </summary>
    public static Shape OfData(TensorLiteral lit) => lit.Rank switch
    {
        0 => Shape.Scalar,
        1 => new Shape(1, lit.Dims[0]),
        _ => new Shape(lit.Dims),
    };

    /// <summary>"a number", "a vector of 3" or "2x3": a literal's shape as written.</summary>
    public static string Describe(TensorLiteral lit) => lit.Rank switch
    {
        0 => "a number",
        1 => $"a vector of {lit.Dims[0]}",
        _ => lit.ShapeText,
    };

    /// <summary>Whether a literal as written fits a value's shape (a vector fits a batch of one).</summary>
    public static bool Fits(TensorLiteral lit, Shape shape)
    {
        if (lit.Values.Length != shape.Length) return false;
        if (lit.Rank == shape.Rank) return lit.Dims.AsSpan().SequenceEqual(shape.Dims);
        if (lit.Rank == 1 && shape.Rank == 2) return shape[0] == 1;
        return lit.Values.Length == 1;
    }
}
