namespace NetSpec.Runtime.Ops;

/// <summary>
/// The axes of a tensor permuted: y[i_0, ..., i_(r-1)] = x[j] with j_(perm[k]) = i_k, so y's axis
/// k is x's axis perm[k] (every axis reversed by default: the matrix transpose for rank 2).
/// Backward: dJ/dx is dJ/dy permuted back by the inverse permutation.
/// </summary>
public sealed class Transpose : Op
{
    public override string Name => "transpose";
    public override string Category => "shape";
    public override string Summary => "The axes of a tensor permuted (reversed by default: the matrix transpose).";
    public override string Formula => "y[i_0, ..., i_(r-1)] = x[j], j_(perm[k]) = i_k: y's axis k is x's axis perm[k]";
    public override string GradientFormula => "dJ/dx[j] = dJ/dy[i] for the same pairs (i, j): dJ/dy permuted back by the inverse of perm";
    public override string ShapeRule => "x: d_0 x ... x d_(r-1), any rank; y: d_perm[0] x ... x d_perm[r-1]";
    public override string Convention =>
        "ONNX Transpose and numpy.transpose(x, axes): perm lists, for each axis of y, the axis of x it is; left out, the axes " +
        "are reversed (x.T for a matrix). torch.permute(x, perm) is the same; torch.transpose(x, a, b) swaps two axes, which is " +
        "the perm with a and b exchanged. Entries count from 0, as ONNX's (torch.permute also takes negative ones).";
    public override string Example => "{op: transpose, x: x, perm: [0, 2, 3, 1]}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integers("perm", "for each axis of y, the axis of x it is: a permutation of 0 .. r-1; empty or left out: the axes reversed",
            [], 0, Shape.MaxRank - 1) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("a matrix, reversed", [[batch, 3]]),
        new("a vector", [[4]]),
        new("a scalar", [[]]),
        new("rank 3, reversed", [[batch, 2, 3]]),
        new("rank 3, last two swapped", [[batch, 2, 3]]) { Attributes = [("perm", "[0, 2, 1]")] },
        new("rank 4, NCHW to NHWC", [[batch, 3, 2, 2]]) { Attributes = [("perm", "[0, 2, 3, 1]")] },
        new("rank 4, an odd permutation", [[batch, 3, 1, 2]]) { Attributes = [("perm", "[3, 0, 2, 1]")] },
        new("rank 5, a cycle", [[batch, 2, 3, 1, 2]]) { Attributes = [("perm", "[4, 0, 3, 1, 2]")] },
    ];

    /// <summary>perm for a rank-<paramref name="rank"/> tensor counted from 0 (reversed for an empty list), or why it is not a permutation.</summary>
    internal static (int[]? Perm, string? Error) Normalize(IReadOnlyList<int> perm, int rank)
    {
        if (perm.Count == 0) return ([.. Enumerable.Range(0, rank).Reverse()], null);
        string text = "[" + string.Join(", ", perm) + "]";
        if (perm.Count != rank) return (null, $"perm {text} has {perm.Count} entr{(perm.Count == 1 ? "y" : "ies")}, one per axis of a rank-{rank} tensor is needed");
        var result = new int[rank];
        for (int k = 0; k < rank; k++)
        {
            int a = perm[k];
            if (a >= rank) return (null, $"perm {text}: {Axes.OutOfRange(a, rank)}");
            if (Array.IndexOf(result, a, 0, k) >= 0) return (null, $"perm {text} names axis {a} twice; it must be a permutation of 0 .. {rank - 1}");
            result[k] = a;
        }
        return (result, null);
    }

    /// <summary>FLOPs (see <see cref="OpCost"/>): none forward (it moves data); backward one add per element of each input (accumulating its part of dJ/dy).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(0, [.. inputs.Select(s => (double)s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var x = q[0];
        var (perm, error) = Normalize(q.Attributes.Integers(0), x.Rank);
        if (perm is null) return ShapeResult.Fail($"input {q.Name(0)} is {(x.Rank == 0 ? "a scalar" : x.ToString())}: {error}");
        return ShapeResult.Ok(new Shape([.. perm.Select(a => x[a])]));
    }

    /// <summary>For every element of y (row-major), the flat index of the element of x it is.</summary>
    private sealed record Plan(int[] Source);

    private static Plan PlanOf<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Shape;
        var y = c.Output.Shape;
        var perm = Normalize(c.Attributes.Integers(0), x.Rank).Perm!;
        int r = x.Rank;
        var xStride = new int[r];
        for (int k = r - 1, s = 1; k >= 0; s *= x[k], k--) xStride[k] = s;
        var step = new int[r];   // how far x's flat index moves for one step along y's axis k
        for (int k = 0; k < r; k++) step[k] = xStride[perm[k]];
        var source = new int[y.Length];
        var index = new int[r];
        int at = 0;
        for (int j = 0; j < source.Length; j++)
        {
            source[j] = at;
            for (int k = r - 1; k >= 0; k--)   // advance y's multi-index like an odometer
            {
                at += step[k];
                if (++index[k] < y[k]) break;
                at -= step[k] * y[k];
                index[k] = 0;
            }
        }
        return new Plan(source);
    }

    private static Func<int, (int, int)> Source(Explain.Explanation e)
    {
        Shape x = e.Input(0).Shape, y = e.Output.Shape;
        var perm = Normalize(e.Attributes.Integers(0), x.Rank).Perm!;
        return f =>
        {
            var i = OpExplain.Unflatten(y, f);
            var j = new int[x.Rank];
            for (int k = 0; k < i.Length; k++) j[perm[k]] = i[k];
            return (0, OpExplain.Flat(x, j));
        };
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula);
        OpExplain.Moves(e, backward: false, Source(e));
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        OpExplain.Moves(e, backward: true, Source(e));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var source = c.State(PlanOf).Source;
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        for (int j = 0; j < y.Length; j++) y[j] = x[source[j]];
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var source = c.State(PlanOf).Source;
        var g = c.OutputGrad!.Span;
        var d = dx.Span;
        for (int j = 0; j < g.Length; j++) d[source[j]] += g[j];
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Transpose (perm an attribute in every opset; left out, the axes reversed, which an empty perm exports as).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Transpose") { Attributes = [new OnnxAttribute("perm", "perm")] }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>x.permute(perm) (perm reversed when left out; a copy of a scalar).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        if (x.Rank == 0) return TorchForm.Of($"{node[0]}.clone()");
        return TorchForm.Of($"{node[0]}.permute({Py.Tuple(Normalize(node.Attributes.Integers(0), x.Rank).Perm!)})");
    }
}
