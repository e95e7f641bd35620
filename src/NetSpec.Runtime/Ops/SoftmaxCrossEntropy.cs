using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax and cross-entropy fused, on logits x with target distributions y, averaged over the
/// batch. Per row with m = max x and s = Σ_j e^(x_j - m):
/// L_n = Σ_j y_j ((m - x_j) + ln s), which is -Σ_j y_j ln softmax(x)_j computed without
/// cancellation, exact for large logits such as [1000, 0]. L = (1/N) Σ_n L_n.
/// Backward: dJ/dx = dJ/dL · (softmax(x) Σ_j y_j - y) / N, which is (o - y)/N for distributions.
/// </summary>
public sealed class SoftmaxCrossEntropy : Op
{
    public override string Name => "softmax_cross_entropy";
    public override string Category => "loss";
    public override string Summary => "Softmax and cross-entropy in one stable step, averaged over the batch.";
    public override string ShapeRule => "x and y: N x classes; L: scalar";
    public override string Example => "{op: softmax_cross_entropy, x: o, y: y}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 4], [batch, 4]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "L = -(1/N) Σ_n Σ_j y_nj ln softmax(x_n)_j";
    public override string GradientFormula => "dJ/dx = dJ/dL · (softmax(x) - y) / N";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "logits, N x classes") { MinRank = 2, MaxRank = 2 }, new("y", "target distributions, N x classes (no gradient)") { Differentiable = false, Domain = ValueDomain.Distribution }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) =>
        s[0].Rank != 2 ? ShapeResult.Fail($"logits {n[0]} are {s[0]}, but softmax_cross_entropy takes rows of logits (N x classes)")
        : s[0].Equals(s[1]) ? ShapeResult.Ok(Shape.Scalar)
        : ShapeResult.Fail($"logits {n[0]} are {s[0]} but target {n[1]} is {s[1]}");

    protected override void Forward<T>(OpContext<T> c)
    {
        var x = c.Input(0);
        var y = c.Input(1).Data;
        int rows = x.Shape.Rows, cols = x.Shape.Cols;
        var e = c.Scratch(cols);
        T total = T.Zero;
        for (int r = 0; r < rows; r++)
            total += Vec.SoftmaxCrossEntropyRow<T>(x.Span.Slice(r * cols, cols), y.AsSpan(r * cols, cols), e);
        c.Output[0] = total / T.CreateChecked(rows);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        var x = c.Input(0);
        var y = c.Input(1).Data;
        int rows = x.Shape.Rows, cols = x.Shape.Cols;
        var p = c.Scratch(cols);
        T scale = c.OutputGrad![0] / T.CreateChecked(rows);
        for (int r = 0; r < rows; r++)
            Vec.SoftmaxCrossEntropyRowBackward<T>(x.Span.Slice(r * cols, cols), y.AsSpan(r * cols, cols), scale, p, dx.Span.Slice(r * cols, cols));
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// Exported as a chain on target distributions: LogSoftmax, Mul by the targets, ReduceSum, Mul
    /// by -1/N. Imported from SoftmaxCrossEntropyLoss with reduction mean, its int64 class labels
    /// written as one-hot rows.
    /// </summary>
    public override bool WritesOwnOnnx => true;

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("SoftmaxCrossEntropyLoss")
        {
            MinOpset = 12,
            ImportOnly = true,
            OneHotInputs = ["y"],
            Fixed = [new("reduction", AttributeValue.Of("mean")) { IsOnnxDefault = true }],
            Note = "N x C scores with N int64 class labels, written as one-hot rows; no class weights, ignore_index or log_prob output",
        },
    ];

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // L = -(1/N) Σ y log_softmax(x)
        string n = node.Name;
        writer.Node("LogSoftmax", $"{n}/log_softmax", [node.Inputs[0]], $"{n}/log_softmax", ("axis", -1L));
        writer.Node("Mul", $"{n}/weighted", [node.Inputs[1], $"{n}/log_softmax"], $"{n}/weighted");
        writer.Node("ReduceSum", $"{n}/sum", [$"{n}/weighted"], $"{n}/sum", ("keepdims", 0L));
        writer.Node("Mul", $"{n}/scaled", [$"{n}/sum", writer.Scalar($"{n}/scale", -1.0 / node.InputShapes[0].Rows)], n);
    }
}
