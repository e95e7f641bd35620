namespace NetSpec.Runtime.Tensors;

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
        return Offsets(Strides(s, target.Rank), target.Dims);
    }

    /// <summary>
    /// The blocks a binary element-wise op walks its output <paramref name="y"/> in (see
    /// <see cref="BroadcastPlan"/>); <paramref name="a"/> and <paramref name="b"/> must broadcast to it.
    /// </summary>
    public static BroadcastPlan Plan(Shape a, Shape b, Shape y)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(y);
        if (!To(a, y) || !To(b, y)) throw new ArgumentException($"{a} and {b} do not both broadcast to {y}", nameof(y));
        if (y.Length == 0) return new BroadcastPlan(0, true, true, [], []);
        int rank = y.Rank;
        int block = 1, first = rank;   // the block runs over axes first..rank-1
        bool? aFull = null, bFull = null;
        for (int axis = rank - 1; axis >= 0; axis--)
        {
            if (y[axis] == 1)
            {
                first = axis;   // a size-1 axis fits any pattern
                continue;
            }
            bool fa = Dim(a, axis, rank) == y[axis], fb = Dim(b, axis, rank) == y[axis];
            if (aFull is null)
            {
                aFull = fa;
                bFull = fb;
            }
            else if (fa != aFull || fb != bFull) break;
            block *= y[axis];
            first = axis;
        }
        var outer = y.Dims[..first].ToArray();
        var sa = Strides(a, rank)[..first];
        var sb = Strides(b, rank)[..first];
        return new BroadcastPlan(block, aFull ?? true, bFull ?? true, Offsets(sa, outer), Offsets(sb, outer));
    }

    private static int Dim(Shape s, int axis, int rank) => axis - (rank - s.Rank) is var k && k >= 0 ? s[k] : 1;

    /// <summary><paramref name="s"/>'s stride along each axis of a rank-<paramref name="rank"/> result, 0 where it repeats.</summary>
    private static int[] Strides(Shape s, int rank)
    {
        var strides = new int[rank];
        int stride = 1;
        for (int k = 1; k <= rank; k++)
        {
            int axis = rank - k;
            int ds = k <= s.Rank ? s[s.Rank - k] : 1;
            strides[axis] = ds == 1 ? 0 : stride;
            stride *= ds;
        }
        return strides;
    }

    /// <summary>The flat offset, by <paramref name="strides"/>, of every element of a tensor of <paramref name="dims"/> (row-major).</summary>
    private static int[] Offsets(ReadOnlySpan<int> strides, ReadOnlySpan<int> dims)
    {
        int rank = dims.Length;
        long n = 1;
        foreach (var d in dims) n *= d;
        var map = new int[n];
        Span<int> idx = stackalloc int[Math.Max(rank, 1)];
        idx.Clear();
        int flat = 0;
        for (int i = 0; i < map.Length; i++)
        {
            map[i] = flat;
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                idx[axis]++;
                flat += strides[axis];
                if (idx[axis] < dims[axis]) break;
                flat -= strides[axis] * idx[axis];
                idx[axis] = 0;
            }
        }
        return map;
    }

    /// <summary>The flat index into <paramref name="s"/> of output element (r, c) of a rows x cols result (rank 2 at most).</summary>
    public static int Index(Shape s, int r, int c) => (s.Rows == 1 ? 0 : r) * s.Cols + (s.Cols == 1 ? 0 : c);
}

/// <summary>
/// How a binary element-wise op walks its output: in <see cref="Blocks"/> runs of
/// <see cref="Block"/> contiguous output elements, along which each input either runs with the
/// output (its elements are contiguous too: "full") or stays on one element, repeated. Equal
/// shapes are one block; a scalar, or a bias added to every row, makes every block a whole row
/// (or the whole tensor) against one element or one row. Computed once per node.
/// </summary>
/// <param name="Block">Output elements per block.</param>
/// <param name="AFull">Whether a's elements run along each block (else one element of a is repeated).</param>
/// <param name="BFull">Whether b's elements run along each block.</param>
/// <param name="StartsA">For each block, the flat index of a where it starts.</param>
/// <param name="StartsB">For each block, the flat index of b where it starts.</param>
public sealed record BroadcastPlan(int Block, bool AFull, bool BFull, int[] StartsA, int[] StartsB)
{
    /// <summary>The number of blocks.</summary>
    public int Blocks => StartsA.Length;

    /// <summary>The elements of a under block <paramref name="k"/>: <see cref="Block"/> of them, or one.</summary>
    public ReadOnlySpan<T> A<T>(ReadOnlySpan<T> a, int k) => a.Slice(StartsA[k], AFull ? Block : 1);

    /// <summary>The elements of b under block <paramref name="k"/>.</summary>
    public ReadOnlySpan<T> B<T>(ReadOnlySpan<T> b, int k) => b.Slice(StartsB[k], BFull ? Block : 1);

    /// <summary>The gradient buffer of a under block <paramref name="k"/>.</summary>
    public Span<T> GradA<T>(Span<T> da, int k) => da.Slice(StartsA[k], AFull ? Block : 1);

    /// <summary>The gradient buffer of b under block <paramref name="k"/>.</summary>
    public Span<T> GradB<T>(Span<T> db, int k) => db.Slice(StartsB[k], BFull ? Block : 1);
}
