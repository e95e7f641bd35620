namespace NetSpec.Runtime.Ops;

/// <summary>
/// Elementwise difference with broadcasting (ONNX Sub, rank 2 at most): y = a - b.
/// Backward: dJ/da = G, dJ/db = -G, each summed over the axes its input was broadcast along.
/// </summary>
public sealed class Sub : ElementwiseBinary
{
    public override string Name => "sub";
    public override string Summary => "Element-wise difference with NumPy broadcasting (ONNX Sub).";
    public override string Example => "{op: sub, a: A, b: B}";
    public override string Formula => "y = a - b";
    public override string GradientFormula => "dJ/da = G; dJ/db = -G (summed over broadcast axes)";
    protected override T Apply<T>(T a, T b) => a - b;
    protected override (T Da, T Db) Derivatives<T>(T a, T b) => (T.One, -T.One);

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Sub with NumPy broadcasting (opset 7 on).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Sub") { MinOpset = 7 }];
}
