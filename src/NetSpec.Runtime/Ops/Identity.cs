using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The identity, element by element: y = x (a copy, so y is a node of its own in the trace).
/// Backward: dJ/dx = dJ/dy.
/// </summary>
public sealed class Identity : ElementwiseUnary<Identity.Function>
{
    public override string Name => "identity";
    public override string Summary => "The identity: y is a copy of x.";
    public override string Formula => "y = x";
    public override string GradientFormula => "dJ/dx = dJ/dy";
    public override string Convention =>
        "torch.nn.Identity and ONNX Identity on tensors (ONNX Identity on sequences and optionals is out of scope).";
    public override string Example => "{op: identity, x: z}";

    protected override void Run(OpContext<float> c, bool backward) => Step(c, backward);
    protected override void Run(OpContext<double> c, bool backward) => Step(c, backward);

    /// <summary>f and f' of identity (see <see cref="IUnaryFunction{TSelf}"/>).</summary>
    public readonly struct Function : IUnaryFunction<Function>
    {
        public static T F<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x;

        public static T Df<T>(T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => T.One;
    }

    /// <summary>
    /// ONNX Identity (opset 1 on; it has had no attributes in any opset). Import only: ONNX
    /// ReduceSum from opset 13 with noop_with_empty_axes = 1 and its axes left out or empty,
    /// which returns its input unchanged (keepdims does not apply).
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Identity"),
        new("ReduceSum")
        {
            MinOpset = 13,
            ImportOnly = true,
            Inputs = ["x", "@axes"],
            Fixed = [new OnnxFixed("noop_with_empty_axes", AttributeValue.Of(1L))],
            CheckedAttributes = ["keepdims"],
            Note = "ReduceSum with noop_with_empty_axes = 1 and no axes (the input unchanged)",
            ImportCheck = q => q.InputShapes.Count < 2 || q.InputShapes[1] is null || q.Constant(1) is { Length: 0 }
                ? null
                : "noop_with_empty_axes = 1 with axes given sums along them, which NetSpec's identity does not do",
        },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): none forward (it moves data); backward one add per element of each input (accumulating its part of dJ/dy).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(0, [.. inputs.Select(s => (double)s.Length)]);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>x.clone(): the same values in a tensor of the node's own (its gradient is the node's).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"{node[0]}.clone()");
    }
}
