using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum of every element, any rank: s = Σ_i x_i (a scalar; ONNX ReduceSum over all axes, keepdims 0).
/// Backward: dJ/dx_i += dJ/ds for every element.
/// </summary>
public sealed class ReduceSum : Op
{
    public override string Name => "reduce_sum";
    public override string Category => "reduction";
    public override string Summary => "The sum of every element of a tensor, a scalar.";
    public override string Formula => "s = Σ_i x_i";
    public override string GradientFormula => "dJ/dx_i = dJ/ds for every element i";
    public override string ShapeRule => "x: any shape (rank 0 to 8); s: a scalar";
    public override string Convention =>
        "ONNX ReduceSum over all axes with keepdims = 0 (PyTorch's x.sum()): the result is a scalar whatever the rank of x.";
    public override string Example => "{op: reduce_sum, x: L}";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 3]]),
        new("vector", [[5]]),
        new("scalar", [[]]),
        new("rank 3", [[batch, 2, 3]]),
        new("rank 4", [[batch, 3, 1, 2]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(Shape.Scalar);

    protected override void Forward<T>(OpContext<T> c) => c.Output[0] = TensorPrimitives.Sum<T>(c.Input(0).Span);

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        T g = c.OutputGrad![0];
        TensorPrimitives.Add(dx.Span, g, dx.Span);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX ReduceSum over every axis with keepdims = 0: from opset 13 the axes are a constant
    /// input (left out, or empty, or every axis), before 13 an attribute. Sums along some axes,
    /// keepdims = 1 and noop_with_empty_axes = 1 do not fit reduce_sum, which sums every element
    /// to a scalar; the import check says so.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("ReduceSum")
        {
            MinOpset = 13,
            Inputs = ["x", "@axes"],
            Fixed = [new("keepdims", AttributeValue.Of(0L))],
            CheckedAttributes = ["noop_with_empty_axes"],
            ImportCheck = q => AllAxes(q, q.InputShapes.Count > 1 && q.InputShapes[1] is not null, q.Constant(1)),
        },
        new("ReduceSum")
        {
            MaxOpset = 12,
            Fixed = [new("keepdims", AttributeValue.Of(0L))],
            CheckedAttributes = ["axes"],
            ImportCheck = q => AllAxes(q, q.Attribute("axes") is not null, q.Attribute("axes") is { } a ? [.. a.Integers] : null),
        },
    ];

    /// <summary>Null when the ONNX node sums every axis: no axes, an empty list (without noop_with_empty_axes), or all of them.</summary>
    private static string? AllAxes(OnnxImportQuery q, bool given, long[]? axes)
    {
        int rank = q.InputShapes[0]?.Length ?? 0;
        if (given && axes is null) return "its axes are not a constant int64 tensor (an initializer, a Constant node, or a graph input with test data)";
        if (axes is null || axes.Length == 0)
            return q.Attribute("noop_with_empty_axes")?.Number == 1
                ? "noop_with_empty_axes = 1 with no axes returns the input unchanged, but NetSpec's reduce_sum sums every element"
                : null;
        var set = axes.Select(a => OnnxImportQuery.Normalize(a, rank)).ToHashSet();
        return set.SetEquals(Enumerable.Range(0, rank).Select(i => (long)i)) ? null
            : $"it sums along axes [{string.Join(", ", axes)}] of a rank {rank} tensor, but NetSpec's reduce_sum sums every element to a scalar";
    }
}
