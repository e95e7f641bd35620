namespace NetSpec.Runtime.Ops;

/// <summary>
/// Batch normalization over N x C or N x C x d1 x ... (channels on axis 1), each channel c over
/// its M = N · d1 · ... values. Training mode: μ_c = Σ x / M, σ²_c = Σ (x - μ_c)² / M (biased),
/// x̂ = (x - μ_c) / √(σ²_c + ε), y = γ_c x̂ + β_c; the running statistics become
/// (1 - m) · running + m · batch, the variance's with the unbiased σ²_c · M / (M - 1).
/// Evaluation mode: x̂ = (x - running_mean_c) / √(running_var_c + ε), y = γ_c x̂ + β_c.
/// Backward in training (through the batch statistics):
/// dJ/dx = γ_c / √(σ²_c + ε) · (dJ/dy - mean_c(dJ/dy) - x̂ · mean_c(dJ/dy ⊙ x̂));
/// in evaluation dJ/dx = γ_c / √(running_var_c + ε) · dJ/dy; in both dJ/dγ_c = Σ dJ/dy ⊙ x̂ and dJ/dβ_c = Σ dJ/dy.
/// </summary>
public sealed class BatchNorm : Op
{
    public override string Name => "batch_norm";
    public override string Category => "normalization";
    public override string Summary => "Batch normalization per channel (axis 1): batch statistics and running-statistics updates in training mode, the running statistics in evaluation mode; then scale and bias.";
    public override string Formula =>
        "y = γ_c (x - μ_c) / √(σ²_c + ε) + β_c; training: μ_c, σ²_c the mean and biased variance of channel c over the batch (and d1...), " +
        "running_mean ← (1 - m) running_mean + m μ_c, running_var ← (1 - m) running_var + m σ²_c M/(M - 1); evaluation: μ_c = running_mean_c, σ²_c = running_var_c";
    public override string GradientFormula =>
        "training: dJ/dx = γ_c/√(σ²_c + ε) (dJ/dy - mean_c(dJ/dy) - x̂ mean_c(dJ/dy ⊙ x̂)); evaluation: dJ/dx = γ_c/√(running_var_c + ε) dJ/dy; " +
        "dJ/dγ_c = Σ dJ/dy ⊙ x̂; dJ/dβ_c = Σ dJ/dy (sums and means over every value of channel c); none to the running statistics";
    public override string ShapeRule => "x: N x C or N x C x d1 x ... (rank 2 to 8); scale, bias, running_mean, running_var: C; y: the shape of x";
    public override string Convention =>
        "torch.nn.BatchNorm1d/2d/3d (affine, track_running_stats): epsilon 1e-5 and momentum 0.1 by default, running = (1 - momentum) · running + " +
        "momentum · batch; the normalization uses the biased batch variance (÷ M) and the running variance is updated with the unbiased one " +
        "(÷ M - 1), M the values per channel (N · d1 · ...); training mode needs M > 1 (torch: 'Expected more than 1 value per channel when " +
        "training'). running_mean and running_var are parameters the op updates (state): no gradient, the optimizer leaves them alone, " +
        "checkpoints and parameter files carry them; they change only in training mode, once per forward pass. ONNX BatchNormalization " +
        "(opset 9 on; exported in evaluation mode as torch.onnx.export does, training_mode 0): ONNX's momentum is 1 - torch's " +
        "(the weight of the old running value, default 0.9), so momentum m is written as 1 - m; an imported node keeps momentum 0.1 " +
        "(it matters only for training). training_mode 1 (three outputs) is refused on import.";
    public override string Example => "{op: batch_norm, x: z1, scale: g1, bias: be1, running_mean: rm1, running_var: rv1}";
    public override bool DependsOnMode => true;

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "N x C or N x C x d1 x ...: channels on axis 1") { MinRank = 2 },
        new("scale", "γ, one per channel (C); trained") { MinRank = 1, MaxRank = 1 },
        new("bias", "β, one per channel (C); trained") { MinRank = 1, MaxRank = 1 },
        new("running_mean", "the running mean per channel (C); state updated in training mode")
        {
            MinRank = 1, MaxRank = 1, Differentiable = false, State = true,
            StateRule = "(1 - m) · {value} + m · {node}.mean, m = momentum",
        },
        new("running_var", "the running variance per channel (C), > 0; state updated in training mode with the unbiased batch variance")
        {
            MinRank = 1, MaxRank = 1, Differentiable = false, State = true, Domain = ValueDomain.Positive,
            StateRule = "(1 - m) · {value} + m · M/(M - 1) · {node}.var",
        },
    ];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Number("epsilon", "added to the variance before the square root (torch's eps)", 1e-5, 0) with { ShowDefault = false },
        AttributeSpec.Number("momentum", "the weight of the batch statistic in the running update (torch's momentum; ONNX's is 1 - this)", 0.1, 0, 1) with { ShowDefault = false },
    ];

    /// <summary>Training mode (real finite differences through the batch statistics) at ranks 2 to 4, and evaluation mode.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("N x C", [[batch + 1, 3], [3], [3], [3], [3]]),
        new("N x C x L, epsilon 0.01", [[batch, 2, 4], [2], [2], [2], [2]]) { Attributes = [("epsilon", "0.01")] },
        new("N x C x H x W", [[batch, 3, 2, 2], [3], [3], [3], [3]]),
        new("N x C, evaluation mode", [[batch, 3], [3], [3], [3], [3]]) { Mode = "eval" },
        new("N x C x H x W, evaluation mode", [[batch, 2, 2, 3], [2], [2], [2], [2]]) { Mode = "eval" },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 8 per element forward (mean 1, variance 3, normalize 2, scale and shift 2; evaluation mode needs 4 of them); backward 8 per element for dJ/dx, 2 for dJ/dγ (product and sum), 1 for dJ/dβ, none to the running statistics.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double n = inputs[0].Length;
        return new OpCost(8 * n, [8 * n, 2 * n, n, 0, 0]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        int c = q[0][1];
        for (int i = 1; i < 5; i++)
            if (q[i][0] != c)
                return ShapeResult.Fail($"input {Inputs[i].Name} ({q.Name(i)}) is {q[i]}, but {q.Name(0)} ({q[0]}) has {c} channels on axis 1");
        return ShapeResult.Ok(q[0]);
    }

    /// <summary>Training mode needs M = N · d1 · ... &gt; 1 values per channel: the unbiased variance divides by M - 1.</summary>
    public override string? TrainingModeError(IReadOnlyList<Shape> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        var x = inputShapes[0];
        int m = x.Length / Math.Max(1, x[1]);
        return m > 1 ? null
            : $"batch_norm in training mode needs more than one value per channel (torch: 'Expected more than 1 value per channel when training'), but x ({x}) has {m}; use a larger batch, or 'mode: eval' for the running statistics";
    }

    /// <summary>(N, C, S): x is N x C x S with S the product of the axes after the channels.</summary>
    private static (int N, int C, int S) Layout<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var s = c.Input(0).Shape;
        return (s[0], s[1], s.Length / (s[0] * s[1]));
    }

    private static string MeanText<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => "batch mean per channel";

    private static string VarText<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => "batch variance per channel, ÷ M";

    /// <summary>
    /// For each channel its mean and biased variance over the batch written out (training; the
    /// running statistics in evaluation), then every entry y = (γ)((x - μ) / √(σ² + ε)) + β.
    /// </summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula);
        Explain(e, backward: false);
    }

    /// <summary>dJ/dγ, dJ/dβ as sums over the channel, and dJ/dx through the batch statistics (training) or not (evaluation).</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        Explain(e, backward: true);
    }

    private static void Explain(Explain.Explanation e, bool backward)
    {
        var x = e.Input(0);
        int ch = x.Shape[1], sp = x.Shape.Length / Math.Max(1, x.Shape[0] * ch);
        var channel = Enumerable.Range(0, x.Shape.Length).Select(f => f / sp % ch).ToArray();
        Explain.ExplainTensor? mean = e.Side("mean"), variance = e.Side("var");
        bool training = mean is not null && variance is not null;
        if (!backward && !training) e.Note("evaluation mode: μ and σ² are the running statistics");
        Explain.MathNumber Mean(int c) => training ? OpExplain.NumFlat(mean!, c) : OpExplain.NumFlat(e.Input(3), c);
        Explain.MathNumber Var(int c) => training ? OpExplain.NumFlat(variance!, c) : OpExplain.NumFlat(e.Input(4), c);
        OpExplain.Normalization(e, backward, channel, channel, ch, "channel", e.Input(1), e.Input(2), e.Attributes.Number(0), training, Mean, Var);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (n, ch, sp) = Layout(c);
        var x = c.Input(0).Span;
        var gamma = c.Input(1).Span;
        var beta = c.Input(2).Span;
        var runMean = c.Input(3).Span;
        var runVar = c.Input(4).Span;
        var y = c.Output.Span;
        T eps = c.Number(0);
        int m = n * sp;
        if (!c.Training)
        {
            for (int k = 0; k < ch; k++) Normalize(x, y, n, ch, sp, k, runMean[k], T.One / T.Sqrt(runVar[k] + eps), gamma[k], beta[k]);
            return;
        }
        if (m < 2)
            throw new InvalidOperationException($"batch_norm in training mode needs more than one value per channel, but x ({c.Input(0).Shape}) has {m}; use a larger batch or 'mode: eval'");
        var mean = c.Side("mean", new Shape([ch]), MeanText).Span;
        var variance = c.Side("var", new Shape([ch]), VarText).Span;
        T count = T.CreateChecked(m), momentum = c.Number(1), keep = T.One - momentum;
        T unbiased = count / T.CreateChecked(m - 1);
        for (int k = 0; k < ch; k++)
        {
            T sum = T.Zero;
            for (int b = 0; b < n; b++)
            {
                int off = (b * ch + k) * sp;
                for (int s = 0; s < sp; s++) sum += x[off + s];
            }
            T mu = sum / count, sq = T.Zero;
            for (int b = 0; b < n; b++)
            {
                int off = (b * ch + k) * sp;
                for (int s = 0; s < sp; s++)
                {
                    T d = x[off + s] - mu;
                    sq += d * d;
                }
            }
            T v = sq / count, inv = T.One / T.Sqrt(v + eps);
            mean[k] = mu;
            variance[k] = v;
            Normalize(x, y, n, ch, sp, k, mu, inv, gamma[k], beta[k]);
            runMean[k] = keep * runMean[k] + momentum * mu;
            runVar[k] = keep * runVar[k] + momentum * (v * unbiased);
        }
    }

    /// <summary>
    /// y = x a + b for channel k with a = γ/√(σ² + ε) and b = β - μ a, as torch's CPU kernel
    /// (batch_norm_cpu_transform_input) and ONNX Runtime compute it, so float32 results round alike.
    /// </summary>
    private static void Normalize<T>(ReadOnlySpan<T> x, Span<T> y, int n, int ch, int sp, int k, T mu, T inv, T gamma, T beta)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T a = gamma * inv, b = beta - mu * a;
        for (int i = 0; i < n; i++)
        {
            int off = (i * ch + k) * sp;
            for (int s = 0; s < sp; s++) y[off + s] = x[off + s] * a + b;
        }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (n, ch, sp) = Layout(c);
        var x = c.Input(0).Span;
        var gamma = c.Input(1).Span;
        var dy = c.OutputGrad!.Span;
        T eps = c.Number(0);
        var dx = c.InputGrad(0);
        var dGamma = c.InputGrad(1);
        var dBeta = c.InputGrad(2);
        // In training mode the statistics of the forward pass (the running ones have moved on since).
        var mean = c.Training ? c.WrittenSide("mean")!.Span : c.Input(3).Span;
        var variance = c.Training ? c.WrittenSide("var")!.Span : c.Input(4).Span;
        T count = T.CreateChecked(n * sp);
        for (int k = 0; k < ch; k++)
        {
            T mu = mean[k], inv = T.One / T.Sqrt(variance[k] + eps);
            T sumDy = T.Zero, sumDyXhat = T.Zero;
            for (int b = 0; b < n; b++)
            {
                int off = (b * ch + k) * sp;
                for (int s = 0; s < sp; s++)
                {
                    sumDy += dy[off + s];
                    sumDyXhat += dy[off + s] * ((x[off + s] - mu) * inv);
                }
            }
            if (dGamma is not null) dGamma[k] += sumDyXhat;
            if (dBeta is not null) dBeta[k] += sumDy;
            if (dx is null) continue;
            var d = dx.Span;
            T g = gamma[k] * inv;
            if (!c.Training)
            {
                for (int b = 0; b < n; b++)
                {
                    int off = (b * ch + k) * sp;
                    for (int s = 0; s < sp; s++) d[off + s] += g * dy[off + s];
                }
                continue;
            }
            T meanDy = sumDy / count, meanDyXhat = sumDyXhat / count;
            for (int b = 0; b < n; b++)
            {
                int off = (b * ch + k) * sp;
                for (int s = 0; s < sp; s++)
                {
                    T xhat = (x[off + s] - mu) * inv;
                    d[off + s] += g * (dy[off + s] - meanDy - xhat * meanDyXhat);
                }
            }
        }
    }

    /// <summary>
    /// Written as ONNX BatchNormalization by <see cref="WriteOnnx"/> (momentum as 1 - m); read back
    /// from opset 9 on in evaluation mode (training_mode 0, ONNX's default from opset 14).
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("BatchNormalization")
        {
            MinOpset = 14,
            Attributes = [new OnnxAttribute("epsilon", "epsilon")],
            Fixed = [new OnnxFixed("training_mode", AttributeValue.Of(0L)) { IsOnnxDefault = true }],
            CheckedAttributes = ["momentum"],
            Note = "evaluation mode (training_mode 0); ONNX momentum = 1 - momentum",
        },
        new("BatchNormalization")
        {
            MinOpset = 9,
            MaxOpset = 13,
            Attributes = [new OnnxAttribute("epsilon", "epsilon")],
            CheckedAttributes = ["momentum"],
            Note = "inference (one output); ONNX momentum = 1 - momentum",
        },
    ];

    public override bool WritesOwnOnnx => true;

    /// <summary>One BatchNormalization node in evaluation mode, its momentum ONNX's 1 - m.</summary>
    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        writer.Node("BatchNormalization", node.Name, node.Inputs, node.Name,
            ("epsilon", node.Attributes.Number(0)), ("momentum", 1 - node.Attributes.Number(1)));
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, none to the running statistics.

    /// <summary>F.batch_norm(x, running_mean, running_var, γ, β, self.training, momentum, eps) on the state buffers, which
    /// torch updates in training mode by NetSpec's rule (the unbiased batch variance); in training mode the batch mean and biased
    /// variance are the side values node.mean and node.var, as NetSpec traces them.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        string x = node[0], dims = TorchForms.AllButChannels(node.InputShapes[0].Rank);
        node.Line($"if {TorchNode.Training}:");
        node.Line($"    {node.Side("mean")} = {x}.detach().mean(dim={dims})");
        node.Line($"    {node.Side("var")} = {x}.detach().var(dim={dims}, unbiased=False)");
        return TorchForm.Of($"F.batch_norm({x}, {node.Buffer(3)}, {node.Buffer(4)}, {node[1]}, {node[2]}, {TorchNode.Training}, {Py.Num(a.Number(1))}, {Py.Num(a.Number(0))})");
    }
}
