namespace NetSpec.Runtime.Ops;

/// <summary>
/// The identity, element by element: y = x (a copy, so y is a node of its own in the trace).
/// Backward: dJ/dx = dJ/dy.
/// </summary>
public sealed class Identity : ElementwiseUnary
{
    public override string Name => "identity";
    public override string Summary => "The identity: y is a copy of x.";
    public override string Formula => "y = x";
    public override string GradientFormula => "dJ/dx = dJ/dy";
    public override string Convention =>
        "torch.nn.Identity and ONNX Identity on tensors (ONNX Identity on sequences and optionals is out of scope).";
    public override string Example => "{op: identity, x: z}";

    protected override T F<T>(T x) => x;
    protected override T Df<T>(T x, T y) => T.One;

    /// <summary>ONNX Identity (opset 1 on; it has had no attributes in any opset).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Identity")];
}
