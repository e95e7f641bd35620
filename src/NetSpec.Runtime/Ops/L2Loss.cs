namespace NetSpec.Runtime.Ops;

/// <summary>
/// L2 loss, averaged over the batch: L = (1/N) Σ_n ½ ||o_n - y_n||², per sample the notes'
/// L = ½ ||o - y||². The batch is the first axis; each sample o_n is everything under it (a row of
/// N x d, a d1 x d2 block of N x d1 x d2), its squared norm summed over all its elements. A vector or
/// a scalar is one sample (N = 1), as linear's output for one sample is.
/// Backward: dJ/do = dJ/dL · (o - y) / N. The target y gets no gradient.
/// </summary>
public sealed class L2Loss : Op
{
    public override string Name => "l2_loss";
    public override string Category => "loss";
    public override string Summary => "Half the squared error per sample, averaged over the batch (the course notes' loss).";
    public override string Formula => "L = (1/N) Σ_n ½ ||o_n - y_n||², n over the first axis, the norm over every other axis";
    public override string GradientFormula => "dJ/do = dJ/dL · (o - y) / N";
    public override string ShapeRule => "o and y: the same shape, N x ... (the first axis the batch; a vector or scalar is one sample); L: scalar";
    public override string Convention =>
        "The course notes' loss (L2 Loss Layer: L = ½ ||o - y||², dJ/do = o - y) per sample, averaged over the batch " +
        "(the first axis). It is not mse_loss (torch.nn.MSELoss), which averages (o - y)² over every element. They differ " +
        "by a factor of 2 and by the per-row sum: for N x d (d the elements of one sample), l2_loss sums the d squared " +
        "errors of each row and halves them, where mse_loss averages them, so mse_loss = l2_loss · 2 / d and " +
        "mse_loss with reduction sum = l2_loss · 2N. In PyTorch l2_loss is 0.5 * ((o - y) ** 2).sum() / N.";
    public override string Example => "{op: l2_loss, o: o, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("o", "predictions, N x d or any shape with the batch first"),
        new("y", "targets, the shape of o (no gradient)") { Differentiable = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 3], [batch, 3]]),
        new("rank 3", [[batch, 3, 4], [batch, 3, 4]]),
        new("one sample (a vector)", [[3], [3]]),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 3 per element forward (difference, square, sum); backward 3 per element of o (difference, times dJ/dL / N, accumulate).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(3.0 * inputs[0].Length, [3.0 * inputs[0].Length, 0]);
    }

    protected override ShapeResult InferShape(ShapeQuery q) =>
        q[0].Equals(q[1]) ? ShapeResult.Ok(Shape.Scalar)
            : ShapeResult.Fail($"prediction {q.Name(0)} is {q[0]} but target {q.Name(1)} is {q[1]}");

    /// <summary>N, the size of the first axis; 1 for a vector or a scalar (one sample).</summary>
    private static int Batch(Shape s) => s.Rank >= 2 ? s[0] : 1;

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T sum = T.Zero;
        for (int i = 0; i < o.Length; i++)
        {
            T d = o[i] - y[i];
            sum += d * d;
        }
        c.Output[0] = sum / (T.CreateChecked(2) * T.CreateChecked(Batch(c.Input(0).Shape)));
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dO) return;
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T scale = c.OutputGrad![0] / T.CreateChecked(Batch(c.Input(0).Shape));
        for (int i = 0; i < o.Length; i++) dO[i] += scale * (o[i] - y[i]);
    }

    // Explanation: L = (1 / 2)((320 - 321)^2 + (347 - 345)^2) = (1 / 2)(5) = 2.5; dJ/do_1 = (1)(320 - 321) = -1.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (o, y) = (e.Input(0), e.Input(1));
        int n = Batch(o.Shape);
        var factor = new Explain.MathFraction(Explain.M.Num(1), Explain.M.Num(2 * n));
        double total = 0;
        for (int i = 0; i < o.Values.Length; i++) total += (o.Values[i] - y.Values[i]) * (o.Values[i] - y.Values[i]);
        if (n > 1) e.Note($"averaged over the batch of {n}: half the squared error of every sample, summed, divided by {n}");
        if (o.Values.Length <= 4 * e.Options.MaxEntries)
        {
            var diffs = Enumerable.Range(0, o.Values.Length).Select(i =>
                (Explain.MathExpr)Explain.M.Pow(Explain.M.Group(e.N(o.Values[i]) - e.N(y.Values[i])), Explain.M.Num(2)));
            var squares = Enumerable.Range(0, o.Values.Length).Select(i => (Explain.MathExpr)e.N((o.Values[i] - y.Values[i]) * (o.Values[i] - y.Values[i])));
            e.Entry(e.Output, 0, Explain.M.Product(factor, Explain.M.Sum(diffs)), Explain.M.Product(factor, Explain.M.Sum(squares)), Explain.M.Product(factor, e.N(total)));
        }
        else
        {
            e.Note($"the {o.Values.Length} squared errors are not written out one by one: their sum is {Parser.Model.Format.Number(total)}");
            e.Entry(e.Output, 0, Explain.M.Product(factor, e.N(total)));
        }
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Contribution(0) is not { } dO) return;
        var (o, y, dL) = (e.Input(0), e.Input(1), e.OutputGrad!);
        int n = Batch(o.Shape);
        var diff = Explain.M.Group(new Explain.MathSymbol(o.Name) - new Explain.MathSymbol(y.Name));
        e.Formula(dO.WholeSym, n > 1 ? Explain.M.Product(dL.WholeSym, diff) / Explain.M.Num(n) : Explain.M.Product(dL.WholeSym, diff));
        e.ForEachSample(() =>
        {
            foreach (int i in e.Entries(dO))
            {
                Explain.MathExpr w = Explain.M.Product(dL.NumFlat(0), Explain.M.Group(o.NumFlat(i) - y.NumFlat(i)));
                e.Entry(dO, i, n > 1 ? w / Explain.M.Num(n) : w);
            }
        });
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as a chain: Sub, Mul (the square), ReduceSum over the last axis, ReduceMean, Mul by 1/2 (no batch size in the model); ONNX has no op to import as l2_loss.</summary>
    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // L = (1/N) Σ 1/2 ||o - y||²
        string n = node.Name;
        writer.Node("Sub", $"{n}/diff", node.Inputs, $"{n}/diff");
        writer.Node("Mul", $"{n}/square", [$"{n}/diff", $"{n}/diff"], $"{n}/square");
        OnnxChains.ScaledMeanOfRowSums(writer, n, $"{n}/square", node.InputShapes[0], 0.5, n);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>((o - y) ** 2).sum() / (2 N), N the first axis at run time (1 for a vector or a scalar).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string n = node.InputShapes[0].Rank >= 2 ? $"(2 * {node[0]}.shape[0])" : "2";
        return TorchForm.Of($"(({node[0]} - {node[1]}) ** 2).sum() / {n}");
    }
}
