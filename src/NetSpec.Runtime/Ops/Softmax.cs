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

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX Softmax: from opset 13 along one axis (default -1), which is softmax's axis; before 13 it
    /// flattened the input to 2-D at axis (default 1), which is a softmax along the last axis only
    /// when axis is the last one.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Softmax") { MinOpset = 13, Attributes = [new OnnxAttribute("axis", "axis") { OnnxDefault = AttributeValue.Of(-1L) }] },
        new("Softmax")
        {
            MaxOpset = 12,
            ImportOnly = true,
            CheckedAttributes = ["axis"],
            Note = "before opset 13 only along the last axis",
            ImportCheck = q =>
            {
                int rank = q.InputShapes[0]?.Length ?? 0;
                long axis = (long)(q.Attribute("axis")?.Number ?? 1);
                return OnnxImportQuery.Normalize(axis, rank) == rank - 1 ? null
                    : $"before opset 13 ONNX's Softmax flattens its rank {rank} input to 2-D at axis {axis}, which is not a softmax along one axis of NetSpec's";
            },
        },
    ];
}
