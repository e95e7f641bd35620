using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum of every element: s = Σ_i x_i (a scalar; ONNX ReduceSum over all axes, keepdims 0).
/// Backward: dJ/dx_i = dJ/ds for every element.
/// </summary>
public sealed class ReduceSum : Op
{
    public override string Name => "reduce_sum";
    public override string Formula => "s = Σ_i x_i";
    public override string GradientFormula => "dJ/dx_i = dJ/ds";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x")];

    public override ShapeResult InferShape(IReadOnlyList<Shape> s, IReadOnlyList<string> n) => ShapeResult.Ok(Shape.Scalar);

    public override void Forward<T>(OpContext<T> c) => c.Output[0] = TensorPrimitives.Sum<T>(c.Input(0).Span);

    public override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        T g = c.OutputGrad![0];
        for (int i = 0; i < dx.Length; i++) dx[i] += g;
    }
}
