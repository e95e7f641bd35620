using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The error function, element by element: y = erf(x) = 2/√π ∫₀ˣ e^(-t²) dt, in (-1, 1).
/// Backward: dJ/dx = dJ/dy ⊙ 2/√π e^(-x²), from the input as PyTorch computes it.
/// </summary>
public sealed class Erf : ElementwiseUnary<Erf.Function>
{
    public override string Name => "erf";
    public override string Summary => "The Gauss error function, element by element (the building block of the exact GELU).";
    public override string Formula => "y = erf(x) = 2/√π ∫₀ˣ e^(-t²) dt";
    public override string GradientFormula => "dJ/dx = dJ/dy ⊙ 2/√π e^(-x²)";
    public override string Convention =>
        "torch.erf and ONNX Erf. .NET has no erf: NetSpec's is a port of the Cephes library's rational approximations " +
        "(ndtr.c, with e^(-x²) computed as expx2 does), in double precision: within 1 unit in the last place of mpmath's erf, and 2 of its derivative, " +
        "on 1,156 points out to ±27.5 (tests/NetSpec.Tests/Kernels/erf-table.csv); float32 rounds the double result once. erf(x) rounds to ±1 in float64 from |x| = 5.922. " +
        "The gradient 2/√π e^(-x²) is from the input, as PyTorch's.";
    public override string Example => "{op: erf, x: z}";

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of erf (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.Erf(double.CreateTruncating(x)));

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.ErfDerivative(double.CreateTruncating(x)));
    }

    /// <summary>ONNX Erf (opset 9 on; 13 added bfloat16).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Erf") { MinOpset = 9 }];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.erf(x).</summary>
    public override TorchForm ToTorch(TorchNode node) => TorchForms.Call("torch.erf", node);
}
