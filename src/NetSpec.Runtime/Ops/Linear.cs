using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Linear layer. Per sample z = Wx + b with W out x in; for a batch X (N x in, rows are samples)
/// Z = X W^T + b (N x out).
/// Backward: dJ/dW = dJ/dz x^T, summed over the batch: dZ^T X (out x in);
/// dJ/db = dJ/dz summed over the batch; dJ/dx = W^T dJ/dz, for the batch dZ W (N x in).
/// </summary>
public sealed class Linear : Op
{
    public override string Name => "linear";
    public override string Category => "linear algebra";
    public override string Summary => "A fully connected layer: each sample times the transposed weight, plus the bias.";
    public override string ShapeRule => "x: N x in, W: out x in, b: out (or 1 x out); z: N x out";
    public override string Example => "{op: linear, x: x, W: W, b: b}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 4], [3, 4], [3]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "z = Wx + b";
    public override string GradientFormula => "dJ/dW = dJ/dz x^T; dJ/db = dJ/dz; dJ/dx = W^T dJ/dz";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "rows of samples, N x in"), new("W", "the weight, out x in"), new("b", "the bias, out values")];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n)
    {
        Shape x = s[0], w = s[1], b = s[2];
        if (w.Rank != 2) return ShapeResult.Fail($"weight {n[1]} is {w}, but a weight is a matrix, out x in");
        if (x.Rank != 2) return ShapeResult.Fail($"input {n[0]} is {x}, but linear takes rows of samples (N x {w[1]})");
        if (x[1] != w[1])
            return ShapeResult.Fail($"weight {n[1]} is {w} but its input {n[0]} has {x[1]} feature{(x[1] == 1 ? "" : "s")}");
        if (!(b.Rank == 1 && b[0] == w[0]) && !(b.Rank == 2 && b[0] == 1 && b[1] == w[0]))
            return ShapeResult.Fail($"bias {n[2]} is {b} but weight {n[1]} has {w[0]} output{(w[0] == 1 ? "" : "s")}: the bias needs {w[0]} values");
        return ShapeResult.Ok(new Shape(x[0], w[0]));
    }

    protected override void Forward<T>(OpContext<T> c)
    {
        var x = c.Input(0);
        var w = c.Input(1);
        var b = c.Input(2);
        int n = x.Shape[0], inF = w.Shape[1], outF = w.Shape[0];
        Gemm.Multiply(false, true, n, outF, inF, T.One, x.Data, inF, w.Data, inF, T.Zero, c.Output.Data, outF, c.Gemm);
        Vec.AddRowToEachRow<T>(c.Output.Data, n, outF, b.Data);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        var x = c.Input(0);
        var w = c.Input(1);
        var dz = c.OutputGrad!;
        int n = x.Shape[0], inF = w.Shape[1], outF = w.Shape[0];
        if (c.InputGrad(0) is { } dx)
            Gemm.Multiply(false, false, n, inF, outF, T.One, dz.Data, outF, w.Data, inF, T.One, dx.Data, inF, c.Gemm);
        if (c.InputGrad(1) is { } dw)
            Gemm.Multiply(true, false, outF, inF, n, T.One, dz.Data, outF, x.Data, inF, T.One, dw.Data, inF, c.Gemm);
        if (c.InputGrad(2) is { } db)
            Vec.AccumulateColumnSums<T>(dz.Data, n, outF, db.Data);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Gemm with transB = 1 (W is out x in) and its other attributes at their defaults: Z = X W^T + b.</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Gemm")
        {
            MinOpset = 7,
            Fixed =
            [
                new("transB", AttributeValue.Of(1L)),
                new("transA", AttributeValue.Of(0L)) { IsOnnxDefault = true },
                new("alpha", AttributeValue.Of(1.0)) { IsOnnxDefault = true },
                new("beta", AttributeValue.Of(1.0)) { IsOnnxDefault = true },
            ],
        },
    ];
}
