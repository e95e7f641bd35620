using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Matrix product of two matrices, as ONNX's MatMul on rank 2: Y = A B with A M x K, B K x N.
/// Backward, with G = dJ/dY: dJ/dA = G B^T, dJ/dB = A^T G.
/// </summary>
public sealed class MatMul : Op
{
    public override string Name => "matmul";
    public override string Category => "linear algebra";
    public override string Summary => "The matrix product (ONNX MatMul).";
    public override string ShapeRule => "a: M x K, b: K x N; Y: M x N";
    public override string Example => "{op: matmul, a: A, b: B}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 4], [4, 3]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "Y = A B";
    public override string GradientFormula => "dJ/dA = G B^T; dJ/dB = A^T G";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("a", "M x K") { MinRank = 2, MaxRank = 2 }, new("b", "K x N") { MinRank = 2, MaxRank = 2 }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n)
    {
        if (s[0].Rank != 2 || s[1].Rank != 2) return ShapeResult.Fail($"matmul multiplies two matrices, but {n[0]} is {s[0]} and {n[1]} is {s[1]}");
        if (s[0][1] != s[1][0]) return ShapeResult.Fail($"{n[0]} is {s[0]} but {n[1]} is {s[1]}: inner sizes differ");
        return ShapeResult.Ok(new Shape(s[0][0], s[1][1]));
    }

    protected override void Forward<T>(OpContext<T> c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        Gemm.Multiply(false, false, m, n, k, T.One, a.Data, k, b.Data, n, T.Zero, c.Output.Data, n);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        var g = c.OutputGrad!.Data;
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        if (c.InputGrad(0) is { } da) Gemm.Multiply(false, true, m, k, n, T.One, g, n, b.Data, n, T.One, da.Data, k);
        if (c.InputGrad(1) is { } db) Gemm.Multiply(true, false, k, n, m, T.One, a.Data, k, g, n, T.One, db.Data, n);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX MatMul.</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("MatMul")];
}
