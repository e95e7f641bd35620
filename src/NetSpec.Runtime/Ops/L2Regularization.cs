using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// L2 regularization of one or more weights: S = lambda/2 * sum_k ||W_k||_F^2.
/// Backward: dJ/dW_k = dJ/dS * lambda W_k. Not averaged over the batch. A weight may have any
/// rank (a bias vector, a matrix, a convolution kernel); ||W||_F² is the sum of the squares of all its elements.
/// </summary>
public sealed class L2Regularization : Op
{
    public override string Name => "l2_regularization";
    public override string Category => "loss";
    public override string Summary => "Weight decay: half lambda times the sum of squares of the weights (not averaged over the batch).";
    public override string ShapeRule => "weights: one or more tensors of any shapes and ranks; S: scalar";
    public override string Convention =>
        "The course notes' weight decay, λ/2 Σ ||W||², added to the objective: its gradient λW is what torch.optim.SGD's " +
        "weight_decay = λ adds. It is not divided by the batch size, and it is a node of its own: list the weights to decay " +
        "(usually not the biases).";
    public override string Example => "{op: l2_regularization, weights: [W, M], lambda: lambda}";
    public override bool WritesFirstGradient => true;
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("two weights", [[3, 4], [2, 3]]) { Attributes = [("lambda", "0.3")] },
        new("any ranks: a kernel, a vector and a scalar", [[2, 3, 2, 2], [batch], []]) { Attributes = [("lambda", "0.7")] },
        new("one weight listed twice", [[3, 4], [3, 4]]) { Attributes = [("lambda", "0.3")], Shared = [[0, 1]] },
    ];
    /// <summary>FLOPs (see <see cref="OpCost"/>): 2 per weight element forward (square, sum); backward 2 per element of each weight (times λ dJ/dS, accumulate).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(2.0 * inputs.Sum(s => (double)s.Length), [.. inputs.Select(s => 2.0 * s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "S = λ/2 Σ_k ||W_k||_F²";
    public override string GradientFormula => "dJ/dW_k = dJ/dS · λ W_k";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("weights", "one or more weights, each of any shape") { IsList = true }];
    public override IReadOnlyList<AttributeSpec> Attributes { get; } = [AttributeSpec.Number("lambda", "the regularization strength λ (a number or a hyperparameter's name)", min: 0)];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) => ShapeResult.Ok(Shape.Scalar);

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int i = 0; i < c.InputCount; i++) sum += Vec.SumOfSquares<T>(c.Input(i).Data);
        c.Output[0] = c.Number(0) / T.CreateChecked(2) * sum;
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T scale = c.OutputGrad![0] * c.Number(0);
        for (int i = 0; i < c.InputCount; i++)
            if (c.InputGrad(i) is { } dw)
            {
                if (c.Overwrites(i)) VecParallel.ScaleInto<T>(scale, c.Input(i).Data, dw.Data, c.Gemm.Threads);
                else VecParallel.Axpy<T>(scale, c.Input(i).Data, dw.Data, c.Gemm.Threads);
            }
    }

    // Explanation: S = (0.1 / 2)((1)^2 + (2)^2 + ...) = (0.1 / 2)(139) = 6.95, as the notes write it.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        double lambda = e.Attributes.Number(0);
        int count = Enumerable.Range(0, e.InputCount).Sum(i => e.Input(i).Values.Length);
        double total = Enumerable.Range(0, e.InputCount).Sum(i => e.Input(i).Values.Sum(v => v * v));
        var halfLambda = new Explain.MathFraction(e.N(lambda), Explain.M.Num(2));
        if (count <= 4 * e.Options.MaxEntries)
        {
            var squares = Enumerable.Range(0, e.InputCount).SelectMany(i => e.Input(i).Values.Select(v => (Explain.MathExpr)Explain.M.Pow(e.N(v), Explain.M.Num(2))));
            e.Entry(e.Output, 0, Explain.M.Product(halfLambda, Explain.M.Sum(squares)), Explain.M.Product(halfLambda, e.N(total)));
        }
        else
        {
            e.Note($"the {count} squares are not written out one by one: their sum is {Format(total)}");
            e.Entry(e.Output, 0, Explain.M.Product(halfLambda, e.N(total)));
        }
    }

    private static string Format(double v) => Parser.Model.Format.Number(v);

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        double lambda = e.Attributes.Number(0);
        var dS = e.OutputGrad!;
        for (int k = 0; k < e.InputCount; k++)
        {
            if (e.Contribution(k) is not { } dw) continue;
            var w = e.Input(k);
            e.Formula(dw.WholeSym, Explain.M.Product(dS.WholeSym, e.N(lambda), new Explain.MathSymbol(w.Name)));
            foreach (int i in e.Entries(dw))
                e.Entry(dw, i, Explain.M.Product(dS.NumFlat(0), e.N(lambda), w.NumFlat(i)));
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as a chain: per weight Mul (the square) and ReduceSum, then Sum and Mul by lambda/2.</summary>
    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // S = λ/2 Σ_k ||W_k||²
        string n = node.Name;
        var parts = new List<string>();
        for (int k = 0; k < node.Inputs.Count; k++)
        {
            writer.Node("Mul", $"{n}/square{k}", [node.Inputs[k], node.Inputs[k]], $"{n}/square{k}");
            writer.Node("ReduceSum", $"{n}/sum{k}", [$"{n}/square{k}"], $"{n}/sum{k}", ("keepdims", 0L));
            parts.Add($"{n}/sum{k}");
        }
        writer.Node("Sum", $"{n}/total", parts, $"{n}/total");
        writer.Node("Mul", $"{n}/scaled", [$"{n}/total", writer.Scalar($"{n}/scale", node.Attributes.Number(0) / 2)], n);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives λ W.

    /// <summary>λ / 2 * (W_1.square().sum() + W_2.square().sum() + ...).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"{Py.Num(node.Attributes.Number(0))} / 2 * ({Py.Sum(node.Inputs.Select(w => $"{w}.square().sum()"))})");
    }
}
