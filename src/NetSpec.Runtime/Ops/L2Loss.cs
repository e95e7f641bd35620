namespace NetSpec.Runtime.Ops;

/// <summary>
/// L2 loss, averaged over the batch: L = (1/N) Σ_n 1/2 ||o_n - y_n||², per sample the notes'
/// L = 1/2 ||o - y||².
/// Backward: dJ/do = dJ/dL · (o - y) / N. The target y gets no gradient.
/// </summary>
public sealed class L2Loss : Op
{
    public override string Name => "l2_loss";
    public override string Category => "loss";
    public override string Summary => "Half the squared error per sample, averaged over the batch (the course notes' loss).";
    public override string ShapeRule => "o and y: N x d; L: scalar";
    public override string Example => "{op: l2_loss, o: o, y: y}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 3], [batch, 3]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "L = (1/N) Σ_n ½ ||o_n - y_n||²";
    public override string GradientFormula => "dJ/do = dJ/dL · (o - y) / N";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("o", "predictions, N x d"), new("y", "targets, N x d (no gradient)") { Differentiable = false }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) =>
        s[0].Equals(s[1]) ? ShapeResult.Ok(Shape.Scalar)
            : ShapeResult.Fail($"prediction {n[0]} is {s[0]} but target {n[1]} is {s[1]}");

    protected override void Forward<T>(OpContext<T> c)
    {
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T sum = T.Zero;
        for (int i = 0; i < o.Length; i++)
        {
            T d = o[i] - y[i];
            sum += d * d;
        }
        c.Output[0] = sum / (T.CreateChecked(2) * T.CreateChecked(c.Input(0).Shape.Rows));
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is not { } dO) return;
        var o = c.Input(0).Data;
        var y = c.Input(1).Data;
        T scale = c.OutputGrad![0] / T.CreateChecked(c.Input(0).Shape.Rows);
        for (int i = 0; i < o.Length; i++) dO[i] += scale * (o[i] - y[i]);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>Exported as a chain: Sub, Mul (the square), ReduceSum, Mul by 1/(2N); ONNX has no op to import as l2_loss.</summary>
    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        // L = (1/N) Σ 1/2 ||o - y||²
        string n = node.Name;
        writer.Node("Sub", $"{n}/diff", node.Inputs, $"{n}/diff");
        writer.Node("Mul", $"{n}/square", [$"{n}/diff", $"{n}/diff"], $"{n}/square");
        writer.Node("ReduceSum", $"{n}/sum", [$"{n}/square"], $"{n}/sum", ("keepdims", 0L));
        writer.Node("Mul", $"{n}/scaled", [$"{n}/sum", writer.Scalar($"{n}/scale", 0.5 / node.InputShapes[0].Rows)], n);
    }
}
