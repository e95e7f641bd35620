namespace NetSpec.Runtime.Tensors;

/// <summary>
/// The shape of a tensor: rank 0 (a scalar), rank 1 (a vector, used for biases) or rank 2
/// (rows are samples: a batch of N samples of d features is N x d; weights are out x in).
/// </summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
            ArgumentOutOfRangeException.ThrowIfNegative(d);
        _dims = (int[])dims.Clone();
        long n = 1;
        foreach (var d in _dims) n *= d;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, int.MaxValue, nameof(dims));
        Length = (int)n;
    }

    public static Shape Scalar { get; } = new();

    public int Rank => _dims.Length;
    public int Length { get; }
    public int this[int axis] => _dims[axis];
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Rows of a rank-2 tensor; 1 for a vector or scalar.</summary>
    public int Rows => Rank == 2 ? _dims[0] : 1;
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

    /// <summary>"scalar", "3" or "2x3".</summary>
    public override string ToString() => Rank == 0 ? "scalar" : string.Join("x", _dims);
}
