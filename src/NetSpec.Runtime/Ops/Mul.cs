namespace NetSpec.Runtime.Ops;

/// <summary>
/// Elementwise product with broadcasting (ONNX Mul, rank 2 at most): y = a ⊙ b.
/// Backward: dJ/da = G ⊙ b, dJ/db = G ⊙ a, each summed over the axes its input was broadcast along.
/// </summary>
public sealed class Mul : ElementwiseBinary
{
    public override string Name => "mul";
    public override string Summary => "Element-wise product with NumPy broadcasting (ONNX Mul).";
    public override string Example => "{op: mul, a: A, b: B}";
    public override string Formula => "y = a ⊙ b";
    public override string GradientFormula => "dJ/da = G ⊙ b; dJ/db = G ⊙ a (summed over broadcast axes)";
    protected override T Apply<T>(T a, T b) => a * b;
    protected override (T Da, T Db) Derivatives<T>(T a, T b) => (b, a);

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Mul with NumPy broadcasting (opset 7 on).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Mul") { MinOpset = 7 }];
}
