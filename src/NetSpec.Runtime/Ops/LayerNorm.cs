namespace NetSpec.Runtime.Ops;

/// <summary>
/// Layer normalization over the axes from <c>axis</c> to the last (the last one by default): for
/// each row r of the D = ∏ x.shape[axis:] values, μ_r = Σ x / D, σ²_r = Σ (x - μ_r)² / D,
/// x̂ = (x - μ_r) / √(σ²_r + ε), y = w ⊙ x̂ + b (w and b of shape x.shape[axis:], each optional).
/// Backward, with g = dJ/dy ⊙ w (dJ/dy without w), row by row:
/// dJ/dx = (g - mean_r(g) - x̂ · mean_r(g ⊙ x̂)) / √(σ²_r + ε); dJ/dw = Σ_rows dJ/dy ⊙ x̂; dJ/db = Σ_rows dJ/dy.
/// </summary>
public sealed class LayerNorm : Op
{
    public override string Name => "layer_norm";
    public override string Category => "normalization";
    public override string Summary => "Layer normalization of each sample over its last axes, with an optional element-wise weight and bias.";
    public override string Formula => "y = w ⊙ (x - μ_r) / √(σ²_r + ε) + b, μ_r and σ²_r the mean and biased variance of row r (the values of x.shape[axis:])";
    public override string GradientFormula =>
        "dJ/dx = (g - mean_r(g) - x̂ mean_r(g ⊙ x̂)) / √(σ²_r + ε), g = dJ/dy ⊙ w; dJ/dw = Σ_r dJ/dy ⊙ x̂; dJ/db = Σ_r dJ/dy";
    public override string ShapeRule => "x: rank 1 to 8; weight, bias (optional): x.shape[axis:]; y: the shape of x";
    public override string Convention =>
        "torch.nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine) with normalized_shape = x.shape[axis:], and ONNX " +
        "LayerNormalization (opset 17: axis the first normalized axis, default -1, epsilon 1e-5): the biased variance (÷ D), " +
        "the same in training and evaluation. Without weight (torch's elementwise_affine=False) y = x̂ (+ b); ONNX needs a Scale, " +
        "so the export writes ones (Expand of 1). ONNX's stash_type (the precision of the statistics) is accepted on import; " +
        "NetSpec computes them in the spec's dtype. ONNX's Mean and InvStdDev outputs import as reduce_mean, sub, mul, add, sqrt and div nodes when a graph reads them; the ones Scale NetSpec writes (Expand of a constant) is folded back to a constant on import.";
    public override string Example => "{op: layer_norm, x: h, weight: w, bias: b}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "any tensor of rank 1 or more, normalized over x.shape[axis:]") { MinRank = 1 },
        new("weight", "the element-wise scale w, shape x.shape[axis:] (optional)") { Optional = true },
        new("bias", "the element-wise shift b, shape x.shape[axis:] (optional)") { Optional = true },
    ];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integer("axis", "the first normalized axis; negative counts from the end (-1: the last axis only)", -1, -Shape.MaxRank, Shape.MaxRank - 1) with { ShowDefault = false },
        AttributeSpec.Number("epsilon", "added to the variance before the square root (torch's eps)", 1e-5, 0) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rows, weight and bias", [[batch, 5], [5], [5]]),
        new("rank 3, last two axes", [[batch, 2, 3], [2, 3], [2, 3]]) { Attributes = [("axis", "1")] },
        new("rank 3, weight only, epsilon 0.1", [[batch, 3, 4], [4]]) { Attributes = [("epsilon", "0.1")] },
        new("rank 4, no affine, axis -2", [[batch, 2, 3, 2]]) { Attributes = [("axis", "-2")] },
        new("a vector", [[6], [6], [6]]),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 8 per element forward (mean 1, variance 3, normalize 2, scale and shift 2); backward 8 per element for dJ/dx, 2 per element of x for dJ/dw, 1 for dJ/db.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double n = inputs[0].Length;
        double[] backward = inputs.Count switch { 1 => [8 * n], 2 => [8 * n, 2 * n], _ => [8 * n, 2 * n, n] };
        return new OpCost(8 * n, backward);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        int axis = q.Attributes.Integer(0);
        if (Axes.Normalize(axis, q[0].Rank) is not { } a)
            return ShapeResult.Fail($"input {q.Name(0)} is {q[0]}: {Axes.OutOfRange(axis, q[0].Rank)}");
        var normalized = new Shape(q[0].Dims.ToArray()[a..]);
        for (int i = 1; i < q.Count; i++)
            if (!q[i].Dims.SequenceEqual(normalized.Dims))
                return ShapeResult.Fail($"input {Inputs[i].Name} ({q.Name(i)}) is {q[i]}, but layer_norm normalizes {q.Name(0)} ({q[0]}) over {normalized} (axis {axis})");
        return ShapeResult.Ok(q[0]);
    }

    /// <summary>(rows, D): x as rows of the D values from the normalized axis on.</summary>
    private static (int Rows, int D) Layout<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var s = c.Input(0).Shape;
        int a = Axes.Normalize(c.Attributes.Integer(0), s.Rank)!.Value;
        int d = 1;
        for (int i = a; i < s.Rank; i++) d *= s[i];
        return (d == 0 ? 0 : s.Length / d, d);
    }

    /// <summary>For each row (the values of x.shape[axis:]) its mean and biased variance written out, then y = (w)((x - μ) / √(σ² + ε)) + b.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula);
        Explain(e, backward: false);
    }

    /// <summary>dJ/dw, dJ/db as sums over the rows, and dJ/dx through the row statistics.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        Explain(e, backward: true);
    }

    private static void Explain(Explain.Explanation e, bool backward)
    {
        var x = e.Input(0);
        var s = x.Shape;
        int a = Axes.Normalize(e.Attributes.Integer(0), s.Rank)!.Value, d = 1;
        for (int i = a; i < s.Rank; i++) d *= s[i];
        int rows = d == 0 ? 0 : s.Length / d;
        var row = Enumerable.Range(0, s.Length).Select(f => f / d).ToArray();
        var place = Enumerable.Range(0, s.Length).Select(f => f % d).ToArray();
        double eps = e.Attributes.Number(1);
        var mean = new double[rows];
        var variance = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            mean[r] = Enumerable.Range(r * d, d).Average(f => x.Values[f]);
            variance[r] = Enumerable.Range(r * d, d).Average(f => (x.Values[f] - mean[r]) * (x.Values[f] - mean[r]));
        }
        OpExplain.Normalization(e, backward, row, place, rows, "row", e.InputCount > 1 ? e.Input(1) : null, e.InputCount > 2 ? e.Input(2) : null, eps, true,
            r => new Explain.MathNumber(mean[r], x.Single), r => new Explain.MathNumber(variance[r], x.Single));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (rows, d) = Layout(c);
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        T eps = c.Number(1), count = T.CreateChecked(d);
        var stats = c.Scratch(2 * rows); // mean and 1/σ per row, for backward
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * d, d);
            T sum = T.Zero;
            foreach (var v in xr) sum += v;
            T mu = sum / count, sq = T.Zero;
            foreach (var v in xr) sq += (v - mu) * (v - mu);
            T inv = T.One / T.Sqrt(sq / count + eps);
            stats[2 * r] = mu;
            stats[2 * r + 1] = inv;
            var yr = y.Slice(r * d, d);
            for (int i = 0; i < d; i++)
            {
                T xhat = (xr[i] - mu) * inv;
                if (c.HasInput(1)) xhat *= c.Input(1)[i];
                yr[i] = c.HasInput(2) ? xhat + c.Input(2)[i] : xhat;
            }
        }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (rows, d) = Layout(c);
        var x = c.Input(0).Span;
        var dy = c.OutputGrad!.Span;
        var stats = c.Scratch(2 * rows);
        var dx = c.InputGrad(0);
        var dw = c.HasInput(1) ? c.InputGrad(1) : null;
        var db = c.HasInput(2) ? c.InputGrad(2) : null;
        T count = T.CreateChecked(d);
        for (int r = 0; r < rows; r++)
        {
            T mu = stats[2 * r], inv = stats[2 * r + 1];
            var xr = x.Slice(r * d, d);
            var dyr = dy.Slice(r * d, d);
            T sumG = T.Zero, sumGx = T.Zero;
            for (int i = 0; i < d; i++)
            {
                T xhat = (xr[i] - mu) * inv;
                if (dw is not null) dw[i] += dyr[i] * xhat;
                if (db is not null) db[i] += dyr[i];
                T g = c.HasInput(1) ? dyr[i] * c.Input(1)[i] : dyr[i];
                sumG += g;
                sumGx += g * xhat;
            }
            if (dx is null) continue;
            var dxr = dx.Span.Slice(r * d, d);
            T meanG = sumG / count, meanGx = sumGx / count;
            for (int i = 0; i < d; i++)
            {
                T xhat = (xr[i] - mu) * inv;
                T g = c.HasInput(1) ? dyr[i] * c.Input(1)[i] : dyr[i];
                dxr[i] += (g - meanG - xhat * meanGx) * inv;
            }
        }
    }

    /// <summary>ONNX LayerNormalization (opset 17): Scale and B are weight and bias; written by <see cref="WriteOnnx"/> (ones for a missing weight).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("LayerNormalization")
        {
            MinOpset = 17,
            Attributes =
            [
                new OnnxAttribute("axis", "axis") { OnnxDefault = AttributeValue.Of(-1L) },
                new OnnxAttribute("epsilon", "epsilon"),
            ],
            CheckedAttributes = ["stash_type"],
            Note = "stash_type accepted; the Mean and InvStdDev outputs, when read, are computed by reduce_mean, sub, mul, add, sqrt and div nodes",
            Outputs =
            [
                new OnnxOutput(1, q => [Moment("mean", "x", q)]),
                new OnnxOutput(2, q =>
                [
                    Moment("mean", "x", q),
                    new OnnxStep("d", "sub", ["x", "mean"]),
                    new OnnxStep("d2", "mul", ["d", "d"]),
                    Moment("var", "d2", q),
                    new OnnxStep("var_eps", "add", ["var", "=" + q.Attribute("epsilon").Number.ToString("R", System.Globalization.CultureInfo.InvariantCulture)]),
                    new OnnxStep("std", "sqrt", ["var_eps"]),
                    new OnnxStep("inv_std", "div", ["=1", "std"]),
                ]),
            ],
        },
    ];

    /// <summary>The mean over the normalized axes (axis to the last), kept as size-1 axes, as ONNX's Mean and InvStdDev outputs are shaped.</summary>
    private static OnnxStep Moment(string name, string input, OnnxOutputQuery q)
    {
        int rank = q.Rank(0);
        int axis = (int)OnnxImportQuery.Normalize((long)q.Attribute("axis").Number, rank);
        return new OnnxStep(name, "reduce_mean", [input])
        {
            Attributes = [("axes", AttributeValue.Of([.. Enumerable.Range(axis, rank - axis).Select(a => (long)a)])), ("keepdims", AttributeValue.Of(1L))],
        };
    }

    public override bool WritesOwnOnnx => true;

    /// <summary>One LayerNormalization node; without weight, its Scale is Expand(1, x.shape[axis:]).</summary>
    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        int rank = node.InputShapes[0].Rank;
        int axis = Axes.Normalize(node.Attributes.Integer(0), rank)!.Value;
        var inputs = node.Inputs.ToList();
        if (inputs.Count == 1)
        {
            string ones = node.Name + "_ones";
            writer.Node("Expand", ones, [writer.Scalar(node.Name + "_one", 1), writer.Int64s(node.Name + "_normalized_shape", [.. node.InputShapes[0].Dims.ToArray()[axis..].Select(v => (long)v)])], ones);
            inputs.Add(ones);
        }
        writer.Node("LayerNormalization", node.Name, inputs, node.Name, ("axis", (long)axis), ("epsilon", node.Attributes.Number(1)));
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.layer_norm(x, x.shape[axis:], weight, bias, eps).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        int a = Axes.Normalize(node.Attributes.Integer(0), x.Rank)!.Value;
        string w = node.Count > 1 ? node[1] : "None", b = node.Count > 2 ? node[2] : "None";
        return TorchForm.Of($"F.layer_norm({node[0]}, {node[0]}.shape[{a}:], {w}, {b}, {Py.Num(node.Attributes.Number(1))})");
    }
}
