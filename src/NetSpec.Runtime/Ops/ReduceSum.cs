using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum along axes, any rank: s = Σ_{i over axes} x_i (every axis by default, giving a scalar;
/// keepdims leaves the summed axes in place with size 1). Backward: dJ/dx_i += dJ/ds_j for the
/// output element j that x_i was summed into (dJ/ds broadcast back to x's shape).
/// </summary>
public sealed class ReduceSum : Op
{
    public override string Name => "reduce_sum";
    public override string Category => "reduction";
    public override string Summary => "The sum of a tensor along some axes (every axis by default, a scalar).";
    public override string Formula => "s = Σ_{i over axes} x_i (every element when axes is left out)";
    public override string GradientFormula => "dJ/dx_i = dJ/ds_j, j the output element x_i is summed into (dJ/ds broadcast back to x's shape)";
    public override string ShapeRule =>
        "x: any shape (rank 0 to 8); s: x's shape without the summed axes (a scalar for every axis), or with size 1 on them when keepdims";
    public override string Convention =>
        "torch.sum(x, dim, keepdim) and ONNX ReduceSum: axes count from 0, a negative axis from the end (-1 the last), " +
        "no axis twice; left out or empty, every axis is summed (PyTorch's x.sum()). keepdims defaults to false as in " +
        "PyTorch, while ONNX's keepdims defaults to 1. ONNX's noop_with_empty_axes = 1 (empty axes return x unchanged) " +
        "has no NetSpec form: empty axes always sum every axis. Sums run in a fixed order (row-major over x).";
    public override string Example => "{op: reduce_sum, x: L}";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integers("axes", "the axes to sum along, each in [-rank, rank - 1], none twice; negative counts from the end; empty or left out: every axis",
            [], -Shape.MaxRank, Shape.MaxRank - 1) with { ShowDefault = false },
        AttributeSpec.Flag("keepdims", "keep the summed axes with size 1 (ONNX's default is 1, NetSpec's false)", false) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 3]]),
        new("vector", [[5]]),
        new("scalar", [[]]),
        new("rank 3", [[batch, 2, 3]]),
        new("rank 4", [[batch, 3, 1, 2]]),
        new("rank 3, axis 1", [[batch, 2, 3]]) { Attributes = [("axes", "[1]")] },
        new("rank 3, axes 0 and 2, keepdims", [[batch, 2, 3]]) { Attributes = [("axes", "[0, 2]"), ("keepdims", "true")] },
        new("rank 3, axis -1, keepdims", [[batch, 2, 3]]) { Attributes = [("axes", "[-1]"), ("keepdims", "true")] },
        new("rank 4, axes 0 and 2", [[batch, 3, 2, 2]]) { Attributes = [("axes", "[0, 2]")] },
        new("rank 4, axis 1, keepdims", [[batch, 3, 2, 2]]) { Attributes = [("axes", "[1]"), ("keepdims", "true")] },
        new("rank 4, axis -1", [[batch, 3, 2, 2]]) { Attributes = [("axes", "[-1]")] },
        new("rank 4, every axis, keepdims", [[batch, 3, 1, 2]]) { Attributes = [("keepdims", "true")] },
    ];

    /// <summary>The summed axes of a rank-<paramref name="rank"/> tensor counted from 0 (every axis for an empty list), or why they are not valid.</summary>
    internal static (int[]? Axes, string? Error) Normalize(IReadOnlyList<int> axes, int rank)
    {
        if (axes.Count == 0) return ([.. Enumerable.Range(0, rank)], null);
        var result = new int[axes.Count];
        for (int k = 0; k < axes.Count; k++)
        {
            if (Axes.Normalize(axes[k], rank) is not { } a) return (null, Axes.OutOfRange(axes[k], rank));
            if (Array.IndexOf(result, a, 0, k) >= 0) return (null, $"axes [{string.Join(", ", axes)}] name axis {a} twice");
            result[k] = a;
        }
        return (result, null);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var (axes, error) = Normalize(q.Attributes.Integers(0), q[0].Rank);
        return axes is null
            ? ShapeResult.Fail($"input {q.Name(0)} is {(q[0].Rank == 0 ? "a scalar" : q[0].ToString())}: {error}")
            : ShapeResult.Ok(Axes.Reduce(q[0], axes, q.Attributes.Flag(1)));
    }

    /// <summary>For every element of x (row-major), the flat index of the output element it is summed into; null when every element sums to one.</summary>
    private sealed record Plan(int[]? Map);

    private static Plan PlanOf<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.Output.Length == 1) return new Plan(null);
        var x = c.Input(0).Shape;
        var axes = Normalize(c.Attributes.Integers(0), x.Rank).Axes!;
        return new Plan(Broadcast.IndexMap(Axes.Reduce(x, axes, keep: true), x));
    }

    /// <summary>For every element of x (row-major), the flat index of the output element it is reduced into.</summary>
    internal static int[] OutputOf(Shape x, AttributeValues attributes)
    {
        var axes = Normalize(attributes.Integers(0), x.Rank).Axes!;
        var keep = Axes.Reduce(x, axes, keep: true);
        return keep.Length == 1 ? new int[x.Length] : Broadcast.IndexMap(keep, x) ?? [.. Enumerable.Range(0, x.Length)];
    }

    /// <summary>
    /// A reduction's arithmetic: each output entry as the sum of the entries reduced into it
    /// (<paramref name="mean"/>: times 1/n), and backward each dJ/dx_i as the gradient of the entry it went into (over n).
    /// </summary>
    internal static void ExplainReduction(Explain.Explanation e, bool mean, bool backward)
    {
        Explain.ExplainTensor x = e.Input(0), y = e.Output;
        var map = OutputOf(x.Shape, e.Attributes);
        int n = Math.Max(1, x.Shape.Length / Math.Max(1, y.Shape.Length));
        if (!backward)
        {
            e.Note(mean ? $"each entry of {y.Name} is the mean of the n = {n} entries of {x.Name} averaged into it" : $"each entry of {y.Name} sums the {n} entries of {x.Name} summed into it");
            var terms = new Dictionary<int, List<Explain.MathExpr>>();
            for (int f = 0; f < map.Length; f++) OpExplain.Add(terms, map[f], OpExplain.NumFlat(x, f));
            bool noted = false;
            OpExplain.Each(e, y, () =>
            {
                foreach (int k in e.Entries(y))
                {
                    var list = terms.GetValueOrDefault(OpExplain.Flat(y.Shape, OpExplain.Full(e, y, k))) ?? [];
                    if (list.Count > OpExplain.MaxTerms)
                    {
                        if (!noted) e.Note($"a sum of more than {OpExplain.MaxTerms} entries is written as its value");
                        noted = true;
                        e.Entry(y, k);
                    }
                    else e.Entry(y, k, mean ? OpExplain.Mean(list, n) : OpExplain.Sum(list));
                }
            });
            return;
        }
        e.Note(mean ? $"each dJ/d{x.Name}_i is dJ/d{y.Name} of the entry it was averaged into, over n = {n}" : $"each dJ/d{x.Name}_i is dJ/d{y.Name} of the entry it was summed into");
        if (e.Contribution(0) is not { } dx) return;
        var g = e.OutputGrad!;
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int j = map[OpExplain.Flat(x.Shape, OpExplain.Full(e, dx, k))];
                var sym = OpExplain.Sym(g, OpExplain.Unflatten(g.Shape, j));
                if (mean && n > 1)
                    e.Entry(dx, k, new Explain.MathFraction(sym, new Explain.MathNumber(n)), new Explain.MathFraction(OpExplain.NumFlat(g, j), new Explain.MathNumber(n)));
                else e.Entry(dx, k, sym);
            }
        });
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainReduction(e, mean: false, backward: false);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainReduction(e, mean: false, backward: true);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        if (c.State(PlanOf).Map is not { } map)
        {
            c.Output[0] = TensorPrimitives.Sum<T>(x);
            return;
        }
        var s = c.Output.Span;
        s.Clear();
        for (int i = 0; i < x.Length; i++) s[map[i]] += x[i];
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var g = c.OutputGrad!.Span;
        if (c.State(PlanOf).Map is not { } map)
        {
            TensorPrimitives.Add(dx.Span, g[0], dx.Span);
            return;
        }
        var d = dx.Span;
        for (int i = 0; i < d.Length; i++) d[i] += g[map[i]];
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX ReduceSum: from opset 13 the axes are a constant int64 input (left out or empty: every
    /// axis), before 13 an attribute; keepdims is ONNX's attribute, whose default there is 1.
    /// noop_with_empty_axes = 1 with no axes (return the input unchanged) is refused by the
    /// import check; 0 with no axes sums every axis, as reduce_sum does.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("ReduceSum")
        {
            MinOpset = 13,
            Inputs = ["x", "@axes"],
            Attributes = [new OnnxAttribute("keepdims", "keepdims") { OnnxDefault = AttributeValue.Of(1L) }],
            CheckedAttributes = ["noop_with_empty_axes"],
            ImportCheck = q => q.Attribute("noop_with_empty_axes")?.Number == 1 && (q.Constant(1)?.Length ?? 0) == 0
                ? "noop_with_empty_axes = 1 with no axes returns the input unchanged, but NetSpec's reduce_sum with no axes sums every axis"
                : null,
        },
        new("ReduceSum")
        {
            MaxOpset = 12,
            Attributes =
            [
                new OnnxAttribute("axes", "axes"),
                new OnnxAttribute("keepdims", "keepdims") { OnnxDefault = AttributeValue.Of(1L) },
            ],
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>x.sum(dim=axes, keepdim=keepdims); x.sum() for every axis.</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Reduction(node, "sum");
}
