namespace NetSpec.Runtime.Ops;

/// <summary>
/// Elementwise sum with broadcasting (ONNX Add, rank 2 at most): y = a + b.
/// Backward: dJ/da = G, dJ/db = G, each summed over the axes its input was broadcast along.
/// </summary>
public sealed class Add : ElementwiseBinary
{
    public override string Name => "add";
    public override string Summary => "Element-wise sum with NumPy broadcasting (ONNX Add).";
    public override string Example => "{op: add, a: A, b: B}";
    public override string Formula => "y = a + b";
    public override string GradientFormula => "dJ/da = G; dJ/db = G (summed over broadcast axes)";
    protected override T Apply<T>(T a, T b) => a + b;
    protected override (T Da, T Db) Derivatives<T>(T a, T b) => (T.One, T.One);

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Add with NumPy broadcasting (opset 7 on; before 7 it broadcast by an attribute).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Add") { MinOpset = 7 }];
}
