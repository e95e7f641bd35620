using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax cross-entropy per sample, not reduced (ONNX SoftmaxCrossEntropyLoss and
/// torch.nn.CrossEntropyLoss with reduction none), along the class axis (the last by default).
/// For sample p, the line x_p along the class axis, with m = max x_p and s = Σ_j e^(x_pj - m):
/// L_p = Σ_j y_pj ((m - x_pj) + ln s) = -Σ_j y_pj ln softmax(x_p)_j; the output is x's shape without
/// the class axis (a vector of N for N x classes).
/// Backward: dJ/dx_p = g_p (softmax(x_p) Σ_j y_pj - y_p), which is g_p (softmax(x_p) - y_p) for distributions.
/// </summary>
public sealed class SoftmaxCrossEntropyRows : Op
{
    /// <summary>
    /// The forward pass's exponentials e^(x - max) of every row and their sums, which backward
    /// divides into the softmax instead of computing them again (rows along the last axis only).
    /// </summary>
    internal sealed class SoftmaxKept<T>(int length, int rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T[] Exp = new T[length];
        public readonly T[] Sum = new T[rows];

        /// <summary>Each row's largest logit m (the forward pass's, for the loss after the exponentials).</summary>
        public readonly T[] Max = new T[rows];

        /// <summary>Whether a forward pass has filled them (a backward pass on its own computes them).</summary>
        public bool Valid;
    }

    public override bool WritesFirstGradient => true;

    public override string Name => "softmax_cross_entropy_rows";
    public override string Category => "loss";
    public override string Summary => "Softmax cross-entropy of each sample along the class axis, not reduced (ONNX SoftmaxCrossEntropyLoss with reduction none).";
    public override string Formula => "L_p = -Σ_j y_pj ln softmax(x_p)_j, j along the class axis, one value per position p of the other axes";
    public override string GradientFormula => "dJ/dx_p = g_p (softmax(x_p) - y_p), g = dJ/dL";
    public override string ShapeRule => "x and y: the same shape, N x classes by default (classes along axis); L: x's shape without the class axis (N for N x classes, a scalar for a vector)";
    public override string Convention =>
        "torch.nn.CrossEntropyLoss(reduction='none') with probability targets, and ONNX SoftmaxCrossEntropyLoss with reduction " +
        "none, on logits: one loss per sample, shaped as the input without the class axis. " + ClassAxis.Convention;
    public override string Example => "{op: softmax_cross_entropy_rows, x: z, y: y}";

    public override IReadOnlyList<InputSlot> Inputs => ClassAxis.LogitsAndTargets;

    public override IReadOnlyList<AttributeSpec> Attributes { get; } = [ClassAxis.Attribute];

    public override int DistributionAxis(AttributeValues attributes, int rank) => ClassAxis.Of(attributes, rank) ?? rank - 1;

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4], [batch, 4]]),
        new("rank 3, classes on axis 1", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "1")] },
        new("rank 3, classes last", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "-1")] },
        new("one sample (a vector)", [[4], [4]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q) =>
        ClassAxis.Check(q, "logits") is { } error ? ShapeResult.Fail(error)
        : ShapeResult.Ok(Axes.Reduce(q[0], [ClassAxis.Of(q.Attributes, q[0].Rank)!.Value], keep: false));

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        SoftmaxCrossEntropy.ExplainLoss(e, -100, 0, LossReduction.None, backward: false);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        SoftmaxCrossEntropy.ExplainLoss(e, -100, 0, LossReduction.None, backward: true);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (_, cols, _) = ClassAxis.Split(c);
        Losses(c, c.Output.Span, c.Scratch(3 * cols));
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var (_, cols, _) = ClassAxis.Split(c);
        AddGradient(c, dx, T.Zero, c.OutputGrad!.Span, c.Scratch(4 * cols));
    }

    /// <summary>
    /// Each sample's loss -Σ_j y_j ln softmax(x)_j along the class axis, in sample order, into
    /// <paramref name="losses"/> (one per sample); <paramref name="work"/> holds 3 x classes.
    /// Shared with <see cref="SoftmaxCrossEntropy"/>, which averages them.
    /// </summary>
    internal static void Losses<T>(OpContext<T> c, Span<T> losses, Span<T> work) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Data;
        var y = c.Input(1).Data;
        var (rows, cols, inner) = ClassAxis.Split(c);
        Span<T> xs = work[..cols], ys = work.Slice(cols, cols), e = work.Slice(2 * cols, cols);
        if (inner == 1)
        {
            // The exponentials and their sums are kept for backward (the same values it would compute again).
            var kept = c.State(static c => new SoftmaxKept<T>(c.Input(0).Length, ClassAxis.Split(c).Outer));
            if (c.FusedPasses && Vec.RowExpSameAsWhole<T>(cols))
                Vec.SoftmaxCrossEntropyRowsKept<T>(x.AsSpan(0, rows * cols), y.AsSpan(0, rows * cols), rows, cols, kept.Exp, kept.Sum, kept.Max, losses);
            else
                for (int r = 0; r < rows; r++)
                    losses[r] = Vec.SoftmaxCrossEntropyRowKept<T>(x.AsSpan(r * cols, cols), y.AsSpan(r * cols, cols), kept.Exp.AsSpan(r * cols, cols), out kept.Sum[r]);
            kept.Valid = true;
            return;
        }
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * cols * inner + i;
                Vec.Gather<T>(x, start, inner, xs);
                Vec.Gather<T>(y, start, inner, ys);
                losses[o * inner + i] = Vec.SoftmaxCrossEntropyRow<T>(xs, ys, e);
            }
    }

    /// <summary>
    /// dx += g_p (softmax(x_p) - y_p) for every sample p along the class axis, with g_p =
    /// <paramref name="perSample"/>[p], or <paramref name="scale"/> for every sample when it is
    /// empty; <paramref name="work"/> holds 4 x classes.
    /// </summary>
    internal static void AddGradient<T>(OpContext<T> c, Tensor<T> dx, T scale, ReadOnlySpan<T> perSample, Span<T> work)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Data;
        var y = c.Input(1).Data;
        var (rows, cols, inner) = ClassAxis.Split(c);
        Span<T> xs = work[..cols], ys = work.Slice(cols, cols), p = work.Slice(2 * cols, cols), ds = work.Slice(3 * cols, cols);
        bool each = !perSample.IsEmpty;
        if (inner == 1)
        {
            bool overwrite = c.Overwrites(0);
            var kept = c.State(static c => new SoftmaxKept<T>(c.Input(0).Length, ClassAxis.Split(c).Outer));
            for (int r = 0; r < rows; r++)
            {
                var xr = x.AsSpan(r * cols, cols);
                var yr = y.AsSpan(r * cols, cols);
                var dr = dx.Span.Slice(r * cols, cols);
                T g = each ? perSample[r] : scale;
                if (kept.Valid) Vec.SoftmaxCrossEntropyRowBackwardKept<T>(kept.Exp.AsSpan(r * cols, cols), kept.Sum[r], yr, g, dr, overwrite);
                else Vec.SoftmaxCrossEntropyRowBackward<T>(xr, yr, g, p, dr, overwrite);
            }
            return;
        }
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * cols * inner + i;
                Vec.Gather<T>(x, start, inner, xs);
                Vec.Gather<T>(y, start, inner, ys);
                if (c.Overwrites(0)) ds.Clear();
                else Vec.Gather<T>(dx.Data, start, inner, ds);
                Vec.SoftmaxCrossEntropyRowBackward<T>(xs, ys, each ? perSample[o * inner + i] : scale, p, ds);
                Vec.Scatter<T>(ds, dx.Data, start, inner);
            }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// Exported as a chain on target distributions: LogSoftmax, Mul by the targets, ReduceSum along
    /// the last axis, Neg. ONNX SoftmaxCrossEntropyLoss with reduction none imports as
    /// softmax_cross_entropy with reduction none (class-index labels, weights, ignore_index).
    /// </summary>
    public override bool WritesOwnOnnx => true;

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

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.cross_entropy(x, y, reduction='none') with probability targets, the class axis moved to torch's axis 1.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        return TorchForm.Of(SoftmaxCrossEntropy.TorchCrossEntropy(node, ClassAxis.Of(node.Attributes, x.Rank)!.Value, -100, 0, LossReduction.None));
    }
}
