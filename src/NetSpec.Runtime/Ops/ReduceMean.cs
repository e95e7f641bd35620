using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The mean along axes, any rank: m = (1/n) Σ_{i over axes} x_i, n the number of elements each
/// output element averages (every axis by default, giving a scalar; keepdims leaves the averaged
/// axes in place with size 1). Backward: dJ/dx_i += dJ/dm_j / n for the output element j that
/// x_i was averaged into. The axes follow <see cref="ReduceSum"/>'s rules.
/// </summary>
public sealed class ReduceMean : Op
{
    public override string Name => "reduce_mean";
    public override string Category => "reduction";
    public override string Summary => "The mean of a tensor along some axes (every axis by default, a scalar).";
    public override string Formula => "m = (1/n) Σ_{i over axes} x_i, n = the product of x's sizes on the axes (every element when axes is left out)";
    public override string GradientFormula => "dJ/dx_i = dJ/dm_j / n, j the output element x_i is averaged into (dJ/dm broadcast back to x's shape, divided by n)";
    public override string ShapeRule =>
        "x: any shape (rank 0 to 8); m: x's shape without the averaged axes (a scalar for every axis), or with size 1 on them when keepdims";
    public override string Convention =>
        "torch.mean(x, dim, keepdim) and ONNX ReduceMean: axes count from 0, a negative axis from the end (-1 the last), " +
        "no axis twice; left out or empty, every axis is averaged (PyTorch's x.mean()). keepdims defaults to false as in " +
        "PyTorch, while ONNX's keepdims defaults to 1. ONNX's noop_with_empty_axes = 1 (empty axes return x unchanged) " +
        "has no NetSpec form. The sum runs in a fixed order (row-major over x) and is then divided by n.";
    public override string Example => "{op: reduce_mean, x: x, axes: [1]}";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integers("axes", "the axes to average along, each in [-rank, rank - 1], none twice; negative counts from the end; empty or left out: every axis",
            [], -Shape.MaxRank, Shape.MaxRank - 1) with { ShowDefault = false },
        AttributeSpec.Flag("keepdims", "keep the averaged axes with size 1 (ONNX's default is 1, NetSpec's false)", false) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 3]]),
        new("vector", [[5]]),
        new("scalar", [[]]),
        new("rank 2, axis 1 (the row means)", [[batch, 3]]) { Attributes = [("axes", "[1]")] },
        new("rank 3, axis 1", [[batch, 2, 3]]) { Attributes = [("axes", "[1]")] },
        new("rank 3, axes 0 and 2, keepdims", [[batch, 2, 3]]) { Attributes = [("axes", "[0, 2]"), ("keepdims", "true")] },
        new("rank 4, H and W, keepdims", [[batch, 3, 2, 2]]) { Attributes = [("axes", "[2, 3]"), ("keepdims", "true")] },
        new("rank 4, axis -1", [[batch, 3, 2, 2]]) { Attributes = [("axes", "[-1]")] },
        new("rank 5, axes 1 and -2", [[batch, 2, 1, 3, 2]]) { Attributes = [("axes", "[1, -2]")] },
        new("rank 5, every axis, keepdims", [[batch, 1, 2, 1, 2]]) { Attributes = [("keepdims", "true")] },
    ];

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var (axes, error) = ReduceSum.Normalize(q.Attributes.Integers(0), q[0].Rank);
        return axes is null
            ? ShapeResult.Fail($"input {q.Name(0)} is {(q[0].Rank == 0 ? "a scalar" : q[0].ToString())}: {error}")
            : ShapeResult.Ok(Axes.Reduce(q[0], axes, q.Attributes.Flag(1)));
    }

    /// <summary>
    /// For every element of x (row-major), the flat index of the output element it is averaged
    /// into (null when every element averages into one), and n.
    /// </summary>
    private sealed record Plan(int[]? Map, int Count);

    private static Plan PlanOf<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Shape;
        int n = x.Length / c.Output.Length;
        if (c.Output.Length == 1) return new Plan(null, n);
        var axes = ReduceSum.Normalize(c.Attributes.Integers(0), x.Rank).Axes!;
        return new Plan(Broadcast.IndexMap(Axes.Reduce(x, axes, keep: true), x), n);
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ReduceSum.ExplainReduction(e, mean: true, backward: false);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ReduceSum.ExplainReduction(e, mean: true, backward: true);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var plan = c.State(PlanOf);
        var x = c.Input(0).Span;
        var n = T.CreateChecked(plan.Count);
        if (plan.Map is not { } map)
        {
            c.Output[0] = TensorPrimitives.Sum<T>(x) / n;
            return;
        }
        var m = c.Output.Span;
        m.Clear();
        for (int i = 0; i < x.Length; i++) m[map[i]] += x[i];
        TensorPrimitives.Divide(m, n, m);
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var plan = c.State(PlanOf);
        var g = c.OutputGrad!.Span;
        var n = T.CreateChecked(plan.Count);
        if (plan.Map is not { } map)
        {
            TensorPrimitives.Add(dx.Span, g[0] / n, dx.Span);
            return;
        }
        var d = dx.Span;
        for (int i = 0; i < d.Length; i++) d[i] += g[map[i]] / n;
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX ReduceMean: from opset 18 the axes are a constant int64 input (left out or empty: every
    /// axis), before 18 an attribute; keepdims is ONNX's attribute, whose default there is 1.
    /// noop_with_empty_axes = 1 with no axes (return the input unchanged) is refused by the import
    /// check; 0 with no axes averages every axis, as reduce_mean does.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("ReduceMean")
        {
            MinOpset = 18,
            Inputs = ["x", "@axes"],
            Attributes = [new OnnxAttribute("keepdims", "keepdims") { OnnxDefault = AttributeValue.Of(1L) }],
            CheckedAttributes = ["noop_with_empty_axes"],
            ImportCheck = q => q.Attribute("noop_with_empty_axes")?.Number == 1 && (q.Constant(1)?.Length ?? 0) == 0
                ? "noop_with_empty_axes = 1 with no axes returns the input unchanged, but NetSpec's reduce_mean with no axes averages every axis"
                : null,
        },
        new("ReduceMean")
        {
            MaxOpset = 17,
            Attributes =
            [
                new OnnxAttribute("axes", "axes"),
                new OnnxAttribute("keepdims", "keepdims") { OnnxDefault = AttributeValue.Of(1L) },
            ],
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>x.mean(dim=axes, keepdim=keepdims); x.mean() for every axis.</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Reduction(node, "mean");
}
