using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// A tensor as a matrix, split at an axis (ONNX Flatten): x of shape d_0 x ... x d_(r-1) becomes
/// (d_0 ··· d_(axis-1)) x (d_axis ··· d_(r-1)), the elements in the same row-major order; at the
/// default axis 1, N x C x H x W images become N x (C·H·W) rows (torch.nn.Flatten()). Backward:
/// dJ/dx = dJ/dy read back as x's shape.
/// </summary>
public sealed class Flatten : Op
{
    public override string Name => "flatten";
    public override string Category => "shape";
    public override string Summary => "A tensor as a matrix split at an axis: N x C x H x W images as N x (C·H·W) rows by default.";
    public override string Formula => "y = x read as (d_0 ··· d_(axis-1)) x (d_axis ··· d_(r-1)), the elements in row-major order";
    public override string GradientFormula => "dJ/dx = dJ/dy read back as x's shape";
    public override string ShapeRule =>
        "x: d_0 x ... x d_(r-1), rank 1 or more; y: (d_0 ··· d_(axis-1)) x (d_axis ··· d_(r-1)), always a matrix (an empty product is 1)";
    public override string Convention =>
        "ONNX Flatten: axis in [-r, r] for a rank-r x, a negative axis counting from the end (-1: all but the last axis form the rows); " +
        "axis 0 gives 1 x (every element), axis r gives (every element) x 1. At the default axis 1 this is torch.nn.Flatten() " +
        "(torch.flatten(x, start_dim=1)) on an input of rank 2 or more. torch.flatten(x, start_dim=a) for another a keeps " +
        "the leading axes instead of multiplying them into one, which is reshape with shape [0, ..., 0, -1] here.";
    public override string Example => "{op: flatten, x: p}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor of rank 1 or more, e.g. N x C x H x W") { MinRank = 1 }];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integer("axis", "the first axis of the columns, in [-r, r]; the axes before it form the rows (negative counts from the end)", 1, -Shape.MaxRank, Shape.MaxRank) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 4 images to rows", [[batch, 2, 3, 2]]),
        new("rank 2 (already rows)", [[batch, 3]]),
        new("a vector, axis 0", [[5]]) { Attributes = [("axis", "0")] },
        new("a vector, axis 1", [[5]]),
        new("rank 3, axis 2", [[batch, 2, 3]]) { Attributes = [("axis", "2")] },
        new("rank 3, axis 0", [[batch, 2, 3]]) { Attributes = [("axis", "0")] },
        new("rank 4, axis -1", [[batch, 2, 3, 2]]) { Attributes = [("axis", "-1")] },
        new("rank 5, axis 3", [[batch, 2, 1, 3, 2]]) { Attributes = [("axis", "3")] },
        new("rank 5, axis 5", [[batch, 2, 1, 2, 2]]) { Attributes = [("axis", "5")] },
    ];

    /// <summary>The split axis counted from 0 (in [0, rank]), or null when outside [-rank, rank].</summary>
    private static int? Split(int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a <= rank ? a : null;
    }

    /// <summary>FLOPs (see <see cref="OpCost"/>): none forward (it moves data); backward one add per element of each input (accumulating its part of dJ/dy).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(0, [.. inputs.Select(s => (double)s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var x = q[0];
        int axis = q.Attributes.Integer(0);
        if (Split(axis, x.Rank) is not { } a)
            return ShapeResult.Fail($"input {q.Name(0)} is {x}: axis {axis} is outside [{-x.Rank}, {x.Rank}] (flatten splits a rank-{x.Rank} tensor before one of its axes, or after the last)");
        int rows = 1;
        for (int k = 0; k < a; k++) rows *= x[k];
        return ShapeResult.Ok(new Shape(rows, rows == 0 ? 0 : x.Length / rows));
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula);
        OpExplain.Moves(e, backward: false, f => (0, f));
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        OpExplain.Moves(e, backward: true, f => (0, f));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => c.Input(0).Span.CopyTo(c.Output.Span);

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is { } dx) Vec.AddInPlace<T>(c.OutputGrad!.Data, dx.Span);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX Flatten (axis default 1 in every opset; a negative axis from opset 11, which the shape
    /// rule of opsets before 11 refuses as ONNX's did).
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Flatten")
        {
            Attributes = [new OnnxAttribute("axis", "axis")],
            ImportCheck = q => q.Opset < 11 && q.Attribute("axis")?.Number < 0
                ? $"a negative axis in Flatten needs opset 11, and the model's opset is {q.Opset}"
                : null,
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>torch.flatten(x, 1) at the default axis, else x.reshape(rows, columns) with -1 for the rows (any batch size).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var x = node.InputShapes[0];
        int a = Split(node.Attributes.Integer(0), x.Rank)!.Value;
        if (a == 0) return TorchForm.Of($"{node[0]}.reshape(1, -1)");
        if (a == x.Rank) return TorchForm.Of($"{node[0]}.reshape(-1, 1)");
        if (a == 1 && x.Rank >= 2) return TorchForm.Of($"torch.flatten({node[0]}, 1)");
        int cols = 1;
        for (int k = a; k < x.Rank; k++) cols *= x[k];
        return TorchForm.Of($"{node[0]}.reshape(-1, {cols})");
    }
}
