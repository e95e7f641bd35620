namespace NetSpec.Runtime.Ops;

/// <summary>
/// Negative log-likelihood of class-index labels, torch.nn.NLLLoss and ONNX
/// NegativeLogLikelihoodLoss: on log-probabilities x (N x C, N x C x d1 x ... x dk, or C for one
/// sample) and a label c_s per sample s (every position but the class axis 1), with class weights
/// w (all 1 when left out): l_s = -w_(c_s) x_(s, c_s), and l_s = 0 with weight 0 where c_s is
/// ignore_index. Reduction mean is the weighted mean Σ_s l_s / Σ_s w_(c_s) over the samples not
/// ignored; sum is Σ_s l_s; none gives every l_s (the labels' shape).
/// Backward: dJ/dx_(s, c_s) = -w_(c_s) g_s, g_s = dJ/dL / Σ w (mean), dJ/dL (sum), dJ/dl_s (none);
/// every other element of x gets 0.
/// </summary>
public sealed class NllLoss : Op
{
    public override string Name => "nll_loss";
    public override string Category => "loss";
    public override string Summary => "Negative log-likelihood of class-index labels on log-probabilities, with class weights and ignore_index; weighted mean, sum or none.";
    public override string Formula =>
        "l_s = -w_(c_s) x_(s, c_s) (0 where c_s = ignore_index), s over the samples, c_s the label; L = Σ_s l_s / Σ_s w_(c_s) over the samples not ignored (mean), Σ_s l_s (sum), l (none)";
    public override string GradientFormula => "dJ/dx_(s, c_s) = -w_(c_s) g_s with g_s = dJ/dL / Σ_s w_(c_s) (mean), dJ/dL (sum), dJ/dl_s (none); 0 elsewhere";
    public override string ShapeRule =>
        "x: N x C, N x C x d1 x ... x dk (classes on axis 1) or C; y: x's shape without axis 1 (N, N x d1 x ...; a scalar for C), or 1 x N for N x C (a data vector); w: C; L: a scalar (mean, sum) or y's shape without the class axis (none)";
    public override string Convention =>
        "torch.nn.NLLLoss(weight, ignore_index, reduction) and ONNX NegativeLogLikelihoodLoss: the classes are axis 1 " +
        "(axis 0 of a vector), and the mean is weighted, Σ w_(c_s) l_s / Σ w_(c_s) over the samples not ignored, so " +
        "with weights it is not the plain mean of the none output; when every sample is ignored the mean is 0/0 = NaN, " +
        "as in torch. x should hold log-probabilities (log_softmax's output); nll_loss does not check that. " +
        ClassLabels.Convention + " The weights get no gradient. ONNX's target is int64: exported through a Cast (and a " +
        "Reshape of 1 x N labels to N); imported int64 labels known at import (an initializer, a Constant or test data) " +
        "become float data.";
    public override string Example => "{op: nll_loss, x: logp, y: labels}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "log-probabilities, N x C or N x C x d1 x ... (classes on axis 1), or C") { MinRank = 1 },
        new("y", "class labels (or ignore_index), x's shape without axis 1 (no gradient)") { Differentiable = false, Domain = ValueDomain.ClassIndex },
        new("w", "class weights, a vector of C (no gradient); left out: every class weighs 1") { Optional = true, Differentiable = false, Domain = ValueDomain.Positive, MinRank = 1, MaxRank = 1 },
    ];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        ClassLabels.IgnoreIndex,
        LossReduction.Attribute("the weighted mean over the samples not ignored, Σ w_(c_s) l_s / Σ w_(c_s)"),
    ];

    /// <summary>The class axis: 1, or 0 for a vector (one sample).</summary>
    private static int ClassAxisOf(int rank) => rank >= 2 ? 1 : 0;

    public override int DistributionAxis(AttributeValues attributes, int rank) => ClassAxisOf(rank);

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("N x C, mean", [[batch, 4], [batch]]),
        new("N x C, class weights, mean", [[batch, 4], [batch], [4]]),
        new("N x C, weights, ignore_index 1, sum", [[batch, 4], [batch], [4]]) { Attributes = [("ignore_index", "1"), ("reduction", "sum")] },
        new("N x C x d1, weights, ignore_index -1, mean", [[batch, 3, 4], [batch, 4], [3]]) { Attributes = [("ignore_index", "-1")] },
        new("N x C x d1 x d2, none", [[batch, 3, 2, 2], [batch, 2, 2]]) { Attributes = [("reduction", "none")] },
        new("N x C x d1 x d2, weights, ignore_index 0, none", [[batch, 3, 2, 2], [batch, 2, 2], [3]]) { Attributes = [("ignore_index", "0"), ("reduction", "none")] },
        new("one sample (a vector), weights", [[5], [], [5]]),
    ];

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        Shape x = q[0], y = q[1];
        int axis = ClassAxisOf(x.Rank);
        if (!ClassLabels.Fits(x, axis, y))
            return ShapeResult.Fail($"log-probabilities {q.Name(0)} are {x}, so labels {q.Name(1)} must be {ClassLabels.Expected(x, axis)} (one class index per sample), not {y}");
        if (q.Count > 2 && q[2].Length != x[axis])
            return ShapeResult.Fail($"class weights {q.Name(2)} are {q[2]}, but {q.Name(0)} has {x[axis]} classes on axis {axis}");
        return ShapeResult.Ok(LossReduction.Output(q.Attributes, 1, Axes.Reduce(x, [axis], keep: false)));
    }

    private static (int Outer, int Classes, int Inner) Split<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var s = c.Input(0).Shape;
        return Axes.Split(s, ClassAxisOf(s.Rank));
    }

    /// <summary>
    /// Each sample's term -(w_c)(x_(s,c)) at its label c, then the reduction:
    /// L = -((w_c1)(x_1c1) + ...) / (w_c1 + ...) for the weighted mean ((1/N) without weights).
    /// </summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), y = e.Input(1), l = e.Output;
        var w = e.InputCount > 2 ? e.Input(2) : null;
        int axis = ClassAxisOf(x.Shape.Rank), ignore = e.Attributes.Integer(0);
        string reduction = LossReduction.Of(e.Attributes, 1);
        var (outer, classes, inner) = Axes.Split(x.Shape, axis);
        int samples = outer * inner;
        var labels = Enumerable.Range(0, samples).Select(p => ClassLabels.Valid(y.Values[p], classes, ignore) ? (int)y.Values[p] : ClassLabels.Invalid).ToArray();
        if (labels.Any(c => c == ClassLabels.Invalid))
        {
            base.ExplainForward(e);
            return;
        }
        e.Note(Formula);
        Explain.MathExpr Picked(int p) => OpExplain.NumFlat(x, OpExplain.Line(x.Shape, axis, p)[labels[p]]);
        Explain.MathExpr Weighted(int p) => w is null ? Picked(p) : new Explain.MathProduct([OpExplain.NumFlat(w, labels[p]), Picked(p)]);
        var kept = Enumerable.Range(0, samples).Where(p => labels[p] != ignore).ToList();
        if (kept.Count < samples) e.Note($"{samples - kept.Count} sample{(samples - kept.Count == 1 ? " is" : "s are")} labelled ignore_index {ignore} and count 0");
        if (reduction == LossReduction.None)
        {
            OpExplain.Each(e, l, () =>
            {
                foreach (int k in e.Entries(l))
                {
                    int p = OpExplain.Flat(l.Shape, OpExplain.Full(e, l, k));
                    if (labels[p] == ignore) e.Entry(l, k);
                    else e.Entry(l, k, new Explain.MathNegation(Weighted(p)));
                }
            });
            return;
        }
        if (kept.Count > OpExplain.MaxTerms)
        {
            e.Entry(l, 0);
            return;
        }
        var sum = new Explain.MathNegation(OpExplain.Sum([.. kept.Select(Weighted)]));
        if (reduction == LossReduction.Sum) e.Entry(l, 0, sum);
        else if (w is null) e.Entry(l, 0, kept.Count == 1 ? sum : new Explain.MathNegation(OpExplain.Mean([.. kept.Select(Weighted)], kept.Count)));
        else e.Entry(l, 0, new Explain.MathFraction(sum, OpExplain.Sum([.. kept.Select(p => (Explain.MathExpr)OpExplain.NumFlat(w, labels[p]))])));
    }

    /// <summary>dJ/dx_(s,c) = -(w_c)(g_s) at each sample's label, 0 elsewhere.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        if (e.Contribution(0) is not { } dx) return;
        Explain.ExplainTensor x = e.Input(0), y = e.Input(1), g = e.OutputGrad!;
        var w = e.InputCount > 2 ? e.Input(2) : null;
        int axis = ClassAxisOf(x.Shape.Rank), ignore = e.Attributes.Integer(0);
        string reduction = LossReduction.Of(e.Attributes, 1);
        var (outer, classes, inner) = Axes.Split(x.Shape, axis);
        int samples = outer * inner;
        double den = 0;
        for (int p = 0; p < samples; p++)
            if (y.Values[p] != ignore && ClassLabels.Valid(y.Values[p], classes, ignore)) den += w is null ? 1 : w.Values[(int)y.Values[p]];
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int f = OpExplain.Flat(x.Shape, OpExplain.Full(e, dx, k));
                var (p, j) = OpExplain.PositionOf(x.Shape, axis, f);
                if (y.Values[p] != j || y.Values[p] == ignore)
                {
                    e.Entry(dx, k);
                    continue;
                }
                Explain.MathExpr gs = reduction == LossReduction.None ? OpExplain.NumFlat(g, p) : OpExplain.NumFlat(g, 0);
                Explain.MathExpr term = new Explain.MathNegation(w is null ? gs : new Explain.MathProduct([OpExplain.NumFlat(w, j), gs]));
                e.Entry(dx, k, reduction == LossReduction.Mean && den != 1 ? new Explain.MathFraction(term, new Explain.MathNumber(den, x.Single)) : term);
            }
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    // Sample s = o · Inner + i (the labels' row-major order) has its classes at (o · C + k) · Inner + i.
    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var y = c.Input(1).Span;
        var (outer, classes, inner) = Split(c);
        int ignore = c.Attributes.Integer(0);
        string reduction = LossReduction.Of(c.Attributes, 1);
        var output = c.Output.Span;
        T total = T.Zero, weights = T.Zero;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                int k = ClassLabels.Of(y[s], classes, ignore);
                T l, w;
                if (k == ClassLabels.Ignored) (l, w) = (T.Zero, T.Zero);
                else if (k == ClassLabels.Invalid) (l, w) = (T.NaN, T.NaN);
                else
                {
                    w = c.HasInput(2) ? c.Input(2)[k] : T.One;
                    l = -w * x[(o * classes + k) * inner + i];
                }
                if (reduction == LossReduction.None) output[s] = l;
                total += l;
                weights += w;
            }
        if (reduction == LossReduction.Sum) output[0] = total;
        else if (reduction == LossReduction.Mean) output[0] = total / weights;
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        var y = c.Input(1).Span;
        var g = c.OutputGrad!.Span;
        var dx = dxt.Span;
        var (outer, classes, inner) = Split(c);
        int ignore = c.Attributes.Integer(0);
        string reduction = LossReduction.Of(c.Attributes, 1);
        T scale = g[0];
        if (reduction == LossReduction.Mean)
        {
            T weights = T.Zero;
            for (int s = 0; s < y.Length; s++)
            {
                int k = ClassLabels.Of(y[s], classes, ignore);
                if (k >= 0) weights += c.HasInput(2) ? c.Input(2)[k] : T.One;
            }
            scale /= weights;
        }
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int s = o * inner + i;
                int k = ClassLabels.Of(y[s], classes, ignore);
                if (k < 0) continue;
                T w = c.HasInput(2) ? c.Input(2)[k] : T.One;
                dx[(o * classes + k) * inner + i] -= w * (reduction == LossReduction.None ? g[s] : scale);
            }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX NegativeLogLikelihoodLoss (opset 12 on; 13 only widened its types): x, int64 target,
    /// optional weight; reduction and ignore_index are its attributes (an ONNX node without
    /// ignore_index ignores no label; NetSpec's default -100 is then no class either). Exported with
    /// a Cast of the float labels to int64; imported labels become float data.
    /// </summary>
    public override bool WritesOwnOnnx => true;

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("NegativeLogLikelihoodLoss")
        {
            MinOpset = 12,
            ImportOnly = true,
            ClassIndexInputs = ["y"],
            Attributes = [new OnnxAttribute("reduction", "reduction"), new OnnxAttribute("ignore_index", "ignore_index")],
            Note = "int64 labels known at import (an initializer, a Constant node or test data)",
        },
    ];

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        string n = node.Name;
        Shape x = node.InputShapes[0];
        string scores = node.Inputs[0], labels = node.Inputs[1];
        if (x.Rank == 1)
        {
            // ONNX takes N x C: one sample becomes 1 x C with one label.
            writer.Node("Reshape", $"{n}/scores", [scores, writer.Int64s($"{n}/scores_shape", 1, x[0])], $"{n}/scores");
            scores = $"{n}/scores";
        }
        writer.Node("Cast", $"{n}/labels", [labels], $"{n}/labels", ("to", 7L));   // INT64
        labels = $"{n}/labels";
        var want = Axes.Reduce(x.Rank == 1 ? new Shape(1, x[0]) : x, [1], keep: false);
        if (!node.InputShapes[1].Equals(want))
        {
            writer.Node("Reshape", $"{n}/label_shape", [labels, writer.Int64s($"{n}/labels_shape", [.. want.Dims.ToArray().Select(d => (long)d)])], $"{n}/labels_reshaped");
            labels = $"{n}/labels_reshaped";
        }
        string reduction = LossReduction.Of(node.Attributes, 1);
        bool squeeze = x.Rank == 1 && reduction == LossReduction.None;
        string output = squeeze ? $"{n}/loss" : n;
        writer.Node("NegativeLogLikelihoodLoss", $"{n}/nll", [scores, labels, .. node.Inputs.Skip(2)], output,
            ("reduction", reduction), ("ignore_index", (long)node.Attributes.Integer(0)));
        if (squeeze) writer.Node("Reshape", $"{n}/scalar", [output, writer.Int64s($"{n}/scalar_shape")], n);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.nll_loss(x, y.long(), weight=w, ignore_index, reduction): classes on axis 1, as torch's.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        var args = new List<string> { node[0], TorchForms.Labels(node, 1, x, ClassAxisOf(x.Rank)) };
        if (node.Count > 2) args.Add($"weight={node[2]}");
        if (node.Attributes.Integer(0) != -100) args.Add($"ignore_index={node.Attributes.Integer(0)}");
        args.Add($"reduction={Py.Str(LossReduction.Of(node.Attributes, 1))}");
        return TorchForm.Of($"F.nll_loss({string.Join(", ", args)})");
    }
}
