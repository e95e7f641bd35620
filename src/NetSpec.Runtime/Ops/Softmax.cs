using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax of each row, max-subtracted for stability: o_i = e^(v_i - max v) / Σ_j e^(v_j - max v).
/// Backward: dJ/dv = o ⊙ (dJ/do - (dJ/do · o)), row by row.
/// </summary>
public sealed class Softmax : Op
{
    public override string Name => "softmax";
    public override string Category => "activation";
    public override string Summary => "Softmax of each row: non-negative values summing to 1.";
    public override string ShapeRule => "x: N x classes; o: the same";
    public override string Example => "{op: softmax, x: o}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 4]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "o_i = e^(v_i - max v) / Σ_j e^(v_j - max v)";
    public override string GradientFormula => "dJ/dv = o ⊙ (dJ/do - dJ/do · o)";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "rows of scores, N x classes") { MinRank = 2, MaxRank = 2 }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) =>
        s[0].Rank == 2 ? ShapeResult.Ok(s[0]) : ShapeResult.Fail($"input {n[0]} is {s[0]}, but softmax takes rows of samples (N x classes)");

    protected override void Forward<T>(OpContext<T> c)
    {
        var x = c.Input(0);
        Vec.SoftmaxRows<T>(x.Data, x.Shape.Rows, x.Shape.Cols, c.Output.Data);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        var o = c.Output.Data;
        var g = c.OutputGrad!.Data;
        int rows = c.Output.Shape.Rows, cols = c.Output.Shape.Cols;
        for (int r = 0; r < rows; r++)
        {
            int off = r * cols;
            T dot = T.Zero;
            for (int j = 0; j < cols; j++) dot += g[off + j] * o[off + j];
            for (int j = 0; j < cols; j++) dx[off + j] += o[off + j] * (g[off + j] - dot);
        }
    }
}
