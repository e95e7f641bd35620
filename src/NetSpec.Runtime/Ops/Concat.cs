namespace NetSpec.Runtime.Ops;

/// <summary>
/// Tensors joined along one axis: y = [x_1, x_2, ...] along axis, every other axis the same in
/// every input. Seen along the axis as Outer x Size x Inner (<see cref="Axes.Split"/>), each
/// outer block of y is the inputs' blocks one after another. Backward: dJ/dx_i is y's gradient
/// split back at the same places (a name listed twice receives both of its parts).
/// </summary>
public sealed class Concat : Op
{
    public override string Name => "concat";
    public override string Category => "shape";
    public override string Summary => "One or more tensors joined along an axis.";
    public override string Formula => "y = [x_1, x_2, ...] along axis (y's axis is x_1's, then x_2's, ...)";
    public override string GradientFormula => "dJ/dx_i = the part of dJ/dy at x_i's place along axis";
    public override string ShapeRule =>
        "inputs: one rank (1 or more), equal on every axis but axis; y: that shape with the inputs' sizes on axis added";
    public override string Convention =>
        "torch.cat(tensors, dim) and ONNX Concat: axis counts from 0, a negative axis from the end (-1 the last). torch.cat's " +
        "dim defaults to 0; NetSpec, as ONNX, asks for the axis (axis: 1 or -1 joins the features of N x d rows). A name listed " +
        "twice is joined twice and receives both gradient parts.";
    public override string Example => "{op: concat, inputs: [a, b], axis: 1}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
        [new("inputs", "one or more tensors of one rank, equal on every axis but axis") { IsList = true, MinRank = 1 }];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integer("axis", "the axis to join along; negative counts from the end (-1: the last)", null, -Shape.MaxRank, Shape.MaxRank - 1),
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("features of two row sets", [[batch, 2], [batch, 3]]) { Attributes = [("axis", "1")] },
        new("rows, three inputs", [[batch, 3], [2, 3], [1, 3]]) { Attributes = [("axis", "0")] },
        new("one input", [[batch, 3]]) { Attributes = [("axis", "-1")] },
        new("vectors", [[2], [3]]) { Attributes = [("axis", "0")] },
        new("rank 3, middle axis", [[batch, 1, 3], [batch, 2, 3]]) { Attributes = [("axis", "1")] },
        new("rank 4, channels", [[batch, 2, 2, 2], [batch, 1, 2, 2]]) { Attributes = [("axis", "-3")] },
        new("rank 5, last axis", [[batch, 2, 1, 2, 1], [batch, 2, 1, 2, 2]]) { Attributes = [("axis", "4")] },
        new("a value listed twice", [[batch, 2], [batch, 3], [batch, 2]]) { Attributes = [("axis", "1")], Shared = [[0, 2]] },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): none forward (it moves data); backward one add per element of each input (accumulating its part of dJ/dy).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(0, [.. inputs.Select(s => (double)s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var first = q[0];
        int axis = q.Attributes.Integer(0);
        if (Axes.Normalize(axis, first.Rank) is not { } a)
            return ShapeResult.Fail($"input {q.Name(0)} is {first}: {Axes.OutOfRange(axis, first.Rank)}");
        var dims = first.ToArray();
        for (int i = 1; i < q.Count; i++)
        {
            var s = q[i];
            bool fits = s.Rank == first.Rank;
            for (int k = 0; fits && k < s.Rank; k++) fits = k == a || s[k] == first[k];
            if (!fits)
                return ShapeResult.Fail($"input {q.Name(i)} is {s} but input {q.Name(0)} is {first}: concat along axis {a} needs one rank and equal sizes on every other axis");
            dims[a] += s[a];
        }
        return ShapeResult.Ok(new Shape(dims));
    }

    private static (int Outer, int Inner, int Axis) Split<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var s = c.Output.Shape;
        int axis = Axes.Normalize(c.Attributes.Integer(0), s.Rank)!.Value;
        var (outer, _, inner) = Axes.Split(s, axis);
        return (outer, inner, axis);
    }

    private static Func<int, (int, int)> Source(Explain.Explanation e)
    {
        Shape y = e.Output.Shape;
        int axis = Axes.Normalize(e.Attributes.Integer(0), y.Rank)!.Value;
        return f =>
        {
            var i = OpExplain.Unflatten(y, f);
            int at = i[axis];
            for (int input = 0; input < e.InputCount; input++)
            {
                var x = e.Input(input).Shape;
                if (at < x[axis])
                {
                    i[axis] = at;
                    return (input, OpExplain.Flat(x, i));
                }
                at -= x[axis];
            }
            return (-1, -1);
        };
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula);
        OpExplain.Moves(e, backward: false, Source(e));
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        OpExplain.Moves(e, backward: true, Source(e));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (outer, inner, axis) = Split(c);
        var y = c.Output.Span;
        int row = c.Output.Shape[axis] * inner;   // one outer block of y
        int at = 0;
        for (int i = 0; i < c.InputCount; i++)
        {
            var x = c.Input(i);
            int block = x.Shape[axis] * inner;
            for (int o = 0; o < outer; o++) x.Span.Slice(o * block, block).CopyTo(y.Slice(o * row + at, block));
            at += block;
        }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (outer, inner, axis) = Split(c);
        var g = c.OutputGrad!.Span;
        int row = c.Output.Shape[axis] * inner;
        int at = 0;
        for (int i = 0; i < c.InputCount; i++)
        {
            int block = c.Input(i).Shape[axis] * inner;
            if (c.InputGrad(i) is { } dx)
                for (int o = 0; o < outer; o++)
                {
                    var d = dx.Span.Slice(o * block, block);
                    var part = g.Slice(o * row + at, block);
                    for (int j = 0; j < block; j++) d[j] += part[j];
                }
            at += block;
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Concat (axis required from opset 4; a negative axis from opset 11).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Concat")
        {
            MinOpset = 4,
            Attributes = [new OnnxAttribute("axis", "axis")],
            ImportCheck = q => q.Opset < 11 && q.Attribute("axis")?.Number < 0
                ? $"a negative axis in Concat needs opset 11, and the model's opset is {q.Opset}"
                : null,
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, a value listed twice receiving both parts.

    /// <summary>torch.cat([x_1, x_2, ...], dim=axis).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"torch.cat([{string.Join(", ", node.Inputs)}], dim={node.Attributes.Integer(0)})");
    }
}
