namespace NetSpec.Runtime.Ops;

/// <summary>
/// Max pooling over 1, 2 or 3 spatial axes (max_pool1d, max_pool2d, max_pool3d), as
/// torch.nn.MaxPool1d/2d/3d: y[n, c, o] = max over the window's taps inside the input of
/// x[n, c, o · stride - pad_begin + j · dilation] (padding never wins). Backward: dJ/dx at the
/// chosen tap += dJ/dy[n, c, o], the other taps get nothing. Ties go to the FIRST maximum in scan
/// order (row-major over the window), as PyTorch's CPU kernels; a NaN tap wins (NaN propagates).
/// </summary>
public sealed class MaxPool : PoolOp
{
    /// <param name="dims">1, 2 or 3 spatial axes.</param>
    public MaxPool(int dims) : base(dims) => Attributes = WindowAttributes(dims);

    public override string Name => $"max_pool{Dims}d";
    public override string Summary => $"Max pooling over {(Dims == 1 ? "1 spatial axis" : $"{Dims} spatial axes")} ({Layout}): the largest value in each window.";
    public override string Formula => "y[n, c, o] = max_{j: tap inside x} x[n, c, o · stride - pad_begin + j · dilation] (per spatial axis; padding never wins)";
    public override string GradientFormula => "dJ/dx[n, c, i] += dJ/dy[n, c, o] for each window o whose maximum is tap i (the first maximum in scan order); 0 elsewhere";
    public override string Convention =>
        $"torch.nn.MaxPool{Dims}d (stride defaults to kernel_size; padding on both sides, or {Dims} begin pads then {Dims} end pads as ONNX's pads; dilation; ceil_mode, " +
        "where a last window that would start in the end padding is dropped) and ONNX MaxPool. Padding is never a maximum (it is -inf), unlike a zero pad. " +
        "Ties: the gradient goes to the FIRST maximal tap in scan order (row-major over the window, D then H then W), as PyTorch's CPU kernels; " +
        "a NaN tap wins, so NaN propagates. Unlike PyTorch, padding may exceed half the kernel (ONNX allows it) as long as every window holds an input element.";
    public override string Example => Dims switch
    {
        1 => "{op: max_pool1d, x: h, kernel_size: 2}",
        2 => "{op: max_pool2d, x: h, kernel_size: 2}",
        _ => "{op: max_pool3d, x: h, kernel_size: 2}",
    };

    public override IReadOnlyList<AttributeSpec> Attributes { get; }

    /// <summary>Non-overlapping windows never tie in random inputs, so the check avoids kinks except where windows overlap (strides below the kernel), where ties stay improbable.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) => Dims switch
    {
        1 =>
        [
            new("kernel 2", [[batch, 2, 6]]) { Attributes = [("kernel_size", "2")] },
            new("kernel 3, stride 2, padding 1, ceil_mode", [[batch, 1, 7]]) { Attributes = [("kernel_size", "3"), ("stride", "2"), ("padding", "1"), ("ceil_mode", "true")] },
        ],
        2 =>
        [
            new("kernel 2", [[batch, 2, 4, 4]]) { Attributes = [("kernel_size", "2")] },
            new("kernel 3, stride 1, padding 1 (overlapping windows)", [[batch, 1, 4, 5]]) { Attributes = [("kernel_size", "3"), ("stride", "1"), ("padding", "1")] },
            new("kernel [2, 3], stride [1, 2], dilation [2, 1]", [[batch, 2, 5, 6]]) { Attributes = [("kernel_size", "[2, 3]"), ("stride", "[1, 2]"), ("dilation", "[2, 1]")] },
            new("kernel 3, stride 2, asymmetric pads [0, 1, 1, 0], ceil_mode", [[batch, 1, 5, 6]]) { Attributes = [("kernel_size", "3"), ("stride", "2"), ("padding", "[0, 1, 1, 0]"), ("ceil_mode", "true")] },
        ],
        _ =>
        [
            new("kernel 2", [[batch, 1, 4, 4, 4]]) { Attributes = [("kernel_size", "2")] },
            new("kernel [1, 2, 2], stride 1, padding [0, 1, 0]", [[batch, 2, 2, 3, 3]]) { Attributes = [("kernel_size", "[1, 2, 2]"), ("stride", "1"), ("padding", "[0, 1, 0]")] },
        ],
    };

    /// <summary>The windows and, per output element, the flat input index of its maximum (written by forward, read by backward).</summary>
    private sealed record State(Windows W, int[] ArgMax);

    private State StateOf<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => new(Plan(c, this), new int[c.Output.Length]);

    /// <summary>y_o = max(taps of window o); backward the window's dJ/dy goes to its first maximum.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainPool(e, backward: false, (_, _, taps) => Explain.M.Call("max", [.. taps]), (_, _, _, _, _) => null);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var x = e.Input(0);
        ExplainPool(e, backward: true, (_, _, _) => new Explain.MathNumber(0), (_, _, taps, t, g) =>
        {
            int first = 0;
            for (int k = 1; k < taps.Length; k++)
                if (x.Values[taps[k]] > x.Values[taps[first]]) first = k;
            return t == first ? g : null;
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var s = c.State(StateOf);
        Pooling.MaxForward(s.W, Planes(c.Input(0).Shape), c.Input(0).Span, c.Output.Span, s.ArgMax);
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        Pooling.MaxBackward<T>(c.State(StateOf).ArgMax, c.OutputGrad!.Span, dx.Span);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX MaxPool from opset 10 (dilations and ceil_mode), one output; auto_pad becomes explicit
    /// pads; storage_order only orders the second (index) output, which NetSpec does not write.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms => _forms ??=
    [
        new("MaxPool")
        {
            MinOpset = 10,
            Attributes = OnnxWindowMapping,
            CheckedAttributes = ["auto_pad", "storage_order"],
            ImportCheck = q => RankCheck(q) ?? AutoPadCheck(q),
            ImportAttributes = q => AutoPad(q, Dims, [.. q.Attribute("kernel_shape")?.Integers ?? []]),
            Note = $"rank {Dims + 2} inputs ({Layout})",
        },
    ];

    private IReadOnlyList<OnnxForm>? _forms;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        writer.Node("MaxPool", node.Name, node.Inputs, node.Name, [.. OnnxWindowAttributes(node)]);
    }

    /// <summary>FLOPs (see <see cref="OpCost"/>): one comparison per window tap forward (k taps per output element); backward one add per output element (its gradient routed to the maximum).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var w = WindowsOf(inputs[0], attributes).W;
        double taps = w is null ? 1 : w.Kernel[0] * w.Kernel[1] * w.Kernel[2];
        return new OpCost(output.Length * taps, [output.Length]);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); torch's CPU max pools send a tie's gradient to the first maximum too.

    /// <summary>
    /// F.max_poolNd(x, kernel, stride, padding, dilation, ceil_mode) when torch takes the padding (the same on both sides, at most
    /// half the kernel: then torch's window count is NetSpec's); otherwise F.pad with -inf (never a maximum) to the extent the
    /// windows cover, then an unpadded pool.
    /// </summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var (kernel, stride, dilation, begin, end, floorEnd) = TorchWindows(node);
        string fn = $"F.max_pool{Dims}d";
        string common = $"{Py.Tuple(kernel)}, {Py.Tuple(stride)}";
        if (TorchPadsFit(kernel, begin, end))
            return TorchForm.Of($"{fn}({node[0]}, {common}, {Py.Tuple(begin)}, {Py.Tuple(dilation)}, ceil_mode={Py.Bool(node.Attributes.Flag(4))})");
        string padded = $"F.pad({node[0]}, {TorchForms.PadTuple(begin, floorEnd)}, value={Py.Num(double.NegativeInfinity)})";
        return TorchForm.Of($"{fn}({padded}, {common}, 0, {Py.Tuple(dilation)})");
    }
}
