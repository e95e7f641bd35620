using System.Numerics.Tensors;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Global average pooling, as ONNX GlobalAveragePool and torch.nn.AdaptiveAvgPool2d(1): each
/// N x C plane's mean over every spatial axis, y[n, c, 1, ..., 1] = (1 / S) Σ_s x[n, c, s] with S the
/// product of the spatial sizes. Backward: dJ/dx[n, c, s] += dJ/dy[n, c] / S.
/// </summary>
public sealed class GlobalAvgPool : Op
{
    public override string Name => "global_avg_pool";
    public override string Category => "convolution and pooling";
    public override string Summary => "The mean of each channel over every spatial axis (N x C x ... -> N x C x 1 x ... x 1).";
    public override string Formula => "y[n, c] = (1 / S) Σ_s x[n, c, s], S = the product of the spatial sizes";
    public override string GradientFormula => "dJ/dx[n, c, s] = dJ/dy[n, c] / S";
    public override string ShapeRule => "x: N x C x spatial (rank 3 to 8); y: N x C x 1 x ... x 1 (the spatial axes kept with size 1)";
    public override string Convention =>
        "ONNX GlobalAveragePool: the spatial axes stay, with size 1 (N x C x 1 x 1 for images), as torch.nn.AdaptiveAvgPool2d(1) and " +
        "torch.mean(x, dim=(2, 3), keepdim=True); flatten afterwards for N x C. Sums run in a fixed order.";
    public override string Example => "{op: global_avg_pool, x: h}";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "N x C x spatial axes (N x C x H x W for images)") { MinRank = 3 }];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("images", [[batch, 3, 2, 4]]),
        new("rank 3", [[batch, 2, 5]]),
        new("rank 5", [[batch, 2, 2, 1, 3]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var dims = q[0].ToArray();
        for (int a = 2; a < dims.Length; a++) dims[a] = 1;
        return ShapeResult.Ok(new Shape(dims));
    }

    /// <summary>y_nc = (1/S)(the S entries of plane (n, c)).</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), y = e.Output;
        int size = x.Shape.Length / Math.Max(1, x.Shape[0] * x.Shape[1]);
        e.Note(Formula);
        OpExplain.Each(e, y, () =>
        {
            foreach (int k in e.Entries(y))
            {
                int plane = OpExplain.Flat(y.Shape, OpExplain.Full(e, y, k));
                var terms = Enumerable.Range(0, size).Select(s => (Explain.MathExpr)OpExplain.NumFlat(x, plane * size + s)).ToList();
                if (terms.Count > OpExplain.MaxTerms) e.Entry(y, k);
                else e.Entry(y, k, OpExplain.Mean(terms, size));
            }
        });
    }

    /// <summary>dJ/dx_ncs = dJ/dy_nc / S.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        if (e.Contribution(0) is not { } dx) return;
        Explain.ExplainTensor x = e.Input(0), g = e.OutputGrad!;
        int size = x.Shape.Length / Math.Max(1, x.Shape[0] * x.Shape[1]);
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int plane = OpExplain.Flat(x.Shape, OpExplain.Full(e, dx, k)) / size;
                var gi = OpExplain.NumFlat(g, plane);
                e.Entry(dx, k, size > 1 ? new Explain.MathFraction(gi, new Explain.MathNumber(size)) : gi);
            }
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        int size = x.Length / y.Length;
        T count = T.CreateChecked(size);
        for (int p = 0; p < y.Length; p++) y[p] = TensorPrimitives.Sum<T>(x.Slice(p * size, size)) / count;
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var g = c.OutputGrad!.Span;
        var d = dx.Span;
        int size = d.Length / g.Length;
        T count = T.CreateChecked(size);
        for (int p = 0; p < g.Length; p++) TensorPrimitives.Add(d.Slice(p * size, size), g[p] / count, d.Slice(p * size, size));
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX GlobalAveragePool (opset 1 on), no attributes.</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("GlobalAveragePool")];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>x.mean(dim=(2, ...), keepdim=True), torch.nn.AdaptiveAvgPool2d(1) for images.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        int r = node.InputShapes[0].Rank;
        return TorchForm.Of($"{node[0]}.mean(dim={Py.Tuple(Enumerable.Range(2, r - 2))}, keepdim=True)");
    }
}
