using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum of every element: s = Σ_i x_i (a scalar; ONNX ReduceSum over all axes, keepdims 0).
/// Backward: dJ/dx_i = dJ/ds for every element.
/// </summary>
public sealed class ReduceSum : Op
{
    public override string Name => "reduce_sum";
    public override string Category => "reduction";
    public override string Summary => "The sum of every element.";
    public override string ShapeRule => "x: any; s: scalar";
    public override string Example => "{op: reduce_sum, x: L}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 3]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "s = Σ_i x_i";
    public override string GradientFormula => "dJ/dx_i = dJ/ds";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor")];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) => ShapeResult.Ok(Shape.Scalar);

    protected override void Forward<T>(OpContext<T> c) => c.Output[0] = TensorPrimitives.Sum<T>(c.Input(0).Span);

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        T g = c.OutputGrad![0];
        for (int i = 0; i < dx.Length; i++) dx[i] += g;
    }
}
