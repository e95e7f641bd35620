using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// L2 regularization of one or more weights: S = lambda/2 * sum_k ||W_k||_F^2.
/// Backward: dJ/dW_k = dJ/dS * lambda W_k. Not averaged over the batch.
/// </summary>
public sealed class L2Regularization : Op
{
    public override string Name => "l2_regularization";
    public override string Formula => "S = λ/2 Σ_k ||W_k||_F²";
    public override string GradientFormula => "dJ/dW_k = dJ/dS · λ W_k";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("weights", IsList: true)];
    public override IReadOnlyList<AttributeSpec> Attributes { get; } = [new("lambda", NonNegative: true)];

    public override ShapeResult InferShape(IReadOnlyList<Shape> s, IReadOnlyList<string> n) => ShapeResult.Ok(Shape.Scalar);

    public override void Forward<T>(OpContext<T> c)
    {
        T sum = T.Zero;
        for (int i = 0; i < c.InputCount; i++) sum += Vec.SumOfSquares<T>(c.Input(i).Data);
        c.Output[0] = c.Attribute(0) / T.CreateChecked(2) * sum;
    }

    public override void Backward<T>(OpContext<T> c)
    {
        T scale = c.OutputGrad![0] * c.Attribute(0);
        for (int i = 0; i < c.InputCount; i++)
            if (c.InputGrad(i) is { } dw) Vec.Axpy<T>(scale, c.Input(i).Data, dw.Data);
    }
}
