using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax and cross-entropy fused, on logits x with target distributions y along the class axis
/// (the last by default), averaged over the P samples (every position but the class axis; P = N
/// for N x classes). Per sample, the line x along the class axis, with m = max x and
/// s = Σ_j e^(x_j - m): L_p = Σ_j y_j ((m - x_j) + ln s), which is -Σ_j y_j ln softmax(x)_j
/// computed without cancellation, exact for large logits such as [1000, 0]. L = (1/P) Σ_p L_p.
/// Backward: dJ/dx = dJ/dL · (softmax(x) Σ_j y_j - y) / P, which is (o - y)/P for distributions.
/// The last axis runs the contiguous row kernel (<see cref="Vec.SoftmaxCrossEntropyRow{T}"/>); another
/// class axis gathers each sample's line into a row first.
/// </summary>
public sealed class SoftmaxCrossEntropy : Op
{
    public override string Name => "softmax_cross_entropy";
    public override string Category => "loss";
    public override string Summary => "Softmax and cross-entropy in one stable step along the class axis, averaged over the samples.";
    public override string Formula => "L = -(1/P) Σ_p Σ_j y_pj ln softmax(x_p)_j, j along the class axis, p over the P samples (every other position; P = N for N x classes)";
    public override string GradientFormula => "dJ/dx = dJ/dL · (softmax(x) - y) / P (softmax along the class axis)";
    public override string ShapeRule => "x and y: the same shape, N x classes by default (classes along axis, every other position a sample); L: scalar";
    public override string Convention =>
        "torch.nn.CrossEntropyLoss (reduction mean) with probability targets, and ONNX SoftmaxCrossEntropyLoss with " +
        "reduction mean, on logits. " + ClassAxis.Convention;
    public override string Example => "{op: softmax_cross_entropy, x: z, y: y}";

    public override IReadOnlyList<InputSlot> Inputs => ClassAxis.LogitsAndTargets;

    public override IReadOnlyList<AttributeSpec> Attributes { get; } = [ClassAxis.Attribute];

    public override int DistributionAxis(AttributeValues attributes, int rank) => ClassAxis.Of(attributes, rank) ?? rank - 1;

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4], [batch, 4]]),
        new("rank 3, classes on axis 1", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "1")] },
        new("rank 3, classes last", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "-1")] },
        new("rank 4, classes on axis 1", [[batch, 3, 2, 2], [batch, 3, 2, 2]]) { Attributes = [("axis", "1")] },
        new("one sample (a vector)", [[4], [4]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) =>
        ClassAxis.Check(q, "logits") is { } error ? ShapeResult.Fail(error) : ShapeResult.Ok(Shape.Scalar);

    // The per-sample losses and their gradient are softmax_cross_entropy_rows' (the same row
    // kernels); this op averages them over the P samples.
    protected override void Forward<T>(OpContext<T> c)
    {
        var (rows, cols, inner) = ClassAxis.Split(c);
        int n = rows * inner;
        var s = c.Scratch(n + 3 * cols);
        SoftmaxCrossEntropyRows.Losses(c, s[..n], s[n..]);
        T total = T.Zero;
        foreach (var l in s[..n]) total += l;
        c.Output[0] = total / T.CreateChecked(n);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dx) return;
        var (rows, cols, inner) = ClassAxis.Split(c);
        T scale = c.OutputGrad![0] / T.CreateChecked(rows * inner);
        SoftmaxCrossEntropyRows.AddGradient(c, dx, scale, [], c.Scratch(4 * cols));
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// Exported as a chain on target distributions: LogSoftmax, Mul by the targets, ReduceSum over the
    /// last axis, ReduceMean, Mul by -1 (no batch size in the model). Imported from
    /// SoftmaxCrossEntropyLoss with reduction mean, its int64 class labels written as one-hot rows.
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
        OnnxChains.ScaledMeanOfRowSums(writer, n, $"{n}/weighted", node.InputShapes[0], -1, n);
    }
}
