namespace NetSpec.Runtime.Kernels;

/// <summary>
/// NumPy / ONNX broadcasting for tensors of any rank. Shapes are aligned on the right; along
/// each axis the sizes are equal or one of them is 1, which is repeated (a missing leading
/// axis counts as 1). Ops do not re-derive these rules: they ask for the result shape, an index
/// map from the result to each input, or the reduction of a gradient back to an input's shape.
/// </summary>
public static class Broadcast
{
    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or null when they do not broadcast.</summary>
    public static Shape? Of(Shape a, Shape b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int k = 1; k <= rank; k++)
        {
            int da = k <= a.Rank ? a[a.Rank - k] : 1, db = k <= b.Rank ? b[b.Rank - k] : 1;
            if (da != db && da != 1 && db != 1) return null;
            dims[rank - k] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <summary>The broadcast shape of all of <paramref name="shapes"/>, or null.</summary>
    public static Shape? Of(IReadOnlyList<Shape> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        Shape? s = shapes.Count == 0 ? Shape.Scalar : shapes[0];
        for (int i = 1; i < shapes.Count && s is not null; i++) s = Of(s, shapes[i]);
        return s;
    }

    /// <summary>Whether <paramref name="small"/> broadcasts to exactly <paramref name="target"/> (one-way, as gemm's bias does).</summary>
    public static bool To(Shape small, Shape target) => small.Rank <= target.Rank && Of(small, target) is { } s && s.Equals(target);

    /// <summary>
    /// For every element of <paramref name="target"/> (row-major), the flat index of the element of
    /// <paramref name="s"/> it reads; null when <paramref name="s"/> equals the target (the identity).
    /// <paramref name="s"/> must broadcast to <paramref name="target"/>.
    /// </summary>
    public static int[]? IndexMap(Shape s, Shape target)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(target);
        if (s.Equals(target)) return null;
        if (!To(s, target)) throw new ArgumentException($"{s} does not broadcast to {target}", nameof(s));
        int rank = target.Rank;
        var strides = new int[rank];   // s's stride along each target axis, 0 where s repeats
        int stride = 1;
        for (int k = 1; k <= rank; k++)
        {
            int axis = rank - k;
            int ds = k <= s.Rank ? s[s.Rank - k] : 1;
            strides[axis] = ds == 1 ? 0 : stride;
            stride *= ds;
        }
        var map = new int[target.Length];
        var idx = new int[rank];
        int flat = 0;
        for (int i = 0; i < map.Length; i++)
        {
            map[i] = flat;
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                idx[axis]++;
                flat += strides[axis];
                if (idx[axis] < target[axis]) break;
                flat -= strides[axis] * idx[axis];
                idx[axis] = 0;
            }
        }
        return map;
    }

    /// <summary>The flat index into <paramref name="s"/> of output element (r, c) of a rows x cols result (rank 2 at most).</summary>
    public static int Index(Shape s, int r, int c) => (s.Rows == 1 ? 0 : r) * s.Cols + (s.Cols == 1 ? 0 : c);
}
