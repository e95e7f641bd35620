using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax cross-entropy per sample, not averaged (ONNX SoftmaxCrossEntropyLoss with
/// reduction none): for row n with m = max x_n and s = Σ_j e^(x_nj - m),
/// L_n = Σ_j y_nj ((m - x_nj) + ln s) = -Σ_j y_nj ln softmax(x_n)_j; the output is the vector L (N).
/// Backward: dJ/dx_n = g_n (softmax(x_n) Σ_j y_nj - y_n), which is g_n (softmax(x_n) - y_n) for distributions.
/// </summary>
public sealed class SoftmaxCrossEntropyRows : Op
{
    public override string Name => "softmax_cross_entropy_rows";
    public override string Category => "loss";
    public override string Summary => "Softmax cross-entropy of each row, not reduced (ONNX SoftmaxCrossEntropyLoss with reduction none).";
    public override string ShapeRule => "x and y: N x classes; L: N";
    public override string Example => "{op: softmax_cross_entropy_rows, x: o, y: y}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 4], [batch, 4]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "L_n = -Σ_j y_nj ln softmax(x_n)_j";
    public override string GradientFormula => "dJ/dx_n = g_n (softmax(x_n) - y_n)";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "logits, N x classes") { MinRank = 2, MaxRank = 2 }, new("y", "target distributions, N x classes (no gradient)") { Differentiable = false, Domain = ValueDomain.Distribution }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) =>
        s[0].Rank != 2 ? ShapeResult.Fail($"logits {n[0]} are {s[0]}, but softmax_cross_entropy_rows takes rows of logits (N x classes)")
        : s[0].Equals(s[1]) ? ShapeResult.Ok(new Shape(s[0][0]))
        : ShapeResult.Fail($"logits {n[0]} are {s[0]} but target {n[1]} is {s[1]}");

    protected override void Forward<T>(OpContext<T> c)
    {
        var x = c.Input(0);
        var y = c.Input(1).Data;
        int rows = x.Shape.Rows, cols = x.Shape.Cols;
        var e = c.Scratch(cols);
        for (int r = 0; r < rows; r++)
            c.Output[r] = Vec.SoftmaxCrossEntropyRow<T>(x.Span.Slice(r * cols, cols), y.AsSpan(r * cols, cols), e);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        var x = c.Input(0);
        var y = c.Input(1).Data;
        int rows = x.Shape.Rows, cols = x.Shape.Cols;
        var p = c.Scratch(cols);
        for (int r = 0; r < rows; r++)
            Vec.SoftmaxCrossEntropyRowBackward<T>(x.Span.Slice(r * cols, cols), y.AsSpan(r * cols, cols), c.OutputGrad![r], p, dx.Span.Slice(r * cols, cols));
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// Exported as a chain on target distributions: LogSoftmax, Mul by the targets, ReduceSum along
    /// the last axis, Neg. Imported from SoftmaxCrossEntropyLoss with reduction none, and with
    /// reduction sum followed by reduce_sum; the int64 class labels are written as one-hot rows.
    /// </summary>
    public override bool WritesOwnOnnx => true;

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("SoftmaxCrossEntropyLoss")
        {
            MinOpset = 12,
            ImportOnly = true,
            OneHotInputs = ["y"],
            Fixed = [new("reduction", AttributeValue.Of("none"))],
            Note = "N x C scores with N int64 class labels, written as one-hot rows; no class weights, ignore_index or log_prob output",
        },
        new("SoftmaxCrossEntropyLoss")
        {
            MinOpset = 12,
            ImportOnly = true,
            OneHotInputs = ["y"],
            Fixed = [new("reduction", AttributeValue.Of("sum"))],
            Then = "reduce_sum",
            Note = "N x C scores with N int64 class labels, written as one-hot rows; no class weights, ignore_index or log_prob output",
        },
    ];

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // L_n = -Σ_j y_nj log_softmax(x_n)_j
        string n = node.Name;
        string axes = writer.Int64s($"{n}/axes", -1);
        writer.Node("LogSoftmax", $"{n}/log_softmax", [node.Inputs[0]], $"{n}/log_softmax", ("axis", -1L));
        writer.Node("Mul", $"{n}/weighted", [node.Inputs[1], $"{n}/log_softmax"], $"{n}/weighted");
        writer.Node("ReduceSum", $"{n}/row_sums", [$"{n}/weighted", axes], $"{n}/row_sums", ("keepdims", 0L));
        writer.Node("Neg", $"{n}/neg", [$"{n}/row_sums"], n);
    }
}
