using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax along one axis (the last by default), max-subtracted for stability: for each line v
/// along the axis, o_i = e^(v_i - max v) / Σ_j e^(v_j - max v).
/// Backward: dJ/dv = o ⊙ (dJ/do - (dJ/do · o)), line by line along the axis.
/// The last axis is contiguous rows (<see cref="Vec.SoftmaxRows{T}"/>); another axis splits the
/// tensor as Outer x Size x Inner (<see cref="Axes.Split"/>) and runs vectorised across the Inner
/// positions (<see cref="Vec.SoftmaxAxis{T}"/>).
/// </summary>
public sealed class Softmax : Op
{
    public override string Name => "softmax";
    public override string Category => "activation";
    public override string Summary => "Softmax along an axis (the last by default): non-negative values summing to 1 along it.";
    public override string Formula => "o_i = e^(v_i - max v) / Σ_j e^(v_j - max v), for each line v along the axis";
    public override string GradientFormula => "dJ/dv = o ⊙ (dJ/do - dJ/do · o), for each line along the axis";
    public override string ShapeRule => "x: any shape of rank 1 or more (N x classes by default); o: the same";
    public override string Convention =>
        "torch.softmax(x, dim) and ONNX Softmax (opset 13) axis semantics: axis counts from 0, a negative axis from the end " +
        "(-1, the default, is the last). The default suits rows of samples (N x classes); for N x C x H x W scores over " +
        "the channels write axis: 1. ONNX opsets before 13 flattened the axes from axis on instead.";
    public override string Example => "{op: softmax, x: z}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "scores: N x classes, or any shape with the classes along axis") { MinRank = 1 }];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integer("axis", "the axis the values sum to 1 along; negative counts from the end (-1: the last)", -1, -Shape.MaxRank, Shape.MaxRank - 1) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4]]),
        new("rank 3, axis 1", [[batch, 3, 4]]) { Attributes = [("axis", "1")] },
        new("rank 3, last axis", [[batch, 3, 4]]),
        new("rank 4, axis -3", [[batch, 3, 2, 2]]) { Attributes = [("axis", "-3")] },
        new("a vector", [[5]]),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 5 per element forward (the line's maximum, subtract, exp, sum, divide); backward 5 (the dot product dJ/do · o counts 2, subtract, multiply, accumulate).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes) => new(5.0 * output.Length, [5.0 * output.Length]);

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        int axis = q.Attributes.Integer(0);
        return Axes.Normalize(axis, q[0].Rank) is null
            ? ShapeResult.Fail($"input {q.Name(0)} is {q[0]}: {Axes.OutOfRange(axis, q[0].Rank)}")
            : ShapeResult.Ok(q[0]);
    }

    private static (int Outer, int Size, int Inner) Split<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var s = c.Input(0).Shape;
        return Axes.Split(s, Axes.Normalize(c.Attributes.Integer(0), s.Rank)!.Value);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0);
        var (outer, size, inner) = Split(c);
        if (inner == 1) Vec.SoftmaxRows<T>(x.Data, outer, size, c.Output.Data);
        else Vec.SoftmaxAxis<T>(x.Data, outer, size, inner, c.Output.Data, c.Scratch(2 * inner));
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var o = c.Output.Data;
        var g = c.OutputGrad!.Data;
        var (rows, cols, inner) = Split(c);
        if (inner != 1)
        {
            Vec.SoftmaxAxisBackward<T>(o, g, rows, cols, inner, dx.Span, c.Scratch(2 * inner));
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            int off = r * cols;
            T dot = T.Zero;
            for (int j = 0; j < cols; j++) dot += g[off + j] * o[off + j];
            for (int j = 0; j < cols; j++) dx[off + j] += o[off + j] * (g[off + j] - dot);
        }
    }

    // Explanation: o_1 = e^(10 - 10) / (e^(10 - 10) + e^(5 - 10)) = 1 / (1 + e^-5) = 0.9933071.

    /// <summary>The lines along the axis within one sample: (first element, stride, length) of each.</summary>
    private static List<(int Start, int Stride, int Length)> ExplainLines(Explain.ExplainTensor x, int axis)
    {
        var shape = x.LocalShape;
        int local = x.Batched ? axis - 1 : axis;
        var lines = new List<(int, int, int)>();
        if (local < 0)
        {
            // The axis is the batch itself: one sample alone cannot show it; every line is written whole.
            return lines;
        }
        var (outer, size, inner) = Axes.Split(shape, local);
        for (int a = 0; a < outer; a++)
            for (int b = 0; b < inner; b++)
                lines.Add((a * size * inner + b, inner, size));
        return lines;
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (x, o) = (e.Input(0), e.Output);
        int axis = Axes.Normalize(e.Attributes.Integer(0), x.Shape.Rank)!.Value;
        var lines = ExplainLines(x, axis);
        if (lines.Count == 0)
        {
            base.ExplainForward(e);
            return;
        }
        e.ForEachSample(() =>
        {
            int written = 0;
            foreach (var (start, stride, length) in lines)
            {
                int[] idx = [.. Enumerable.Range(0, length).Select(j => start + j * stride)];
                double max = idx.Max(x.AtFlat);
                bool terms = length <= e.Options.MaxEntries;
                Explain.MathExpr Symbolic(int j) => Explain.M.Exp(x.NumFlat(j) - e.N(max));
                Explain.MathExpr Shifted(int j) => x.AtFlat(j) - max == 0 ? Explain.M.Num(1) : Explain.M.Exp(e.N(x.AtFlat(j) - max));
                double sum = idx.Sum(j => Math.Exp(x.AtFlat(j) - max));
                foreach (int j in idx)
                {
                    if (written++ >= e.Options.MaxEntries) break;
                    if (terms)
                        e.Entry(o, j, Symbolic(j) / Explain.M.Sum(idx.Select(Symbolic)), Shifted(j) / Explain.M.Sum(idx.Select(Shifted)));
                    else
                        e.Entry(o, j, Shifted(j) / e.N(sum));
                }
            }
            if (written > e.Options.MaxEntries) e.Note($"the first {e.Options.MaxEntries} entries of {o.Name} are written out (--explain-entries N for more)");
        });
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Contribution(0) is not { } dx) return;
        var (x, o, dO) = (e.Input(0), e.Output, e.OutputGrad!);
        int axis = Axes.Normalize(e.Attributes.Integer(0), x.Shape.Rank)!.Value;
        var lines = ExplainLines(x, axis);
        if (lines.Count == 0)
        {
            base.ExplainBackward(e);
            return;
        }
        e.Formula(dx.WholeSym, Explain.M.Hadamard(o.WholeSym, Explain.M.Group(dO.WholeSym - Explain.M.Dot(dO.WholeSym, o.WholeSym))));
        e.ForEachSample(() =>
        {
            int written = 0;
            foreach (var (start, stride, length) in lines)
            {
                int[] idx = [.. Enumerable.Range(0, length).Select(j => start + j * stride)];
                double dot = idx.Sum(j => dO.AtFlat(j) * o.AtFlat(j));
                Explain.MathExpr dotText = length <= e.Options.MaxEntries
                    ? Explain.M.Sum(idx.Select(j => (Explain.MathExpr)Explain.M.Product(dO.NumFlat(j), o.NumFlat(j))))
                    : e.N(dot);
                foreach (int j in idx)
                {
                    if (written++ >= e.Options.MaxEntries) break;
                    e.Entry(dx, j, Explain.M.Product(o.NumFlat(j), Explain.M.Group(dO.NumFlat(j) - Explain.M.Group(dotText))),
                        Explain.M.Product(o.NumFlat(j), e.N(dO.AtFlat(j) - dot)));
                }
            }
        });
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

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.softmax(x, dim=axis).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"torch.softmax({node[0]}, dim={node.Attributes.Integer(0)})");
    }
}
