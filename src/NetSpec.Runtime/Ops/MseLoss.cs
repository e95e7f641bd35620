using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Mean squared error, torch.nn.MSELoss: l_i = (x_i - y_i)², then the mean over every element
/// (the default), the sum, or none. Backward: ∂l_i/∂x_i = 2 (x_i - y_i).
/// </summary>
public sealed class MseLoss : ElementwiseLoss<MseLoss.Function>
{
    public override string Name => "mse_loss";
    public override string Summary => "Mean squared error: (x - y)² element by element, averaged over every element (or summed, or not reduced).";
    public override string Formula => "L = (1/n) Σ_i (x_i - y_i)², i over all n elements (reduction mean); Σ_i (x_i - y_i)² (sum); l_i = (x_i - y_i)² (none)";
    public override string GradientFormula => "dJ/dx = dJ/dL · 2 (x - y) / n (mean); dJ/dL · 2 (x - y) (sum); dJ/dl ⊙ 2 (x - y) (none)";
    public override string Convention =>
        "torch.nn.MSELoss(reduction) and torch.nn.functional.mse_loss: the mean runs over every element, not over the batch " +
        "(an N x d input divides by N · d). x and y must have one shape (torch broadcasts them, with a warning). The " +
        "target gets no gradient. It is not the course notes' l2_loss, (1/N) Σ_n ½ ||x_n - y_n||²: for N x d, " +
        "mse_loss = l2_loss · 2 / d. ONNX has no MSE op: exported as Sub, Mul, then ReduceMean, ReduceSum or Identity.";
    public override string Example => "{op: mse_loss, x: o, y: y}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "predictions, any shape"),
        new("y", "targets, the shape of x (no gradient)") { Differentiable = false },
    ];

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>The element loss of mse_loss and its derivative (see <see cref="IElementLoss{TSelf}"/>).</summary>
    public readonly struct Function : IElementLoss<Function>
    {
        public static T F<T>(T x, T y, T w) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T d = x - y;
            return d * d;
        }

        public static T Dfdx<T>(T x, T y, T w) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateChecked(2) * (x - y);
    }

    protected override Explain.MathExpr? ExplainTerm(Explain.MathNumber x, Explain.MathNumber y, Explain.MathNumber? w) =>
        new Explain.MathPower(new Explain.MathGroup(new Explain.MathDifference(x, y)), new Explain.MathNumber(2));

    protected override IReadOnlyList<Explain.MathExpr>? ExplainDerivative(Explain.MathNumber x, Explain.MathNumber y, Explain.MathNumber? w) =>
        [new Explain.MathNumber(2), new Explain.MathDifference(x, y)];

    protected override string WriteLosses(IOnnxWriter writer, string name, string x, string y, string? w)
    {
        writer.Node("Sub", $"{name}/diff", [x, y], $"{name}/diff");
        writer.Node("Mul", $"{name}/square", [$"{name}/diff", $"{name}/diff"], $"{name}/square");
        return $"{name}/square";
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.mse_loss(x, y, reduction=reduction).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"F.mse_loss({node[0]}, {node[1]}, reduction={Py.Str(LossReduction.Of(node.Attributes, 0))})");
    }
}
