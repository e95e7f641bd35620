namespace NetSpec.Runtime.Ops;

/// <summary>
/// Average pooling over 1, 2 or 3 spatial axes (avg_pool1d, avg_pool2d, avg_pool3d), as
/// torch.nn.AvgPool1d/2d/3d: y[n, c, o] = (the sum of the window's taps inside the input) / count,
/// count the window's taps inside the input and its padding (count_include_pad, PyTorch's default)
/// or inside the input only. Backward: every tap inside the input gets dJ/dy[n, c, o] / count.
/// </summary>
public sealed class AvgPool : PoolOp
{
    /// <param name="dims">1, 2 or 3 spatial axes.</param>
    public AvgPool(int dims) : base(dims) =>
        Attributes =
        [
            .. WindowAttributes(dims),
            AttributeSpec.Flag("count_include_pad", "divide by the window's taps in the input and its padding (PyTorch's default) rather than in the input only", true)
                with { ShowDefault = false },
        ];

    public override string Name => $"avg_pool{Dims}d";
    public override string Summary => $"Average pooling over {(Dims == 1 ? "1 spatial axis" : $"{Dims} spatial axes")} ({Layout}): the mean of each window.";
    public override string Formula => "y[n, c, o] = (1 / count_o) Σ_{j: tap inside x} x[n, c, o · stride - pad_begin + j · dilation] (per spatial axis)";
    public override string GradientFormula => "dJ/dx[n, c, i] += Σ_{windows o holding tap i} dJ/dy[n, c, o] / count_o";
    public override string Convention =>
        $"torch.nn.AvgPool{Dims}d: stride defaults to kernel_size; count_include_pad defaults to true, so count_o is the number of the window's taps " +
        "inside the input or its padding (a zero pad is averaged in); with ceil_mode the part of the last window past the end padding is never counted, " +
        "as in PyTorch (ONNX AveragePool's count_include_pad defaults to 0, which the importer reads as such). count_include_pad false counts the taps inside the input only. " +
        "dilation is ONNX's (opset 19 on; PyTorch's AvgPool has none). The divisor_override of PyTorch has no NetSpec form. " +
        "Each window's taps are summed in numpy's pairwise order (8 interleaved partial sums from 8 taps on), as ONNX's reference averages a window, so float32 results match its test data.";
    public override string Example => Dims switch
    {
        1 => "{op: avg_pool1d, x: h, kernel_size: 2}",
        2 => "{op: avg_pool2d, x: h, kernel_size: 2}",
        _ => "{op: avg_pool3d, x: h, kernel_size: 2}",
    };

    public override IReadOnlyList<AttributeSpec> Attributes { get; }

    public override IEnumerable<GradientCase> GradientCases(int batch) => Dims switch
    {
        1 =>
        [
            new("kernel 2", [[batch, 2, 6]]) { Attributes = [("kernel_size", "2")] },
            new("kernel 3, stride 2, padding 1, ceil_mode, padding not counted", [[batch, 1, 6]])
                { Attributes = [("kernel_size", "3"), ("stride", "2"), ("padding", "1"), ("ceil_mode", "true"), ("count_include_pad", "false")] },
        ],
        2 =>
        [
            new("kernel 2", [[batch, 2, 4, 4]]) { Attributes = [("kernel_size", "2")] },
            new("kernel 3, stride 2, padding 1, ceil_mode", [[batch, 1, 5, 6]]) { Attributes = [("kernel_size", "3"), ("stride", "2"), ("padding", "1"), ("ceil_mode", "true")] },
            new("kernel [2, 3], stride 1, dilation [2, 1], pads [1, 0, 0, 2], padding not counted", [[batch, 2, 4, 5]])
                { Attributes = [("kernel_size", "[2, 3]"), ("stride", "1"), ("dilation", "[2, 1]"), ("padding", "[1, 0, 0, 2]"), ("count_include_pad", "false")] },
        ],
        _ =>
        [
            new("kernel 2", [[batch, 1, 4, 4, 4]]) { Attributes = [("kernel_size", "2")] },
            new("kernel [1, 2, 2], stride 1, padding [0, 1, 0]", [[batch, 2, 2, 3, 3]]) { Attributes = [("kernel_size", "[1, 2, 2]"), ("stride", "1"), ("padding", "[0, 1, 0]")] },
        ],
    };

    private Windows StateOf<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => Plan(c, this);

    private static int Count(Explain.Explanation e, Windows w, (int Flat, int O0, int O1, int O2) pos, int taps) =>
        e.Attributes.Flag(5) ? w.Padded[0][pos.O0] * w.Padded[1][pos.O1] * w.Padded[2][pos.O2] : taps;

    /// <summary>y_o = (1/count)(sum of window o's taps); backward each tap gets dJ/dy_o / count from every window holding it.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainPool(e, backward: false, (w, pos, taps) => OpExplain.Mean([.. taps], Count(e, w, pos, taps.Count)), (_, _, _, _, _) => null);
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        ExplainPool(e, backward: true, (_, _, _) => new Explain.MathNumber(0), (w, pos, taps, _, g) =>
        {
            int n = Count(e, w, pos, taps.Length);
            return n == 1 ? g : new Explain.MathFraction(g, new Explain.MathNumber(n));
        });
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var w = c.State(StateOf);
        Pooling.AvgForward(w, Planes(c.Input(0).Shape), c.Attributes.Flag(5), c.Input(0).Span, c.Output.Span, c.Scratch(w.Kernel[0] * w.Kernel[1] * w.Kernel[2]));
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dx) return;
        Pooling.AvgBackward(c.State(StateOf), Planes(c.Input(0).Shape), c.Attributes.Flag(5), c.OutputGrad!.Span, dx.Span);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX AveragePool from opset 10 (ceil_mode; dilations from 19), count_include_pad with
    /// ONNX's default 0; auto_pad becomes explicit pads.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms => _forms ??=
    [
        new("AveragePool")
        {
            MinOpset = 10,
            Attributes = [.. OnnxWindowMapping, new OnnxAttribute("count_include_pad", "count_include_pad") { OnnxDefault = AttributeValue.Of(0L) }],
            CheckedAttributes = ["auto_pad"],
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
        writer.Node("AveragePool", node.Name, node.Inputs, node.Name,
            [.. OnnxWindowAttributes(node), ("count_include_pad", node.Attributes.Flag(5) ? 1L : 0L)]);
    }

    /// <summary>FLOPs (see <see cref="OpCost"/>): k + 1 per output element forward (k taps summed, one division); backward the same (the gradient divided once and added to each tap).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var w = WindowsOf(inputs[0], attributes).W;
        double taps = w is null ? 1 : w.Kernel[0] * w.Kernel[1] * w.Kernel[2];
        return new OpCost(output.Length * (taps + 1), [output.Length * (taps + 1)]);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>
    /// F.avg_poolNd(x, kernel, stride, padding, ceil_mode, count_include_pad) when torch takes the window (no dilation; padding the
    /// same on both sides and at most half the kernel): torch's counts are NetSpec's, the last ceil_mode window counted up to the end
    /// padding. Otherwise window sums by a depthwise convolution with ones over x padded with zeros to the extent the windows cover,
    /// divided by each window's count, the same convolution over a mask of ones in the input (and its padding with count_include_pad).
    /// </summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var (kernel, stride, dilation, begin, end, floorEnd) = TorchWindows(node);
        bool include = node.Attributes.Flag(5);
        string x = node[0];
        if (dilation.All(d => d == 1) && TorchPadsFit(kernel, begin, end))
            return TorchForm.Of($"F.avg_pool{Dims}d({x}, {Py.Tuple(kernel)}, {Py.Tuple(stride)}, {Py.Tuple(begin)}, " +
                $"ceil_mode={Py.Bool(node.Attributes.Flag(4))}, count_include_pad={Py.Bool(include)})");
        string conv = $"F.conv{Dims}d", window = $"stride={Py.Tuple(stride)}, dilation={Py.Tuple(dilation)}";
        var spatial = Enumerable.Range(2, Dims).Select(i => node.InputShapes[0][i]).ToArray();
        string ones = $"{x}.new_ones({Py.Tuple([1, 1, .. spatial])})";
        string mask = include
            ? $"F.pad(F.pad({ones}, {TorchForms.PadTuple(begin, end)}, value=1.0), {TorchForms.PadTuple(new int[Dims], [.. floorEnd.Zip(end, (f, e) => f - e)])})"
            : $"F.pad({ones}, {TorchForms.PadTuple(begin, floorEnd)})";
        string count = node.Let("count", $"{conv}({mask}, {x}.new_ones({Py.Tuple([1, 1, .. kernel])}), {window})");
        string sums = $"{conv}(F.pad({x}, {TorchForms.PadTuple(begin, floorEnd)}), {x}.new_ones(({x}.shape[1], 1) + {Py.Tuple(kernel)}), {window}, groups={x}.shape[1])";
        return TorchForm.Of($"{sums} / {count}");
    }
}
