using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Softmax and cross-entropy fused, torch.nn.CrossEntropyLoss: logits x with the classes along
/// the class axis (the last by default) and targets y that are either probability distributions
/// of x's shape or class-index labels of x's shape without the class axis (PyTorch's rule), with
/// optional class weights w, ignore_index and label smoothing ε. Per sample p, with
/// lp = log_softmax(x_p) computed without cancellation (m = max x_p: lp_j = (x_j - m) - ln Σ e^(x - m)),
/// L_p = -Σ_j t_pj lp_j for the sample's weighted target t:
/// distributions t_j = w_j ((1 - ε) y_j + ε/C); labels c: t_j = w_j ε/C + [j = c] w_c (1 - ε), and
/// t = 0 where c = ignore_index. Reduction mean divides Σ_p L_p by the number of samples P for
/// distributions and by Σ_p w_(c_p) over the samples not ignored for labels (as torch); sum and none.
/// Backward: dJ/dx_p = g_p (softmax(x_p) Σ_j t_pj - t_p), which is (o - y)/P for distributions.
/// Distribution targets without weights or smoothing run softmax_cross_entropy_rows' row kernels
/// (<see cref="Vec.SoftmaxCrossEntropyRow{T}"/>) exactly as before these options existed.
/// </summary>
public sealed class SoftmaxCrossEntropy : Op
{
    public override bool WritesFirstGradient => true;

    public override string Name => "softmax_cross_entropy";
    public override string Category => "loss";
    public override string Summary => "Softmax and cross-entropy in one stable step along the class axis, on distributions or class-index labels, with class weights, ignore_index and label smoothing.";
    public override string Formula =>
        "L_p = -Σ_j t_pj ln softmax(x_p)_j, j along the class axis, p over the P samples (every other position); t = w ⊙ ((1 - ε) y + ε/C) for distributions y, t_j = w_j ε/C + [j = c_p] w_c (1 - ε) for labels c_p (0 where c_p = ignore_index); L = (1/P) Σ_p L_p (distributions) or Σ_p L_p / Σ_p w_(c_p) (labels) for mean, Σ_p L_p for sum, L_p for none";
    public override string GradientFormula => "dJ/dx_p = g_p (softmax(x_p) Σ_j t_pj - t_p), g_p = dJ/dL / P or / Σ w_(c_p) (mean), dJ/dL (sum), dJ/dL_p (none); (softmax(x) - y)/P for distributions";
    public override string ShapeRule =>
        "x: N x classes by default (classes along axis, every other position a sample); y: x's shape (distributions) or x's shape without the class axis (class indices; 1 x N for N x C, a data vector); w: classes; L: a scalar (mean, sum) or x's shape without the class axis (none)";
    public override string Convention =>
        "torch.nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing) on logits, and ONNX " +
        "SoftmaxCrossEntropyLoss. Targets with x's shape are probability distributions; targets with one axis fewer (x's " +
        "shape without the class axis) are class indices, PyTorch's rule. Label smoothing mixes each target with the " +
        "uniform distribution: (1 - ε) y + ε/C for distributions, and for labels (1 - ε) · nll + (ε/C) Σ_j w_j (-ln p_j), " +
        "each term weighted as torch's cross_entropy does. The mean divides by the number of samples for distribution " +
        "targets (weights or not), and by the sum of the weights of the labels not ignored for class indices (every " +
        "sample ignored: 0/0 = NaN, as torch). ignore_index applies to labels only; as torch, it must be negative with " +
        "distribution targets. The weights get no gradient. " + ClassLabels.Convention + " " + ClassAxis.Convention +
        " ONNX SoftmaxCrossEntropyLoss (classes on axis 1, int64 labels known at import, weights, ignore_index, every " +
        "reduction) imports as this op with axis 1; its log_prob output as log_softmax followed by nll_loss. Exported as " +
        "LogSoftmax and element-wise nodes (GatherElements for labels), since ONNX's loss has no label smoothing.";
    public override string Example => "{op: softmax_cross_entropy, x: z, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "logits, N x classes (or classes along axis)") { MinRank = 1 },
        new("y", "targets: distributions along the class axis (the shape of x) or class indices (x's shape without the class axis); no gradient") { Differentiable = false, Domain = ValueDomain.Distribution },
        new("w", "class weights, a vector of the classes (no gradient); left out: every class weighs 1") { Optional = true, Differentiable = false, Domain = ValueDomain.Positive, MinRank = 1, MaxRank = 1 },
    ];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        ClassAxis.Attribute,
        ClassLabels.IgnoreIndex,
        AttributeSpec.Number("label_smoothing", "ε in [0, 1]: each target mixed with the uniform distribution, (1 - ε) y + ε/C (torch's label_smoothing)", 0, 0, 1) with { ShowDefault = false },
        LossReduction.Attribute("over the samples (distributions), or the weighted mean Σ_p L_p / Σ_p w_(c_p) over the labels not ignored"),
    ];

    public override int DistributionAxis(AttributeValues attributes, int rank) => ClassAxis.Of(attributes, rank) ?? rank - 1;

    public override ValueDomain InputDomain(int index, IReadOnlyList<Shape> shapes, AttributeValues attributes) =>
        index == 1 && shapes.Count > 1 && !shapes[1].Equals(shapes[0]) ? ValueDomain.ClassIndex : base.InputDomain(index, shapes, attributes);

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4], [batch, 4]]),
        new("rank 3, classes on axis 1", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "1")] },
        new("rank 3, classes last", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "-1")] },
        new("rank 4, classes on axis 1", [[batch, 3, 2, 2], [batch, 3, 2, 2]]) { Attributes = [("axis", "1")] },
        new("one sample (a vector)", [[4], [4]]),
        new("distributions, weights, smoothing 0.2, sum", [[batch, 4], [batch, 4], [4]]) { Attributes = [("label_smoothing", "0.2"), ("reduction", "sum")] },
        new("rank 3 distributions on axis 1, weights, none", [[batch, 3, 2], [batch, 3, 2], [3]]) { Attributes = [("axis", "1"), ("reduction", "none")] },
        new("labels, mean", [[batch, 4], [batch]]),
        new("labels, weights, ignore_index 2, mean", [[batch, 4], [batch], [4]]) { Attributes = [("ignore_index", "2")] },
        new("labels, weights, smoothing 0.1, ignore_index -1, mean", [[batch, 4], [batch], [4]]) { Attributes = [("label_smoothing", "0.1"), ("ignore_index", "-1")] },
        new("rank 3 labels on axis 1, smoothing 0.3, none", [[batch, 3, 2], [batch, 2]]) { Attributes = [("axis", "1"), ("label_smoothing", "0.3"), ("reduction", "none")] },
        new("rank 4 labels, classes last, weights, sum", [[batch, 2, 2, 3], [batch, 2, 2], [3]]) { Attributes = [("reduction", "sum")] },
        new("one sample, a label, weights, smoothing 0.5", [[5], [], [5]]) { Attributes = [("label_smoothing", "0.5")] },
    ];

    private const int Axis = 0, Ignore = 1, Smoothing = 2, Reduction = 3;

    /// <summary>FLOPs (see <see cref="OpCost"/>): 7 per score forward (a log-softmax, 5, then the target's product and sum, 2); backward 4 per score (softmax, minus the target, times dJ/dL, accumulate); none to the targets and weights.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double n = inputs[0].Length;
        var backward = new double[inputs.Count];
        backward[0] = 4 * n;
        return new OpCost(7 * n, backward);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        Shape x = q[0], y = q[1];
        if (ClassAxis.Of(q.Attributes, x.Rank) is not { } axis) return ShapeResult.Fail($"logits {q.Name(0)} are {x}: {Axes.OutOfRange(q.Attributes.Integer(Axis), x.Rank)}");
        bool labels = !y.Equals(x);
        if (labels && !ClassLabels.Fits(x, axis, y))
            return ShapeResult.Fail(y.Rank == x.Rank - 1
                ? $"logits {q.Name(0)} are {x}, so class-index targets {q.Name(1)} must be {ClassLabels.Expected(x, axis)} (x's shape without the class axis {axis}), not {y}"
                : $"logits {q.Name(0)} are {x} but target {q.Name(1)} is {y}");
        int ignore = q.Attributes.Integer(Ignore);
        if (!labels && ignore >= 0)
            return ShapeResult.Fail($"ignore_index {ignore} applies to class-index targets, but target {q.Name(1)} holds distributions (x's shape); as torch, ignore_index must be negative with them");
        if (q.Count > 2 && q[2].Length != x[axis])
            return ShapeResult.Fail($"class weights {q.Name(2)} are {q[2]}, but {q.Name(0)} has {x[axis]} classes on axis {axis}");
        return ShapeResult.Ok(LossReduction.Output(q.Attributes, Reduction, Axes.Reduce(x, [axis], keep: false)));
    }

    /// <summary>Distribution targets without weights or smoothing: the row kernels this op had before its options.</summary>
    private static bool Plain<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T> =>
        c.Input(1).Shape.Equals(c.Input(0).Shape) && !c.HasInput(2) && c.Attributes.Number(Smoothing) == 0;

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainLoss(e, e.Attributes.Integer(Ignore), e.Attributes.Number(Smoothing), LossReduction.Of(e.Attributes, Reduction), backward: false);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainLoss(e, e.Attributes.Integer(Ignore), e.Attributes.Number(Smoothing), LossReduction.Of(e.Attributes, Reduction), backward: true);
    }

    /// <summary>
    /// The fused softmax cross-entropy written out (shared with softmax_cross_entropy_rows): per
    /// sample p the softmax s_pj = e^(x_pj - m) / Σ_k e^(x_pk - m), its loss L_p = -Σ_j (t_pj)log(s_pj)
    /// with the targets t (distributions, or one-hot labels times their weight, smoothed), then the
    /// reduction with its denominator; backward dJ/dx_pj = g_p (s_pj - t_pj) entry by entry
    /// ((s_pj)(Σ_j t_pj) - t_pj when the targets do not sum to 1).
    /// </summary>
    internal static void ExplainLoss(Explain.Explanation e, int ignore, double eps, string reduction, bool backward)
    {
        Explain.ExplainTensor x = e.Input(0), y = e.Input(1), l = e.Output;
        var w = e.InputCount > 2 ? e.Input(2) : null;
        int axis = ClassAxis.Of(e.Attributes, x.Shape.Rank) ?? x.Shape.Rank - 1;
        var (outer, classes, inner) = Axes.Split(x.Shape, axis);
        int samples = outer * inner;
        bool labels = !y.Shape.Equals(x.Shape);
        // Each sample's targets and its share of the mean's denominator, as the op's forward computes them.
        double[] Targets(int p, out double weight)
        {
            var t = new double[classes];
            var line = OpExplain.Line(x.Shape, axis, p);
            if (!labels)
            {
                for (int j = 0; j < classes; j++)
                {
                    double yj = y.Values[line[j]], tj = eps == 0 ? yj : (1 - eps) * yj + eps / classes;
                    t[j] = w is null ? tj : w.Values[j] * tj;
                }
                weight = 1;
                return t;
            }
            double label = y.Values[p];
            if (label == ignore || !(label >= 0 && label < classes && label == Math.Floor(label)))
            {
                weight = label == ignore ? 0 : double.NaN;
                return t;
            }
            int c = (int)label;
            for (int j = 0; j < classes; j++) t[j] = w is null ? eps / classes : w.Values[j] * eps / classes;
            weight = w is null ? 1 : w.Values[c];
            t[c] += (1 - eps) * weight;
            return t;
        }
        double denominator = 0;
        var targets = new double[samples][];
        for (int p = 0; p < samples; p++)
        {
            targets[p] = Targets(p, out double wp);
            denominator += wp;
        }
        if (double.IsNaN(denominator))
        {
            if (backward) e.Note("a label is not a class index: the loss is NaN");
            else e.Note("a label is not a class index: the loss is NaN");
            return;
        }
        Explain.MathNumber T(double v) => new(v, x.Single);
        Explain.MathSymbol S(int p, int j) => new("s", samples == 1 ? [j + 1] : [p + 1, j + 1]);
        bool plainTargets = !labels && w is null && eps == 0;
        if (!backward)
        {
            e.Note("s = softmax(" + x.Name + ") along the class axis, then L_p = -Σ_j (t_pj)log(s_pj) per sample p" +
                (labels ? $", t_p the one-hot vector of sample p's label{(w is null ? "" : " times its class weight")}{(ignore >= 0 || labels ? $" (labels equal to ignore_index {ignore} count 0)" : "")}" : w is null ? ", t = the targets" : ", t = the targets times the class weights") +
                (eps > 0 ? $", smoothed: (1 - ε) t + ε/C with ε = {eps.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : ""));
            bool perSample = reduction == LossReduction.None;
            var lossOf = new double[samples];
            var shown = new List<int>();
            void Sample(int p, int? entry)
            {
                var line = OpExplain.Line(x.Shape, axis, p);
                var t = targets[p];
                var js = Enumerable.Range(0, classes).Where(j => t[j] != 0 || (classes <= 10 && OpExplain.Softmax(x, line, j) > 0)).ToList();
                foreach (int j in js)
                    e.Line(S(p, j), OpExplain.SoftmaxExpr(x, line, j), T(OpExplain.Softmax(x, line, j)));
                var terms = js.Select(j => (Explain.MathExpr)new Explain.MathProduct([T(t[j]), Explain.M.Call("log", T(OpExplain.Softmax(x, line, j)))])).ToList();
                Explain.MathExpr loss = new Explain.MathNegation(OpExplain.Sum(terms));
                if (entry is int k) e.Entry(l, k, loss);
                else e.Line(new Explain.MathSymbol("L", [p + 1]), loss, T(lossOf[p]));
            }
            for (int p = 0; p < samples; p++)
            {
                var line = OpExplain.Line(x.Shape, axis, p);
                double m = OpExplain.Max(x, line), z = line.Sum(f => Math.Exp(x.Values[f] - m));
                lossOf[p] = 0.0 - Enumerable.Range(0, classes).Where(j => targets[p][j] != 0).Sum(j => targets[p][j] * (x.Values[line[j]] - m - Math.Log(z)));
            }
            if (perSample)
            {
                OpExplain.Each(e, l, () =>
                {
                    foreach (int k in e.Entries(l)) Sample(OpExplain.Flat(l.Shape, OpExplain.Full(e, l, k)), k);
                });
                return;
            }
            int count = Math.Min(samples, e.Options.MaxEntries);
            if (samples == 1)
            {
                var line = OpExplain.Line(x.Shape, axis, 0);
                var t = targets[0];
                var js = Enumerable.Range(0, classes).Where(j => t[j] != 0 || (classes <= 10 && OpExplain.Softmax(x, line, j) > 0)).ToList();
                foreach (int j in js) e.Line(S(0, j), OpExplain.SoftmaxExpr(x, line, j), T(OpExplain.Softmax(x, line, j)));
                Explain.MathExpr sum = OpExplain.Sum([.. js.Select(j => (Explain.MathExpr)new Explain.MathProduct([T(t[j]), Explain.M.Call("log", T(OpExplain.Softmax(x, line, j)))]))]);
                bool divide = reduction == LossReduction.Mean && denominator != 1;
                e.Entry(l, 0, divide ? new Explain.MathFraction(new Explain.MathNegation(sum), T(denominator)) : new Explain.MathNegation(sum));
                return;
            }
            if (count < samples) e.Note($"the batch has {samples} samples: the first {count} are written out, then the {(reduction == LossReduction.Mean ? "mean" : "sum")} of all");
            for (int p = 0; p < count; p++) Sample(p, null);
            var parts = count == samples ? lossOf.Select(v => (Explain.MathExpr)T(v)).ToList() : [T(lossOf.Sum())];
            if (reduction == LossReduction.Sum) e.Entry(l, 0, OpExplain.Sum(parts));
            else if (plainTargets || (labels && w is null && denominator == samples)) e.Entry(l, 0, OpExplain.Mean(parts, samples));
            else
            {
                Explain.MathExpr den = labels && w is not null && count == samples
                    ? OpExplain.Sum([.. Enumerable.Range(0, samples).Select(p => (Explain.MathExpr)T(y.Values[p] == ignore ? 0 : w.Values[(int)y.Values[p]]))])
                    : T(denominator);
                e.Note(labels ? $"the mean divides by the sum of the weights of the labels not ignored ({denominator.ToString(System.Globalization.CultureInfo.InvariantCulture)})" : $"the mean divides by the {samples} samples");
                e.Entry(l, 0, new Explain.MathFraction(OpExplain.Sum(parts), den));
            }
            return;
        }
        string scale = reduction == LossReduction.None ? "dJ/dL_p" : reduction == LossReduction.Sum ? "dJ/dL" : plainTargets ? "dJ/dL / P (the mean over the P samples)" : "dJ/dL over the mean's denominator";
        e.Note(plainTargets ? $"dJ/dx_pj = g_p (s_pj - y_pj): the softmax minus the target, entry by entry, g_p = {scale}" : $"dJ/dx_pj = g_p ((s_pj)(Σ_j t_pj) - t_pj), g_p = {scale}");
        if (e.Contribution(0) is not { } dx) return;
        var g = e.OutputGrad!;
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int f = OpExplain.Flat(x.Shape, OpExplain.Full(e, dx, k));
                var (p, j) = OpExplain.PositionOf(x.Shape, axis, f);
                var line = OpExplain.Line(x.Shape, axis, p);
                var t = targets[p];
                double total = t.Sum();
                var sj = T(OpExplain.Softmax(x, line, j));
                Explain.MathExpr diff = total == 1 ? new Explain.MathDifference(sj, T(t[j])) : new Explain.MathDifference(new Explain.MathProduct([sj, T(total)]), T(t[j]));
                if (reduction == LossReduction.None) e.Entry(dx, k, new Explain.MathProduct([OpExplain.NumFlat(g, p), diff]));
                else
                {
                    Explain.MathExpr chain = g.Values[0] == 1 ? diff : new Explain.MathProduct([OpExplain.NumFlat(g, 0), diff]);
                    e.Entry(dx, k, reduction == LossReduction.Mean && denominator != 1 ? new Explain.MathFraction(chain, T(denominator)) : chain);
                }
            }
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (rows, cols, inner) = ClassAxis.Split(c);
        int n = rows * inner;
        string reduction = LossReduction.Of(c.Attributes, Reduction);
        var s = c.Scratch(n + 3 * cols);
        T denominator = T.CreateChecked(n);
        if (Plain(c))
            // The per-sample losses and their gradient are softmax_cross_entropy_rows' (the same row kernels).
            SoftmaxCrossEntropyRows.Losses(c, s[..n], s[n..]);
        else
        {
            denominator = T.Zero;
            for (int o = 0; o < rows; o++)
                for (int i = 0; i < inner; i++)
                {
                    s[o * inner + i] = Sample(c, o, i, s.Slice(n, cols), s.Slice(n + cols, cols), out var weight);
                    denominator += weight;
                }
        }
        if (reduction == LossReduction.None)
        {
            s[..n].CopyTo(c.Output.Span);
            return;
        }
        T total = T.Zero;
        foreach (var l in s[..n]) total += l;
        c.Output[0] = reduction == LossReduction.Sum ? total : total / denominator;
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var (rows, cols, inner) = ClassAxis.Split(c);
        int n = rows * inner;
        string reduction = LossReduction.Of(c.Attributes, Reduction);
        var g = c.OutputGrad!.Span;
        if (Plain(c))
        {
            T scale = reduction == LossReduction.Mean ? g[0] / T.CreateChecked(n) : g[0];
            SoftmaxCrossEntropyRows.AddGradient(c, dx, scale, reduction == LossReduction.None ? g : [], c.Scratch(4 * cols));
            return;
        }
        var work = c.Scratch(2 * cols);
        Span<T> lp = work[..cols], t = work[cols..];
        T each = g[0];
        if (reduction == LossReduction.Mean)
        {
            T denominator = T.Zero;
            for (int o = 0; o < rows; o++)
                for (int i = 0; i < inner; i++)
                {
                    Sample(c, o, i, lp, t, out var weight);
                    denominator += weight;
                }
            each /= denominator;
        }
        var d = dx.Span;
        bool overwrite = c.Overwrites(0);
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < inner; i++)
            {
                Sample(c, o, i, lp, t, out _);
                T gs = reduction == LossReduction.None ? g[o * inner + i] : each;
                T sum = T.Zero;
                foreach (var tj in t) sum += tj;
                int start = o * cols * inner + i;
                for (int j = 0; j < cols; j++)
                {
                    ref T dj = ref d[start + j * inner];
                    dj = (overwrite ? T.Zero : dj) + gs * (T.Exp(lp[j]) * sum - t[j]);
                }
            }
    }

    /// <summary>
    /// Sample (o, i): its log-softmax into <paramref name="lp"/>, its weighted target into
    /// <paramref name="t"/>, its share of the mean's denominator (1 for a distribution; w_c for a
    /// label c, 0 when ignored) and its loss -Σ_j t_j lp_j. An invalid label gives NaN.
    /// </summary>
    private static T Sample<T>(OpContext<T> c, int o, int i, Span<T> lp, Span<T> t, out T weight) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var (_, cols, inner) = ClassAxis.Split(c);
        int start = o * cols * inner + i;
        T m = x[start];
        for (int j = 1; j < cols; j++) m = T.Max(m, x[start + j * inner]);
        T s = T.Zero;
        for (int j = 0; j < cols; j++) s += T.Exp(x[start + j * inner] - m);
        T log = T.Log(s);
        for (int j = 0; j < cols; j++) lp[j] = (x[start + j * inner] - m) - log;

        T eps = c.Number(Smoothing), share = eps / T.CreateChecked(cols);
        bool weighted = c.HasInput(2);
        var y = c.Input(1).Span;
        if (c.Input(1).Shape.Equals(c.Input(0).Shape))
        {
            for (int j = 0; j < cols; j++)
            {
                T yj = y[start + j * inner];
                T tj = eps == T.Zero ? yj : (T.One - eps) * yj + share;
                t[j] = weighted ? c.Input(2)[j] * tj : tj;
            }
            weight = T.One;
        }
        else
        {
            int k = ClassLabels.Of(y[o * inner + i], cols, c.Attributes.Integer(Ignore));
            if (k == ClassLabels.Ignored)
            {
                t.Clear();
                weight = T.Zero;
                return T.Zero;
            }
            if (k == ClassLabels.Invalid)
            {
                t.Fill(T.NaN);
                weight = T.NaN;
                return T.NaN;
            }
            for (int j = 0; j < cols; j++) t[j] = weighted ? c.Input(2)[j] * share : share;
            weight = weighted ? c.Input(2)[k] : T.One;
            t[k] += (T.One - eps) * weight;
        }
        T loss = T.Zero;
        for (int j = 0; j < cols; j++)
            if (t[j] != T.Zero) loss -= t[j] * lp[j];
        return loss;
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// Imported from SoftmaxCrossEntropyLoss (every reduction, weights, ignore_index, N x C x d1 x ...;
    /// ONNX's classes are always axis 1, which the form's <c>axis</c> entry gives: ONNX's node has no
    /// such attribute, so its "default" 1 always applies). Exported as a chain: LogSoftmax, then for
    /// distributions Mul by the (smoothed, weighted) targets, ReduceSum along the class axis and Neg;
    /// for labels GatherElements of each label's log-probability, weights by Gather, masks for
    /// ignore_index by Equal and Where, and the smoothing term; then the reduction.
    /// </summary>
    public override bool WritesOwnOnnx => true;

    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("SoftmaxCrossEntropyLoss")
        {
            MinOpset = 12,
            ImportOnly = true,
            Inputs = ["x", "y", "w"],
            ClassIndexInputs = ["y"],
            Attributes =
            [
                new OnnxAttribute("reduction", "reduction"),
                new OnnxAttribute("ignore_index", "ignore_index"),
                new OnnxAttribute("axis", "axis") { OnnxDefault = AttributeValue.Of(1L) },
            ],
            Note = "int64 labels known at import (an initializer, a Constant node or test data)",
        },
    ];

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        string n = node.Name;
        Shape x = node.InputShapes[0], y = node.InputShapes[1];
        int axis = ClassAxis.Of(node.Attributes, x.Rank)!.Value;
        double eps = node.Attributes.Number(Smoothing);
        string reduction = LossReduction.Of(node.Attributes, Reduction);
        bool labels = !y.Equals(x), weighted = node.Inputs.Count > 2;
        if (!labels && !weighted && eps == 0 && reduction == LossReduction.Mean && x.Rank <= 2 && axis == x.Rank - 1)
        {
            // L = -(1/N) Σ y log_softmax(x): the row sums' mean, so that no batch size is in the model.
            writer.Node("LogSoftmax", $"{n}/log_softmax", [node.Inputs[0]], $"{n}/log_softmax", ("axis", -1L));
            writer.Node("Mul", $"{n}/weighted", [node.Inputs[1], $"{n}/log_softmax"], $"{n}/weighted");
            OnnxChains.ScaledMeanOfRowSums(writer, n, $"{n}/weighted", x, -1, n);
            return;
        }
        if (labels && eps == 0 && x.Rank >= 2 && axis == 1)
        {
            // Class indices without smoothing are ONNX's own SoftmaxCrossEntropyLoss (classes on
            // axis 1, weights, ignore_index, reduction: the same definition), which imports back.
            writer.Node("Cast", $"{n}/labels", [node.Inputs[1]], $"{n}/labels", ("to", 7L));   // INT64
            string labelName = $"{n}/labels";
            var indexShape = Axes.Reduce(x, [1], keep: false);
            if (!y.Equals(indexShape))
            {
                writer.Node("Reshape", $"{n}/label_shape", [labelName, writer.Int64s($"{n}/labels_shape", [.. indexShape.Dims.ToArray().Select(d => (long)d)])], $"{n}/labels_reshaped");
                labelName = $"{n}/labels_reshaped";
            }
            writer.Node("SoftmaxCrossEntropyLoss", $"{n}/sce", [node.Inputs[0], labelName, .. node.Inputs.Skip(2)], n,
                ("reduction", reduction), ("ignore_index", (long)node.Attributes.Integer(Ignore)));
            return;
        }
        int classes = x[axis];
        string axes = writer.Int64s($"{n}/axes", axis);
        writer.Node("LogSoftmax", $"{n}/log_softmax", [node.Inputs[0]], $"{n}/log_softmax", ("axis", (long)axis));
        string lp = $"{n}/log_softmax";
        string? wb = null;
        if (weighted)
        {
            // w broadcast along the class axis: 1 x .. x C x .. x 1
            var shape = new long[x.Rank];
            Array.Fill(shape, 1L);
            shape[axis] = classes;
            writer.Node("Reshape", $"{n}/w_broadcast", [node.Inputs[2], writer.Int64s($"{n}/w_shape", shape)], $"{n}/w_broadcast");
            wb = $"{n}/w_broadcast";
        }
        string losses;
        if (!labels)
        {
            string t = node.Inputs[1];
            if (eps != 0)
            {
                writer.Node("Mul", $"{n}/y_scaled", [t, writer.Scalar($"{n}/keep", 1 - eps)], $"{n}/y_scaled");
                writer.Node("Add", $"{n}/y_smoothed", [$"{n}/y_scaled", writer.Scalar($"{n}/share", eps / classes)], $"{n}/y_smoothed");
                t = $"{n}/y_smoothed";
            }
            if (wb is not null)
            {
                writer.Node("Mul", $"{n}/t", [t, wb], $"{n}/t");
                t = $"{n}/t";
            }
            writer.Node("Mul", $"{n}/t_log_p", [t, lp], $"{n}/t_log_p");
            writer.Node("ReduceSum", $"{n}/sample_sums", [$"{n}/t_log_p", axes], $"{n}/sample_sums", ("keepdims", 0L));
            writer.Node("Neg", $"{n}/losses", [$"{n}/sample_sums"], $"{n}/losses");
            LossReduction.WriteOnnx(writer, n, $"{n}/losses", reduction);
            return;
        }

        string zero = writer.Scalar($"{n}/zero", 0);
        bool vector = x.Rank == 1;
        var want = Axes.Reduce(x, [axis], keep: false);
        if (vector)
        {
            // One sample: 1 x C log-probabilities with one label, so that every index tensor has an axis.
            writer.Node("Reshape", $"{n}/log_softmax_row", [lp, writer.Int64s($"{n}/row_shape", 1, classes)], $"{n}/log_softmax_row");
            lp = $"{n}/log_softmax_row";
            axis = 1;
            axes = writer.Int64s($"{n}/row_axes", 1);
            want = new Shape(1);
        }
        writer.Node("Cast", $"{n}/labels", [node.Inputs[1]], $"{n}/labels", ("to", 7L));   // INT64
        string labelsName = $"{n}/labels";
        if (!y.Equals(want))
        {
            writer.Node("Reshape", $"{n}/labels_reshaped", [labelsName, writer.Int64s($"{n}/labels_shape", [.. want.Dims.ToArray().Select(d => (long)d)])], $"{n}/labels_reshaped");
            labelsName = $"{n}/labels_reshaped";
        }
        writer.Node("Equal", $"{n}/ignored", [labelsName, writer.Int64s($"{n}/ignore_index", node.Attributes.Integer(Ignore))], $"{n}/ignored");
        writer.Node("Not", $"{n}/kept", [$"{n}/ignored"], $"{n}/kept");
        writer.Node("Where", $"{n}/safe_labels", [$"{n}/kept", labelsName, writer.Int64s($"{n}/class_zero", 0)], $"{n}/safe_labels");
        writer.Node("Unsqueeze", $"{n}/indices", [$"{n}/safe_labels", axes], $"{n}/indices");
        writer.Node("GatherElements", $"{n}/picked", [lp, $"{n}/indices"], $"{n}/picked", ("axis", (long)axis));
        writer.Node("Squeeze", $"{n}/label_log_p", [$"{n}/picked", axes], $"{n}/label_log_p");
        if (weighted)
        {
            writer.Node("Gather", $"{n}/label_weights", [node.Inputs[2], $"{n}/safe_labels"], $"{n}/label_weights", ("axis", 0L));
            writer.Node("Where", $"{n}/weights", [$"{n}/kept", $"{n}/label_weights", zero], $"{n}/weights");
        }
        else writer.Node("Where", $"{n}/weights", [$"{n}/kept", writer.Scalar($"{n}/one", 1), zero], $"{n}/weights");
        writer.Node("Mul", $"{n}/weighted_log_p", [$"{n}/label_log_p", $"{n}/weights"], $"{n}/weighted_log_p");
        writer.Node("Neg", $"{n}/nll", [$"{n}/weighted_log_p"], $"{n}/nll");
        losses = $"{n}/nll";
        if (eps != 0)
        {
            string wl = lp;
            if (wb is not null)
            {
                writer.Node("Mul", $"{n}/weighted_all", [lp, wb], $"{n}/weighted_all");
                wl = $"{n}/weighted_all";
            }
            writer.Node("ReduceSum", $"{n}/all_sums", [wl, axes], $"{n}/all_sums", ("keepdims", 0L));
            writer.Node("Neg", $"{n}/smooth", [$"{n}/all_sums"], $"{n}/smooth");
            writer.Node("Where", $"{n}/smooth_kept", [$"{n}/kept", $"{n}/smooth", zero], $"{n}/smooth_kept");
            writer.Node("Mul", $"{n}/nll_part", [$"{n}/nll", writer.Scalar($"{n}/keep", 1 - eps)], $"{n}/nll_part");
            writer.Node("Mul", $"{n}/smooth_part", [$"{n}/smooth_kept", writer.Scalar($"{n}/share", eps / classes)], $"{n}/smooth_part");
            writer.Node("Add", $"{n}/losses", [$"{n}/nll_part", $"{n}/smooth_part"], $"{n}/losses");
            losses = $"{n}/losses";
        }
        if (reduction == LossReduction.Mean)
        {
            writer.Node("ReduceSum", $"{n}/total", [losses], $"{n}/total", ("keepdims", 0L));
            writer.Node("ReduceSum", $"{n}/total_weight", [$"{n}/weights"], $"{n}/total_weight", ("keepdims", 0L));
            writer.Node("Div", $"{n}/mean", [$"{n}/total", $"{n}/total_weight"], n);
        }
        else if (vector && reduction == LossReduction.None)
            writer.Node("Reshape", $"{n}/scalar", [losses, writer.Int64s($"{n}/scalar_shape")], n);
        else LossReduction.WriteOnnx(writer, n, losses, reduction);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.cross_entropy(x, y, weight=w, ignore_index, reduction, label_smoothing), the class axis moved to torch's
    /// axis 1: torch's rules are NetSpec's (probability targets of x's shape, class indices of one axis fewer, the weighted mean over
    /// the labels not ignored, smoothing as (1 - ε) nll + ε/C Σ w (-ln p)). A label that is neither a class nor ignore_index gives NaN
    /// in NetSpec, where torch raises an error.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        var a = node.Attributes;
        return TorchForm.Of(TorchCrossEntropy(node, ClassAxis.Of(a, x.Rank)!.Value, a.Integer(Ignore), a.Number(Smoothing), LossReduction.Of(a, Reduction)));
    }

    /// <summary>F.cross_entropy of the node's x and y (and w), the class axis <paramref name="axis"/> moved to torch's 1.</summary>
    internal static string TorchCrossEntropy(TorchNode node, int axis, int ignore, double smoothing, string reduction)
    {
        var x = node.InputShapes[0];
        bool labels = !node.InputShapes[1].Equals(x);
        string Classes(string t) => axis == 1 || x.Rank == 1 ? t : $"torch.movedim({t}, {axis}, 1)";
        string y = labels ? TorchForms.Labels(node, 1, x, axis) : Classes(node[1]);
        var args = new List<string> { Classes(node[0]), y };
        if (node.Count > 2) args.Add($"weight={node[2]}");
        if (ignore != -100) args.Add($"ignore_index={ignore}");
        args.Add($"reduction={Py.Str(reduction)}");
        if (smoothing != 0) args.Add($"label_smoothing={Py.Num(smoothing)}");
        return $"F.cross_entropy({string.Join(", ", args)})";
    }
}
