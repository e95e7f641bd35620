namespace NetSpec.Runtime.Tensors;

/// <summary>
/// The shape of a contiguous row-major tensor of rank 0 (a scalar) to <see cref="MaxRank"/>.
/// By convention the first axis of data is the batch: N samples of d features are N x d, images
/// N x C x H x W; weights of a linear layer are out x in.
/// </summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>The largest rank a tensor may have.</summary>
    public const int MaxRank = 8;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dims.Length, MaxRank, nameof(dims));
        foreach (var d in dims)
            ArgumentOutOfRangeException.ThrowIfNegative(d);
        _dims = (int[])dims.Clone();
        long n = 1;
        foreach (var d in _dims) n *= d;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, int.MaxValue, nameof(dims));
        Length = (int)n;
        long rows = 1;
        for (int i = 0; i < _dims.Length - 1; i++) rows *= _dims[i];
        Rows = (int)rows;
    }

    public static Shape Scalar { get; } = new();

    public int Rank => _dims.Length;
    public int Length { get; }
    public int this[int axis] => _dims[axis];
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>The product of every axis but the last (rows of a matrix view); 1 for a vector or scalar.</summary>
    public int Rows { get; }
    /// <summary>Columns (features) of a rank-2 tensor, elements of a vector, 1 for a scalar.</summary>
    public int Cols => Rank == 0 ? 1 : _dims[^1];

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>The size of <paramref name="axis"/>, counting from the end when negative (-1 is the last).</summary>
    public int Dim(int axis) => _dims[axis < 0 ? Rank + axis : axis];

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    /// <summary>"scalar", "3" or "2x3".</summary>
    public override string ToString() => Rank == 0 ? "scalar" : string.Join("x", _dims);
}
