namespace NetSpec.Runtime.Tensors;

/// <summary>
/// Axis helpers shared by every op that works along an axis (softmax, the cross-entropy losses,
/// reductions, concatenation): a row-major tensor seen along axis k is Outer x Size x Inner,
/// element (o, j, i) at flat index (o · Size + j) · Inner + i.
/// </summary>
public static class Axes
{
    /// <summary>
    /// <paramref name="axis"/> counted from the front (a negative axis counts from the end, -1 the
    /// last), or null when it is outside [-rank, rank - 1].
    /// </summary>
    public static int? Normalize(int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? a : null;
    }

    /// <summary>The tensor seen along <paramref name="axis"/> (already normalized): Outer x Size x Inner.</summary>
    public static (int Outer, int Size, int Inner) Split(Shape s, int axis)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Rank == 0) return (1, 1, 1);
        int outer = 1, inner = 1;
        for (int k = 0; k < axis; k++) outer *= s[k];
        for (int k = axis + 1; k < s.Rank; k++) inner *= s[k];
        return (outer, s[axis], inner);
    }

    /// <summary><paramref name="s"/> without the axes in <paramref name="axes"/> (normalized), or with them set to 1 when <paramref name="keep"/>.</summary>
    public static Shape Reduce(Shape s, IReadOnlyCollection<int> axes, bool keep)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(axes);
        var dims = new List<int>(s.Rank);
        for (int k = 0; k < s.Rank; k++)
        {
            if (!axes.Contains(k)) dims.Add(s[k]);
            else if (keep) dims.Add(1);
        }
        return new Shape([.. dims]);
    }

    /// <summary>"axis 3 is outside a rank-2 tensor (axes -2 to 1)".</summary>
    public static string OutOfRange(int axis, int rank) =>
        rank == 0 ? $"axis {axis} is outside a scalar (it has no axes)" : $"axis {axis} is outside a rank-{rank} tensor (axes {-rank} to {rank - 1})";
}
