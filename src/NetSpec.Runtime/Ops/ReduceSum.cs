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
}
