using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// ReLU: h_i = v_i if v_i &gt; 0, else 0.
/// Backward: dJ/dv = dJ/dh ⊙ relu'(v), relu'(v_i) = 1 if v_i &gt; 0 else 0 (so relu'(0) = 0).
/// </summary>
public sealed class Relu : Op
{
    public override string Name => "relu";
    public override string Category => "activation";
    public override string Summary => "Rectified linear unit, element by element.";
    public override string ShapeRule => "h has the shape of v";
    public override string Example => "{op: relu, x: z}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("batch", [[batch, 6]])];
    protected override ShapeResult InferShape(ShapeQuery q) => Infer(q.Shapes, q.Names);
    public override string Formula => "h = relu(v) = max(v, 0)";
    public override string GradientFormula => "dJ/dv = dJ/dh ⊙ [v > 0]";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor")];

    public override bool HasKinkAtZero => true;

    private static ShapeResult Infer(IReadOnlyList<Shape> s, IReadOnlyList<string> n) => ShapeResult.Ok(s[0]);

    protected override void Forward<T>(OpContext<T> c) => Vec.Relu<T>(c.Input(0).Data, c.Output.Data);

    protected override void Backward<T>(OpContext<T> c)
    {
        if (c.InputGrad(0) is { } dx) Vec.ReluBackward<T>(c.Input(0).Data, c.OutputGrad!.Data, dx.Data);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Relu (opset 6 on; before 6 it had a consumed_inputs attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Relu") { MinOpset = 6 }];
}
