namespace NetSpec.Runtime.Ops;

/// <summary>
/// The logarithm of softmax along one axis (the last by default), computed stably: for each line
/// v along the axis, with m = max v, o_i = (v_i - m) - ln Σ_j e^(v_j - m), exact where softmax
/// rounds to 0 (ln softmax([1000, 0]) is [0, -1000]). Backward: dJ/dv = dJ/do - e^o Σ_j dJ/do_j,
/// line by line along the axis (e^o is the softmax).
/// </summary>
public sealed class LogSoftmax : Op
{
    public override string Name => "log_softmax";
    public override string Category => "activation";
    public override string Summary => "Log-softmax along an axis (the last by default): log-probabilities, computed without overflow.";
    public override string Formula => "o_i = (v_i - max v) - ln Σ_j e^(v_j - max v), for each line v along the axis";
    public override string GradientFormula => "dJ/dv = dJ/do - softmax(v) Σ_j dJ/do_j, for each line along the axis (softmax(v) = e^o)";
    public override string ShapeRule => "x: any shape of rank 1 or more (N x classes by default); o: the same";
    public override string Convention =>
        "torch.log_softmax(x, dim) and ONNX LogSoftmax (opset 13): axis counts from 0, a negative axis from the end. torch " +
        "needs dim written out (its implicit choice is deprecated); NetSpec's default is ONNX's since opset 13, -1 (the last " +
        "axis, rows of samples N x classes); for PyTorch's N x C x d1 x ... layout write axis: 1. ONNX opsets before 13 " +
        "flattened the axes from axis on instead (imported only when axis is the last). Its output feeds nll_loss: " +
        "log_softmax then nll_loss is softmax_cross_entropy with class-index labels, as in PyTorch.";
    public override string Example => "{op: log_softmax, x: z}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "scores: N x classes, or any shape with the classes along axis") { MinRank = 1 }];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integer("axis", "the axis the probabilities are normalized along; negative counts from the end (-1: the last)", -1, -Shape.MaxRank, Shape.MaxRank - 1) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4]]),
        new("rank 3, axis 1", [[batch, 3, 4]]) { Attributes = [("axis", "1")] },
        new("rank 3, last axis", [[batch, 3, 4]]),
        new("rank 4, axis -3", [[batch, 3, 2, 2]]) { Attributes = [("axis", "-3")] },
        new("rank 4, axis 0", [[batch, 2, 1, 3]]) { Attributes = [("axis", "0")] },
        new("a vector", [[5]]),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 5 per element forward (maximum, subtract, exp, sum, subtract the log); backward 5 (exp, the line's sum of dJ/do, multiply, subtract, accumulate).</summary>
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

    /// <summary>o_j = (v_j - m) - log(e^(v_1 - m) + ... + e^(v_C - m)) for each entry, m the line's largest value.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), o = e.Output;
        int axis = Axes.Normalize(e.Attributes.Integer(0), x.Shape.Rank)!.Value;
        e.Note(Formula);
        OpExplain.Each(e, o, () =>
        {
            foreach (int k in e.Entries(o))
            {
                int f = OpExplain.Flat(o.Shape, OpExplain.Full(e, o, k));
                var (p, j) = OpExplain.PositionOf(x.Shape, axis, f);
                var line = OpExplain.Line(x.Shape, axis, p);
                double m = OpExplain.Max(x, line);
                var mNum = new Explain.MathNumber(m, x.Single);
                e.Entry(o, k, new Explain.MathDifference(new Explain.MathGroup(new Explain.MathDifference(OpExplain.NumFlat(x, f), mNum)),
                    Explain.M.Call("log", OpExplain.Sum([.. line.Select(i => OpExplain.ShiftedExp(x, i, m))]))));
            }
        });
    }

    /// <summary>dJ/dv_j = dJ/do_j - e^(o_j) (dJ/do_1 + ... + dJ/do_C), e^(o_j) the softmax.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        if (e.Contribution(0) is not { } dx) return;
        Explain.ExplainTensor x = e.Input(0), o = e.Output, g = e.OutputGrad!;
        int axis = Axes.Normalize(e.Attributes.Integer(0), x.Shape.Rank)!.Value;
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int f = OpExplain.Flat(x.Shape, OpExplain.Full(e, dx, k));
                var (p, _) = OpExplain.PositionOf(x.Shape, axis, f);
                var line = OpExplain.Line(x.Shape, axis, p);
                e.Entry(dx, k, new Explain.MathDifference(OpExplain.NumFlat(g, f),
                    new Explain.MathProduct([Explain.M.Exp(OpExplain.NumFlat(o, f)), OpExplain.Sum([.. line.Select(i => (Explain.MathExpr)OpExplain.NumFlat(g, i))])])));
            }
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    // Element (o, j, i) of the Outer x Size x Inner view is at (o · Size + j) · Inner + i; the
    // line of sample (o, i) along the axis has stride Inner.
    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        var (outer, size, inner) = Split(c);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * size * inner + i;
                T m = x[start];
                for (int j = 1; j < size; j++) m = T.Max(m, x[start + j * inner]);
                T s = T.Zero;
                for (int j = 0; j < size; j++) s += T.Exp(x[start + j * inner] - m);
                T log = T.Log(s);
                for (int j = 0; j < size; j++) y[start + j * inner] = (x[start + j * inner] - m) - log;
            }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        var y = c.Output.Span;
        var g = c.OutputGrad!.Span;
        var dx = dxt.Span;
        var (outer, size, inner) = Split(c);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * size * inner + i;
                T sum = T.Zero;
                for (int j = 0; j < size; j++) sum += g[start + j * inner];
                for (int j = 0; j < size; j++) dx[start + j * inner] += g[start + j * inner] - T.Exp(y[start + j * inner]) * sum;
            }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX LogSoftmax: from opset 13 along one axis (default -1), which is log_softmax's axis;
    /// before 13 it flattened the input to 2-D at axis (default 1), which is a log-softmax along
    /// the last axis only when axis is the last one.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("LogSoftmax") { MinOpset = 13, Attributes = [new OnnxAttribute("axis", "axis") { OnnxDefault = AttributeValue.Of(-1L) }] },
        new("LogSoftmax")
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
                    : $"before opset 13 ONNX's LogSoftmax flattens its rank {rank} input to 2-D at axis {axis}, which is not a log-softmax along one axis of NetSpec's";
            },
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.log_softmax(x, dim=axis).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"torch.log_softmax({node[0]}, dim={node.Attributes.Integer(0)})");
    }
}
