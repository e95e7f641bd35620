namespace NetSpec.Runtime.Ops;

/// <summary>
/// What the max and average pools over 1, 2 or 3 spatial axes share: the input slot
/// (N x C x spatial), the window attributes with PyTorch's names and defaults (kernel_size,
/// stride = kernel_size, padding 0, dilation 1, ceil_mode false), the shape rule (see
/// <see cref="Windows"/>), the per-node window plan, and the ONNX import of auto_pad and export
/// with every list written out per axis. The maths is in <see cref="Pooling"/>.
/// </summary>
public abstract class PoolOp : Op
{
    private protected PoolOp(int dims)
    {
        if (dims is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(dims), dims, "a pool has 1 to 3 spatial axes");
        Dims = dims;
        Inputs = [new("x", $"{Layout}: a batch of N samples of C channels") { MinRank = dims + 2, MaxRank = dims + 2 }];
    }

    /// <summary>The number of spatial axes: 1 (N x C x L), 2 (N x C x H x W) or 3 (N x C x D x H x W).</summary>
    public int Dims { get; }

    /// <summary>"N x C x H x W" for a 2-d pool.</summary>
    private protected string Layout => Dims switch { 1 => "N x C x L", 2 => "N x C x H x W", _ => "N x C x D x H x W" };

    /// <summary>"L", "H x W" or "D x H x W".</summary>
    private protected string SpatialText => Dims switch { 1 => "L", 2 => "H x W", _ => "D x H x W" };

    public override IReadOnlyList<InputSlot> Inputs { get; }

    public override string Category => "convolution and pooling";

    public override string ShapeRule =>
        $"x: {Layout}; y: N x C x {string.Join(" x ", SpatialText.Split(" x ").Select(a => "out_" + a))}, per spatial axis out = floor((in + pad_begin + pad_end - (dilation (kernel - 1) + 1)) / stride) + 1 " +
        "(ceil instead of floor with ceil_mode, less one when the last window would start in the end padding); every window must hold at least one input element";

    /// <summary>The window attributes, in order: kernel_size, stride, padding, dilation, ceil_mode.</summary>
    private protected static AttributeSpec[] WindowAttributes(int dims) =>
    [
        AttributeSpec.Integers("kernel_size", $"the window's size: one value for every spatial axis{(dims > 1 ? $" or {dims}, one per axis" : "")}", null, 1),
        AttributeSpec.Integers("stride", "the step between windows, one value or one per axis; empty or left out: the kernel size (PyTorch's default)", [], 1)
            with { ShowDefault = false },
        AttributeSpec.Integers("padding", $"implicit padding: one value for every side, one per axis (both sides){(dims > 0 ? $", or {dims} begin pads then {dims} end pads (ONNX's pads, for asymmetric padding)" : "")}; padding is never a maximum or part of a sum", [0], 0)
            with { ShowDefault = false },
        AttributeSpec.Integers("dilation", "the step between a window's taps, one value or one per axis", [1], 1) with { ShowDefault = false },
        AttributeSpec.Flag("ceil_mode", "round the number of windows up instead of down (a last, partial window), as PyTorch's ceil_mode", false) with { ShowDefault = false },
    ];

    /// <summary>The windows of a node with input shape <paramref name="x"/> and attributes <paramref name="a"/>, or why none fit.</summary>
    private protected (Windows? W, string? Error) WindowsOf(Shape x, AttributeValues a) =>
        Windows.Of(x.Dims[2..], a.Integers(0), a.Integers(1), a.Integers(2), a.Integers(3), a.Flag(4), needsInput: true);

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var (w, error) = WindowsOf(q[0], q.Attributes);
        if (w is null) return ShapeResult.Fail($"input {q.Name(0)} is {q[0]}: {error}");
        return ShapeResult.Ok(new Shape([q[0][0], q[0][1], .. w.SpatialOut]));
    }

    /// <summary>The node's windows, planned once from its (fixed) shapes.</summary>
    private protected static Windows Plan<T>(OpContext<T> c, PoolOp op) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        op.WindowsOf(c.Input(0).Shape, c.Attributes).W ?? throw new InvalidOperationException("the pool's windows passed setup but do not fit at run time");

    /// <summary>
    /// A pool's arithmetic: each output entry from its window's taps inside the input
    /// (<paramref name="value"/>: max(...) or the mean), and backward each input entry's gradient
    /// as the sum of the terms <paramref name="share"/> gives it from the windows holding it
    /// (null: the tap gets nothing from that window).
    /// </summary>
    private protected void ExplainPool(Explain.Explanation e, bool backward,
        Func<Windows, (int Flat, int O0, int O1, int O2), List<Explain.MathNumber>, Explain.MathExpr> value,
        Func<Windows, (int Flat, int O0, int O1, int O2), int[], int, Explain.MathNumber, Explain.MathExpr?> share)
    {
        Explain.ExplainTensor x = e.Input(0), y = e.Output;
        var w = WindowsOf(x.Shape, e.Attributes).W!;
        int planes = x.Shape[0] * x.Shape[1];
        if (!backward)
        {
            e.Note(Formula);
            var windows = new Dictionary<int, Explain.MathExpr>();
            for (int p = 0; p < planes; p++)
                foreach (var pos in OpExplain.Positions(w))
                    windows[p * w.OutPlane + pos.Flat] = value(w, pos, [.. OpExplain.Taps(w, pos.O0, pos.O1, pos.O2).Select(t => OpExplain.NumFlat(x, p * w.InPlane + t.Input))]);
            OpExplain.Each(e, y, () =>
            {
                foreach (int k in e.Entries(y)) e.Entry(y, k, windows[OpExplain.Flat(y.Shape, OpExplain.Full(e, y, k))]);
            });
            return;
        }
        e.Note(GradientFormula);
        if (e.Contribution(0) is not { } dx) return;
        var g = e.OutputGrad!;
        var terms = new Dictionary<int, List<Explain.MathExpr>>();
        for (int p = 0; p < planes; p++)
            foreach (var pos in OpExplain.Positions(w))
            {
                int[] taps = [.. OpExplain.Taps(w, pos.O0, pos.O1, pos.O2).Select(t => p * w.InPlane + t.Input)];
                for (int t = 0; t < taps.Length; t++)
                    if (share(w, pos, taps, t, OpExplain.NumFlat(g, p * w.OutPlane + pos.Flat)) is { } term) OpExplain.Add(terms, taps[t], term);
            }
        OpExplain.Scatter(e, dx, terms);
    }

    /// <summary>N x C: the planes pooled one by one.</summary>
    private protected static int Planes(Shape x) => x[0] * x[1];

    // ONNX: the forms are the op's; export writes every list per axis (ONNX wants one value per
    // spatial axis, and 2 per axis for pads), import turns auto_pad into explicit pads.

    public override bool WritesOwnOnnx => true;

    /// <summary>The ONNX attributes the pool is written with: kernel_shape, strides, pads, dilations (when not 1), ceil_mode.</summary>
    private protected List<(string, object)> OnnxWindowAttributes(OnnxNodeInfo node)
    {
        var w = WindowsOf(node.InputShapes[0], node.Attributes).W ?? throw new InvalidOperationException($"node '{node.Name}' has no windows");
        var list = new List<(string, object)>
        {
            ("kernel_shape", Windows.Longs(w.Kernel, Dims)),
            ("strides", Windows.Longs(w.Stride, Dims)),
            ("pads", w.OnnxPads),
        };
        if (w.Dilation.Any(d => d != 1)) list.Add(("dilations", Windows.Longs(w.Dilation, Dims)));
        if (node.Attributes.Flag(4)) list.Add(("ceil_mode", 1L));
        return list;
    }

    /// <summary>ONNX's attributes of a pool's window and what they are in NetSpec (ONNX's strides default to 1, PyTorch's to the kernel).</summary>
    private protected static IReadOnlyList<OnnxAttribute> OnnxWindowMapping =>
    [
        new("kernel_shape", "kernel_size"),
        new("strides", "stride") { OnnxDefault = AttributeValue.Of([1L]) },
        new("pads", "padding"),
        new("dilations", "dilation"),
        new("ceil_mode", "ceil_mode"),
    ];

    /// <summary>Refuses an ONNX node whose input has the wrong rank for this pool.</summary>
    private protected string? RankCheck(OnnxImportQuery q) =>
        q.InputShapes.Count > 0 && q.InputShapes[0] is { } s && s.Length != Dims + 2
            ? $"its input has rank {s.Length}, and NetSpec's {Name} pools rank {Dims + 2} ({Layout})"
            : null;

    /// <summary>
    /// ONNX's auto_pad as explicit pads: NOTSET keeps pads, VALID is no padding, SAME_UPPER and
    /// SAME_LOWER pad so that out = ceil(in / stride), the odd pad at the end (UPPER) or the
    /// begin (LOWER). Needs the input's spatial sizes; <paramref name="kernel"/> is the kernel
    /// per axis (a pool's kernel_shape, a convolution's weight).
    /// </summary>
    internal static (string Name, AttributeValue Value)[] AutoPad(OnnxImportQuery q, int dims, long[] kernel)
    {
        var mode = q.Attribute("auto_pad")?.Text ?? "NOTSET";
        if (mode is "NOTSET" or "") return [];
        if (mode == "VALID") return [("padding", AttributeValue.Of([0L]))];
        if (q.InputShapes[0] is not { } x || x.Length != dims + 2)
            throw new ArgumentException($"auto_pad {mode} needs the input's shape");
        long[] PerAxis(string name, long dflt) => q.Attribute(name) is { Integers.Count: > 0 } v ? [.. v.Integers] : [.. Enumerable.Repeat(dflt, dims)];
        var strides = PerAxis("strides", 1);
        var dilations = PerAxis("dilations", 1);
        var pads = new long[2 * dims];
        for (int i = 0; i < dims; i++)
        {
            long n = x[2 + i], outSize = (n + strides[i] - 1) / strides[i];
            long total = Math.Max(0, (outSize - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - n);
            long small = total / 2, large = total - small;
            (pads[i], pads[dims + i]) = mode == "SAME_LOWER" ? (large, small) : (small, large);
        }
        return [("padding", AttributeValue.Of(pads))];
    }

    /// <summary>Refuses what ONNX's auto_pad cannot be: an unknown word, or auto_pad with explicit pads.</summary>
    internal static string? AutoPadCheck(OnnxImportQuery q)
    {
        var mode = q.Attribute("auto_pad")?.Text;
        if (mode is null or "NOTSET" or "") return null;
        if (mode is not ("VALID" or "SAME_UPPER" or "SAME_LOWER")) return $"auto_pad is '{mode}', not NOTSET, VALID, SAME_UPPER or SAME_LOWER";
        if (q.Attribute("pads") is { Integers.Count: > 0 } p && p.Integers.Any(v => v != 0)) return $"it gives both auto_pad {mode} and pads {p}";
        return q.InputShapes.Count > 0 && q.InputShapes[0] is null ? $"auto_pad {mode} needs the input's shape, which the model does not give" : null;
    }

    // PyTorch: what the pools' torch forms share (see MaxPool.ToTorch, AvgPool.ToTorch).

    /// <summary>
    /// A pool's windows per spatial axis for torch: kernel, stride (the kernel when left out), dilation, begin and end pads, and
    /// the end pad that makes floor mode give the node's output size (the windows ceil_mode adds, cropped where they would start in the
    /// end padding), for an explicit F.pad followed by an unpadded pool.
    /// </summary>
    private protected (int[] Kernel, int[] Stride, int[] Dilation, int[] Begin, int[] End, int[] FloorEnd) TorchWindows(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        var kernel = TorchForms.PerAxis(a.Integers(0), Dims, []);
        var stride = TorchForms.PerAxis(a.Integers(1), Dims, kernel);
        var dilation = TorchForms.PerAxis(a.Integers(3), Dims, [.. Enumerable.Repeat(1, Dims)]);
        var (begin, end) = TorchForms.Pads(a.Integers(2), Dims);
        var floorEnd = new int[Dims];
        for (int i = 0; i < Dims; i++)
        {
            int n = node.InputShapes[0][2 + i], o = node.Output[2 + i];
            floorEnd[i] = (o - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - n - begin[i];
        }
        return (kernel, stride, dilation, begin, end, floorEnd);
    }

    /// <summary>Whether torch's own pool takes the padding: the same on both sides and at most half the kernel on every axis.</summary>
    private protected static bool TorchPadsFit(int[] kernel, int[] begin, int[] end) =>
        begin.SequenceEqual(end) && begin.Zip(kernel).All(p => 2 * p.First <= p.Second);
}
