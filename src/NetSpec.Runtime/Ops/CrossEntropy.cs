namespace NetSpec.Runtime.Ops;

/// <summary>
/// Cross-entropy of probabilities o against target distributions y along the class axis (the
/// last by default), averaged over the P samples, every position but the class axis
/// (P = N for N x classes): L = -(1/P) Σ_p Σ_j y_pj ln o_pj (terms with y_pj = 0 count as 0).
/// Backward: dJ/do_pj = -dJ/dL · y_pj / (P o_pj). The target gets no gradient.
/// </summary>
public sealed class CrossEntropy : Op
{
    public override string Name => "cross_entropy";
    public override string Category => "loss";
    public override string Summary => "Cross-entropy of predicted probabilities against target distributions along the class axis, averaged over the samples.";
    public override string Formula => "L = -(1/P) Σ_p Σ_j y_pj ln o_pj, j along the class axis, p over the P samples (every other position; P = N for N x classes); terms with y = 0 are 0";
    public override string GradientFormula => "dJ/do = -dJ/dL · y / (P o)";
    public override string ShapeRule => "o and y: the same shape, N x classes by default (classes along axis, every other position a sample); L: scalar";
    public override string Convention =>
        "The course notes' cross-entropy of probabilities (softmax outputs); in PyTorch -(y * o.log()).sum(axis).mean() over the " +
        "other axes. For logits prefer softmax_cross_entropy (torch.nn.CrossEntropyLoss), which is exact for large logits. " + ClassAxis.Convention;
    public override string Example => "{op: cross_entropy, o: o, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("o", "probabilities, N x classes (or classes along axis); each line along the class axis a distribution") { Domain = ValueDomain.Distribution, MinRank = 1 },
        new("y", "target distributions, the shape of o (no gradient)") { Differentiable = false, Domain = ValueDomain.Distribution },
    ];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } = [ClassAxis.Attribute];

    public override int DistributionAxis(AttributeValues attributes, int rank) => ClassAxis.Of(attributes, rank) ?? rank - 1;

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4], [batch, 4]]),
        new("rank 3, classes on axis 1", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "1")] },
        new("rank 3, classes last", [[batch, 3, 4], [batch, 3, 4]]) { Attributes = [("axis", "-1")] },
        new("one sample (a vector)", [[4], [4]]),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 3 per element forward (log, product with the target, sum); backward 3 per element of o (divide, times dJ/dL, accumulate).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(3.0 * inputs[0].Length, [3.0 * inputs[0].Length, 0]);
    }

    protected override ShapeResult InferShape(ShapeQuery q) =>
        ClassAxis.Check(q, "probabilities") is { } error ? ShapeResult.Fail(error) : ShapeResult.Ok(Shape.Scalar);

    // The sum runs over every element whatever the class axis; only the number of samples P depends on it.
    private static int Samples<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (outer, _, inner) = ClassAxis.Split(c);
        return outer * inner;
    }

    /// <summary>L = -(1/P)((y_11)log(o_11) + (y_12)log(o_12) + ...): every term written out, the averaging over the P samples too.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor o = e.Input(0), y = e.Input(1), l = e.Output;
        int axis = ClassAxis.Of(e.Attributes, o.Shape.Rank) ?? o.Shape.Rank - 1;
        var (outer, _, inner) = Axes.Split(o.Shape, axis);
        int samples = outer * inner;
        e.Note(Formula);
        Explain.MathExpr Term(int f) => new Explain.MathProduct([OpExplain.NumFlat(y, f), Explain.M.Call("log", OpExplain.NumFlat(o, f))]);
        // A term with y = 0 counts as 0: written when o > 0 (log(0) is left out).
        var kept = Enumerable.Range(0, o.Shape.Length).Where(f => y.Values[f] != 0 || o.Values[f] > 0).ToList();
        if (kept.Count <= OpExplain.MaxTerms)
        {
            e.Entry(l, 0, new Explain.MathNegation(OpExplain.Mean([.. kept.Select(Term)], samples)));
            return;
        }
        e.Note($"{o.Name} has {samples} samples: the first {Math.Min(samples, e.Options.MaxEntries)} are written out, then the mean of all");
        double total = 0;
        for (int p = 0; p < samples; p++)
        {
            var line = OpExplain.Line(o.Shape, axis, p).Where(f => y.Values[f] != 0).ToArray();
            double lp = -line.Sum(f => y.Values[f] * Math.Log(o.Values[f]));
            total += lp;
            if (p < e.Options.MaxEntries) e.Line(new Explain.MathSymbol("L", [p + 1]), new Explain.MathNegation(OpExplain.Sum([.. line.Select(Term)])), new Explain.MathNumber(lp));
        }
        e.Entry(l, 0, OpExplain.Mean([new Explain.MathNumber(total)], samples));
    }

    /// <summary>dJ/do_j = -(dJ/dL)(y_j) / ((P)(o_j)) entry by entry.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        if (e.Contribution(0) is not { } d) return;
        Explain.ExplainTensor o = e.Input(0), y = e.Input(1), g = e.OutputGrad!;
        int axis = ClassAxis.Of(e.Attributes, o.Shape.Rank) ?? o.Shape.Rank - 1;
        var (outer, _, inner) = Axes.Split(o.Shape, axis);
        int samples = outer * inner;
        OpExplain.Each(e, d, () =>
        {
            foreach (int k in e.Entries(d))
            {
                int f = OpExplain.Flat(o.Shape, OpExplain.Full(e, d, k));
                Explain.MathExpr num = new Explain.MathNegation(OpExplain.Times(OpExplain.NumFlat(g, 0), OpExplain.NumFlat(y, f)));
                if (y.Values[f] == 0)
                {
                    e.Entry(d, k, num);
                    continue;
                }
                Explain.MathExpr den = samples == 1 ? OpExplain.NumFlat(o, f) : new Explain.MathProduct([new Explain.MathNumber(samples), OpExplain.NumFlat(o, f)]);
                e.Entry(d, k, new Explain.MathFraction(num, den));
            }
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T sum = T.Zero;
        for (int i = 0; i < o.Length; i++)
            if (y[i] != T.Zero) sum += y[i] * T.Log(o[i]);
        c.Output[0] = -sum / T.CreateChecked(Samples(c));
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dO) return;
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T scale = c.OutputGrad![0] / T.CreateChecked(Samples(c));
        for (int i = 0; i < o.Length; i++)
            if (y[i] != T.Zero) dO[i] -= scale * y[i] / o[i];
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as a chain: Log, Mul by the targets, ReduceSum over the last axis, ReduceMean, Mul by -1 (no batch size in the model).</summary>
    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // L = -(1/N) Σ y ln o
        string n = node.Name;
        writer.Node("Log", $"{n}/log", [node.Inputs[0]], $"{n}/log");
        writer.Node("Mul", $"{n}/weighted", [node.Inputs[1], $"{n}/log"], $"{n}/weighted");
        OnnxChains.ScaledMeanOfRowSums(writer, n, $"{n}/weighted", node.InputShapes[0], -1, n);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>-(Σ y ln o) / P over the entries with y ≠ 0 (a y = 0 entry is 0 even where o = 0: the inner where keeps
    /// its log and gradient finite); P = o.numel() / C at run time.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var o = node.InputShapes[0];
        int axis = ClassAxis.Of(node.Attributes, o.Rank)!.Value;
        string p = node[0], y = node[1];
        string terms = $"torch.where({y} != 0, {y} * torch.log(torch.where({y} != 0, {p}, torch.ones_like({p}))), torch.zeros_like({p}))";
        return TorchForm.Of($"-({terms}).sum() / ({p}.numel() // {p}.shape[{axis}])");
    }
}
