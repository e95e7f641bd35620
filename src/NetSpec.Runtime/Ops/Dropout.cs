using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Inverted dropout, any rank. Training mode: each element is kept with probability 1 - p,
/// m_i = 1 if u_i ≥ p else 0 with u_i uniform in [0, 1) from <see cref="CounterRandom"/> (a function
/// of the seed, the node's name, the step and i), and y = m ⊙ x / (1 - p). Evaluation mode: y = x.
/// Backward: dJ/dx = m ⊙ dJ/dy / (1 - p) with the mask of the forward pass (dJ/dy in evaluation).
/// The mask is traced as <c>node.mask</c>.
/// </summary>
public sealed class Dropout : Op
{
    public override string Name => "dropout";
    public override string Category => "regularization";
    public override string Summary => "Inverted dropout: in training mode zeroes each element with probability p and scales the rest by 1/(1 - p); the identity in evaluation mode.";
    public override string Formula => "training: y = m ⊙ x / (1 - p), m_i = 1 if u_i ≥ p else 0, u_i uniform in [0, 1) from (seed, node, step, i); evaluation: y = x";
    public override string GradientFormula => "training: dJ/dx = m ⊙ dJ/dy / (1 - p), the same mask m; evaluation: dJ/dx = dJ/dy";
    public override string ShapeRule => "x: any shape (rank 0 to 8); y: the shape of x (the mask too)";
    public override string Convention =>
        "torch.nn.Dropout(p) (inverted dropout, p the probability of dropping, default 0.5, the kept elements scaled by 1/(1 - p) " +
        "in training so evaluation is the identity). The mask is NetSpec's own, not torch's generator: element i of node k at " +
        "step s is kept when u = (mix(base + γ(i + 1)) >> 11) · 2^-53 ≥ p, base = mix(mix(mix(seed + γ) ^ FNV-1a(k)) + γ s), " +
        "mix SplitMix64's finalizer and γ = 0x9E3779B97F4A7C15 (docs/training.md; tools/netspec_rng.py computes it), so a " +
        "mask is the same on every machine and thread count, and a resumed run draws the same masks. p = 1 drops everything " +
        "(y = 0, as torch). ONNX Dropout with ratio p: exported models are in evaluation mode (the identity, training_mode " +
        "left out, as torch.onnx.export writes them); an ONNX Dropout in training mode is refused on import (its mask comes " +
        "from ONNX Runtime's generator); ONNX's seed attribute is accepted and not read (it does not matter in evaluation).";
    public override string Example => "{op: dropout, x: h1, p: 0.2, seed: 7}";
    public override bool DependsOnMode => true;

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Number("p", "the probability of dropping an element in training mode (torch's p, ONNX's ratio)", 0.5, 0, 1),
        AttributeSpec.Integer("seed", "the seed of the node's masks; with the node's name and the step it fixes every mask", 0, 0, int.MaxValue) with { ShowDefault = false },
    ];

    /// <summary>Training mode at the default rate and at 0.3 (the mask fixed by seed, node and step), ranks 0 to 4; and evaluation mode.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2", [[batch, 6]]),
        new("rank 3, p 0.3, seed 5", [[batch, 2, 3]]) { Attributes = [("p", "0.3"), ("seed", "5")] },
        new("rank 4", [[batch, 2, 2, 3]]),
        new("vector", [[7]]),
        new("scalar, p 0.2", [[]]) { Attributes = [("p", "0.2")] },
        new("rank 2, evaluation mode", [[batch, 4]]) { Mode = "eval" },
    ];

    protected override ShapeResult InferShape(ShapeQuery q) => ShapeResult.Ok(q[0]);

    /// <summary>Training: y_i = (x_i)(m_i) / (1 - p) with the traced mask m; evaluation: y_i = x_i.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), y = e.Output;
        var mask = e.Side("mask");
        double p = e.Attributes.Number(0);
        e.Note(mask is null ? "evaluation mode: dropout is the identity" : $"training mode: the mask m keeps each entry with probability 1 - p = {(1 - p).ToString(System.Globalization.CultureInfo.InvariantCulture)} and the kept ones are scaled by 1 / (1 - p)");
        OpExplain.Each(e, y, () =>
        {
            foreach (int k in e.Entries(y))
            {
                var full = OpExplain.Full(e, y, k);
                int f = OpExplain.Flat(y.Shape, full);
                if (mask is null) e.Entry(y, k, OpExplain.Sym(x, full));
                else e.Entry(y, k, new Explain.MathFraction(new Explain.MathProduct([OpExplain.NumFlat(x, f), OpExplain.NumFlat(mask, f)]),
                    new Explain.MathDifference(new Explain.MathNumber(1), e.N(p))));
            }
        });
    }

    /// <summary>Training: dJ/dx_i = (dJ/dy_i)(m_i) / (1 - p), the forward pass's mask; evaluation: dJ/dx_i = dJ/dy_i.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        if (e.Contribution(0) is not { } dx) return;
        var g = e.OutputGrad!;
        var mask = e.Side("mask");
        double p = e.Attributes.Number(0);
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                var full = OpExplain.Full(e, dx, k);
                int f = OpExplain.Flat(dx.Shape, full);
                if (mask is null) e.Entry(dx, k, OpExplain.Sym(g, full));
                else e.Entry(dx, k, new Explain.MathFraction(new Explain.MathProduct([OpExplain.NumFlat(g, f), OpExplain.NumFlat(mask, f)]),
                    new Explain.MathDifference(new Explain.MathNumber(1), e.N(p))));
            }
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        if (!c.Training)
        {
            x.CopyTo(y);
            return;
        }
        double p = c.Attributes.Number(0);
        var mask = c.Side("mask", c.Input(0).Shape, MaskText).Span;
        ulong stream = CounterRandom.Base((ulong)c.Attributes.Integer(1), c.NodeKey, c.Step);
        T scale = p < 1 ? T.CreateChecked(1.0 / (1.0 - p)) : T.Zero;
        for (int i = 0; i < x.Length; i++)
        {
            bool keep = CounterRandom.Uniform(stream, i) >= p;
            mask[i] = keep ? T.One : T.Zero;
            y[i] = x[i] * (keep ? scale : T.Zero); // as torch: x times the noise m / (1 - p), so a dropped -3 gives -0
        }
    }

    private static string MaskText<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        $"keep with 1 - p, seed {c.Attributes.Integer(1)}";

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        var dy = c.OutputGrad!.Span;
        var dx = dxt.Span;
        if (!c.Training)
        {
            for (int i = 0; i < dx.Length; i++) dx[i] += dy[i];
            return;
        }
        double p = c.Attributes.Number(0);
        T scale = p < 1 ? T.CreateChecked(1.0 / (1.0 - p)) : T.Zero;
        var mask = c.WrittenSide("mask")!.Span;
        for (int i = 0; i < dx.Length; i++) dx[i] += dy[i] * (mask[i] * scale);
    }

    /// <summary>
    /// ONNX Dropout in evaluation mode: ratio as an attribute up to opset 11, as an optional
    /// constant input from 12 (with training_mode, false by default). Opsets before 7 had is_test.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Dropout")
        {
            MinOpset = 12,
            Inputs = ["x", "@ratio", "@training_mode"],
            CheckedAttributes = ["seed"],
            Note = "evaluation mode, the identity: a constant ratio input is read and does not matter there; training_mode must be a constant false (or true with ratio 0); the mask output is ones",
            ImportCheck = q =>
            {
                if (q.InputShapes.Count < 3 || q.InputShapes[2] is null) return null;
                if (q.Values(2) is not [var training]) return "its training_mode is not known at import (NetSpec reads it from a constant)";
                if (training == 0) return null;
                double ratio = q.InputShapes.Count > 1 && q.InputShapes[1] is not null ? q.Values(1) is [var r] ? r : double.NaN : 0.5;
                return ratio == 0 ? null : "training_mode = 1 with ratio > 0 draws ONNX's own random mask, which NetSpec's seeded masks do not reproduce";
            },
            Outputs = [new OnnxOutput(1, _ => [OnnxStep.Ones("mask", "x")])],
        },
        new("Dropout")
        {
            MinOpset = 7,
            MaxOpset = 11,
            Attributes = [new OnnxAttribute("ratio", "p") { OnnxDefault = AttributeValue.Of(0.5) }],
            CheckedAttributes = ["seed"],
            Note = "evaluation mode: the identity",
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, the same mask.

    /// <summary>Training: x * (m * 1/(1 - p)) with NetSpec's mask m_i = [u_i >= p], u = counter_uniform(seed, node, step, n) (the side
    /// value node.mask); evaluation: a copy of x. torch's own F.dropout draws from torch's generator, which NetSpec does not reproduce.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        double p = node.Attributes.Number(0);
        string x = node[0], mask = node.Side("mask");
        node.Line($"if {TorchNode.Training}:");
        node.Line($"    {mask} = (torch.from_numpy(counter_uniform({node.Attributes.Integer(1)}, {Py.Str(node.Name)}, {TorchNode.Step}, {x}.numel())) >= {Py.Num(p)}).to({x}.dtype).reshape({x}.shape)");
        return TorchForm.Of($"{x} * ({mask} * {Py.Num(p < 1 ? 1.0 / (1.0 - p) : 0)}) if {TorchNode.Training} else {x}.clone()");
    }
}
