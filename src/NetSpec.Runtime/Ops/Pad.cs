namespace NetSpec.Runtime.Ops;

/// <summary>
/// A tensor padded with a constant: along each axis k, pads[k] values before and pads[r + k]
/// after (ONNX's order, every begin then every end); a negative pad removes that many elements
/// instead. y[i] = x[i - begin] where that lies inside x, else value. Backward: dJ/dx[j] =
/// dJ/dy at j's place in y (the padding takes no gradient; the removed elements get none).
/// </summary>
public sealed class Pad : Op
{
    public override string Name => "pad";
    public override string Category => "shape";
    public override string Summary => "A tensor padded with a constant value (ONNX's pads: every axis' begin, then every axis' end).";
    public override string Formula => "y[i] = x[i - begin] where i - begin lies in x, else value (per axis k: begin = pads[k], end = pads[r + k])";
    public override string GradientFormula => "dJ/dx[j] = dJ/dy[j + begin]: dJ/dy without the padding";
    public override string ShapeRule =>
        "x: d_0 x ... x d_(r-1), rank 1 or more; pads: 2r whole numbers; y: (d_k + pads[k] + pads[r + k]) on each axis k, each at least 1";
    public override string Convention =>
        "ONNX Pad in constant mode: pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...], one begin and one end per axis from the " +
        "first; a negative pad crops. torch.nn.functional.pad(x, p, value=v) lists pairs from the last axis backwards: " +
        "p = (last_begin, last_end, second_last_begin, second_last_end, ...), covering only the last len(p)/2 axes; so F.pad(x, " +
        "(1, 2, 3, 4)) on N x C x H x W is pads: [0, 0, 3, 1, 0, 0, 4, 2] here (H: 3 before, 4 after; W: 1 before, 2 after). " +
        "ONNX's reflect, edge and wrap modes have no NetSpec form.";
    public override string Example => "{op: pad, x: x, pads: [0, 0, 1, 1, 0, 0, 1, 1]}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor of rank 1 or more, e.g. N x C x H x W") { MinRank = 1 }];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integers("pads", "2r whole numbers for a rank-r x: the count to add before each axis, then after each axis, in ONNX's order; negative crops"),
        AttributeSpec.Number("value", "the constant the padding holds", 0) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("a matrix, columns padded", [[batch, 3]]) { Attributes = [("pads", "[0, 1, 0, 2]")] },
        new("a vector, value 1.5", [[4]]) { Attributes = [("pads", "[2, 1]"), ("value", "1.5")] },
        new("rank 3, every side", [[batch, 2, 3]]) { Attributes = [("pads", "[1, 0, 2, 0, 1, 1]")] },
        new("rank 4, H and W by 1", [[batch, 2, 2, 3]]) { Attributes = [("pads", "[0, 0, 1, 1, 0, 0, 1, 1]")] },
        new("rank 4, cropping", [[batch, 2, 3, 3]]) { Attributes = [("pads", "[0, -1, 1, -1, 0, 0, -1, 2]")] },
        new("rank 5, last axis", [[batch, 1, 2, 1, 2]]) { Attributes = [("pads", "[0, 0, 0, 0, 1, 0, 0, 1, 0, 2]"), ("value", "-0.5")] },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): none forward (it moves data); backward one add per element of each input (accumulating its part of dJ/dy).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(0, [.. inputs.Select(s => (double)s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var x = q[0];
        var pads = q.Attributes.Integers(0);
        int r = x.Rank;
        string text = "[" + string.Join(", ", pads) + "]";
        if (pads.Length != 2 * r)
            return ShapeResult.Fail($"input {q.Name(0)} is {x}: pads {text} has {pads.Length} entries, but a rank-{r} tensor takes {2 * r} (a begin for each axis, then an end for each)");
        var dims = new int[r];
        for (int k = 0; k < r; k++)
        {
            long d = (long)x[k] + pads[k] + pads[r + k];
            if (d < 1)
                return ShapeResult.Fail($"input {q.Name(0)} is {x}: pads {text} leave axis {k} with {d} elements ({x[k]} {Signed(pads[k])} before {Signed(pads[r + k])} after); at least 1 must remain");
            if (d > int.MaxValue) return ShapeResult.Fail($"input {q.Name(0)} is {x}: pads {text} make axis {k} too long");
            dims[k] = (int)d;
        }
        return ShapeResult.Ok(new Shape(dims));
    }

    private static string Signed(int p) => p < 0 ? $"- {-p}" : $"+ {p}";

    /// <summary>For every element of y (row-major), the flat index of the element of x it is, or -1 for padding.</summary>
    private sealed record Plan(int[] Source);

    private static Plan PlanOf<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Shape;
        var y = c.Output.Shape;
        var pads = c.Attributes.Integers(0);
        int r = x.Rank;
        var xStride = new int[r];
        for (int k = r - 1, s = 1; k >= 0; s *= x[k], k--) xStride[k] = s;
        var source = new int[y.Length];
        var index = new int[r];
        for (int j = 0; j < source.Length; j++)
        {
            int at = 0;
            for (int k = 0; k < r && at >= 0; k++)
            {
                int i = index[k] - pads[k];
                at = i >= 0 && i < x[k] ? at + i * xStride[k] : -1;
            }
            source[j] = at;
            for (int k = r - 1; k >= 0; k--)
            {
                if (++index[k] < y[k]) break;
                index[k] = 0;
            }
        }
        return new Plan(source);
    }

    private static Func<int, (int, int)> Source(Explain.Explanation e)
    {
        Shape x = e.Input(0).Shape, y = e.Output.Shape;
        var pads = e.Attributes.Integers(0);
        return f =>
        {
            var i = OpExplain.Unflatten(y, f);
            for (int k = 0; k < i.Length; k++)
            {
                i[k] -= pads[k];
                if (i[k] < 0 || i[k] >= x[k]) return (-1, -1);
            }
            return (0, OpExplain.Flat(x, i));
        };
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula + $"; here value = {e.Attributes.Number(1).ToString(System.Globalization.CultureInfo.InvariantCulture)}");
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
        var source = c.State(PlanOf).Source;
        var x = c.Input(0).Span;
        var y = c.Output.Span;
        var value = c.Number(1);
        for (int j = 0; j < y.Length; j++) y[j] = source[j] >= 0 ? x[source[j]] : value;
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        var source = c.State(PlanOf).Source;
        var g = c.OutputGrad!.Span;
        var d = dx.Span;
        for (int j = 0; j < g.Length; j++)
            if (source[j] >= 0) d[source[j]] += g[j];
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX Pad in constant mode (mode's default): from opset 11 pads is a constant int64 input and
    /// the value an optional constant scalar input; opset 18's axes input is taken when it names
    /// every axis in order (what pads for every axis mean). Opsets 2 to 10 give pads and value as
    /// attributes.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Pad")
        {
            MinOpset = 11,
            Inputs = ["x", "@pads", "@value", "@axes"],
            Fixed = [new OnnxFixed("mode", AttributeValue.Of("constant")) { IsOnnxDefault = true }],
            ImportCheck = q =>
            {
                if (q.InputShapes.Count > 3 && q.InputShapes[3] is not null && q.Constant(3) is null)
                    return "its axes (input 4) are not a constant int64 tensor, which NetSpec needs to read them at import";
                if (q.Constant(3) is not { } axes) return null;
                int rank = q.InputShapes[0]?.Length ?? 0;
                var normalized = axes.Select(a => OnnxImportQuery.Normalize(a, rank)).ToArray();
                return normalized.SequenceEqual(Enumerable.Range(0, rank).Select(a => (long)a)) ? null
                    : $"its axes [{string.Join(", ", axes)}] pad only some axes or in another order, and NetSpec's pad takes pads for every axis in order";
            },
        },
        new("Pad")
        {
            MinOpset = 2,
            MaxOpset = 10,
            Attributes = [new OnnxAttribute("pads", "pads"), new OnnxAttribute("value", "value")],
            Fixed = [new OnnxFixed("mode", AttributeValue.Of("constant")) { IsOnnxDefault = true }],
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.pad(x, pairs from the last axis backwards, value=value): ONNX's pads reordered, negative pads crop.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var pads = node.Attributes.Integers(0);
        int r = node.InputShapes[0].Rank;
        return TorchForm.Of($"F.pad({node[0]}, {TorchForms.PadTuple(pads[..r], pads[r..])}, value={Py.Num(node.Attributes.Number(1))})");
    }
}
