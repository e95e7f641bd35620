namespace NetSpec.Runtime.Ops;

/// <summary>
/// Cross-entropy of probabilities o against target distributions y, averaged over the batch:
/// L = -(1/N) Σ_n Σ_j y_nj ln o_nj (terms with y_nj = 0 count as 0).
/// Backward: dJ/do_nj = -dJ/dL · y_nj / (N o_nj). The target gets no gradient.
/// </summary>
public sealed class CrossEntropy : Op
{
    public override string Name => "cross_entropy";
    public override string Category => "loss";
    public override string Summary => "Cross-entropy of predicted probabilities against target distributions, averaged over the batch.";
    public override string ShapeRule => "o and y: N x classes; L: scalar";
    public override string Example => "{op: cross_entropy, o: o, y: y}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 4], [batch, 4]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "L = -(1/N) Σ_n Σ_j y_nj ln o_nj";
    public override string GradientFormula => "dJ/do = -dJ/dL · y / (N o)";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("o", "probabilities, N x classes") { Domain = ValueDomain.Distribution, MinRank = 2, MaxRank = 2 }, new("y", "target distributions, N x classes (no gradient)") { Differentiable = false, Domain = ValueDomain.Distribution }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) =>
        s[0].Rank != 2 ? ShapeResult.Fail($"input {n[0]} is {s[0]}, but cross_entropy takes rows of probabilities (N x classes)")
        : s[0].Equals(s[1]) ? ShapeResult.Ok(Shape.Scalar)
        : ShapeResult.Fail($"probabilities {n[0]} are {s[0]} but target {n[1]} is {s[1]}");

    protected override void Forward<T>(OpContext<T> c)
    {
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T sum = T.Zero;
        for (int i = 0; i < o.Length; i++)
            if (y[i] != T.Zero) sum += y[i] * T.Log(o[i]);
        c.Output[0] = -sum / T.CreateChecked(c.Input(0).Shape.Rows);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dO) return;
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T scale = c.OutputGrad![0] / T.CreateChecked(c.Input(0).Shape.Rows);
        for (int i = 0; i < o.Length; i++)
            if (y[i] != T.Zero) dO[i] -= scale * y[i] / o[i];
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as a chain: Log, Mul by the targets, ReduceSum, Mul by -1/N.</summary>
    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // L = -(1/N) Σ y ln o
        string n = node.Name;
        writer.Node("Log", $"{n}/log", [node.Inputs[0]], $"{n}/log");
        writer.Node("Mul", $"{n}/weighted", [node.Inputs[1], $"{n}/log"], $"{n}/weighted");
        writer.Node("ReduceSum", $"{n}/sum", [$"{n}/weighted"], $"{n}/sum", ("keepdims", 0L));
        writer.Node("Mul", $"{n}/scaled", [$"{n}/sum", writer.Scalar($"{n}/scale", -1.0 / node.InputShapes[0].Rows)], n);
    }
}
