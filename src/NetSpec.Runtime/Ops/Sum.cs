using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum of any number of same-shape inputs: K = s_1 + s_2 + ... .
/// Backward: dJ/ds_i = dJ/dK for every input.
/// </summary>
public sealed class Sum : Op
{
    public override string Name => "sum";
    public override string Category => "element-wise";
    public override string Summary => "The sum of one or more values of one shape.";
    public override string ShapeRule => "every input the same shape; K: that shape";
    public override string Example => "{op: sum, inputs: [L, S]}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("three inputs", [[batch, 3], [batch, 3], [batch, 3]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "K = s_1 + s_2 + ...";
    public override string GradientFormula => "dJ/ds_i = dJ/dK";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("inputs", "one or more values of one shape") { IsList = true }];

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n)
    {
        for (int i = 1; i < s.Count; i++)
            if (!s[i].Equals(s[0]))
                return ShapeResult.Fail($"input {n[i]} is {s[i]} but input {n[0]} is {s[0]}: sum adds values of one shape");
        return ShapeResult.Ok(s[0]);
    }

    protected override void Forward<T>(OpContext<T> c)
    {
        var y = c.Output.Span;
        c.Input(0).Span.CopyTo(y);
        for (int i = 1; i < c.InputCount; i++) Vec.AddInPlace<T>(c.Input(i).Data, y);
    }

    protected override void Backward<T>(OpContext<T> c)
    {
        for (int i = 0; i < c.InputCount; i++)
            if (c.InputGrad(i) is { } dx) Vec.AddInPlace<T>(c.OutputGrad!.Data, dx.Data);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Sum (from opset 8 ONNX broadcasts; NetSpec's shape rule takes inputs of one shape only).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Sum") { MinOpset = 6 }];
}
