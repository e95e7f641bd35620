namespace NetSpec.Runtime.Tensors;

/// <summary>
/// NumPy-style broadcasting for tensors of rank 0 to 2. Shapes are aligned on the right and
/// seen as rows x cols (a scalar is 1 x 1, a vector of n is 1 x n); along each axis the sizes
/// are equal or one of them is 1, which is repeated.
/// </summary>
public static class Broadcast
{
    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or null when they do not broadcast.</summary>
    public static Shape? Of(Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        if (rank > 2) return null;
        var dims = new int[rank];
        for (int k = 1; k <= rank; k++)
        {
            int da = k <= a.Rank ? a[a.Rank - k] : 1, db = k <= b.Rank ? b[b.Rank - k] : 1;
            if (da != db && da != 1 && db != 1) return null;
            dims[rank - k] = Math.Max(da, db);
        }
        return new Shape(dims);
    }

    /// <summary>Whether <paramref name="small"/> broadcasts to exactly <paramref name="target"/> (one-way, as gemm's bias does).</summary>
    public static bool To(Shape small, Shape target) => small.Rank <= target.Rank && Of(small, target) is { } s && s.Equals(target);

    /// <summary>The flat index into <paramref name="s"/> of output element (r, c) of a rows x cols result.</summary>
    public static int Index(Shape s, int r, int c) => (s.Rows == 1 ? 0 : r) * s.Cols + (s.Cols == 1 ? 0 : c);
}
