using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// 2-d convolution (cross-correlation), as torch.nn.Conv2d: for x N x C x H x W, weight W
/// M x C/groups x kH x kW and bias b (M),
/// y[n, m, oh, ow] = b[m] + Σ_{c in m's group, i, j} W[m, c, i, j] · x[n, c, oh · s_h - p_top + i · d_h, ow · s_w - p_left + j · d_w]
/// (zero outside x). Computed as one matrix product per group over the whole batch: the input
/// windows unrolled into columns (im2col, K = C/groups · kH · kW rows, N · oH · oW columns),
/// Y = W col; backward dJ/dW = dY colᵀ, dJ/db = Σ_{n, oh, ow} dY, dJ/dcol = Wᵀ dY folded back
/// onto x (col2im, accumulating). Buffers are the node's own, reused every step.
/// </summary>
public sealed class Conv2d : Op
{
    public override string Name => "conv2d";
    public override string Category => "convolution and pooling";
    public override string Summary => "2-d convolution (cross-correlation) of N x C x H x W images with M filters, plus a bias per filter.";
    public override string Formula =>
        "y[n, m, oh, ow] = b[m] + Σ_{c, i, j} W[m, c, i, j] x[n, g·C/groups + c, oh·stride_h - pad_top + i·dilation_h, ow·stride_w - pad_left + j·dilation_w] (g = m's group; x is 0 outside)";
    public override string GradientFormula =>
        "dJ/dW[m, c, i, j] = Σ_{n, oh, ow} dJ/dy[n, m, oh, ow] x[n, ., tap (i, j) of window (oh, ow)]; dJ/db[m] = Σ_{n, oh, ow} dJ/dy[n, m, oh, ow]; " +
        "dJ/dx[n, ., h, w] = Σ over the windows and taps that read (h, w) of W[m, c, i, j] dJ/dy[n, m, oh, ow]";
    public override string ShapeRule =>
        "x: N x C x H x W, W: M x C/groups x kH x kW (the kernel is W's last two axes), b: M; y: N x M x oH x oW, " +
        "oH = floor((H + pad_top + pad_bottom - (dilation_h (kH - 1) + 1)) / stride_h) + 1, oW likewise; C and M divisible by groups";
    public override string Convention =>
        "torch.nn.Conv2d and ONNX Conv: cross-correlation (the kernel is not flipped), weight M x C/groups x kH x kW, the kernel size taken from the weight. " +
        "stride, padding and dilation take one value for both axes or [h, w]; padding also takes 4 values [top, left, bottom, right] (ONNX's begin pads then end pads), " +
        "for asymmetric padding and ONNX's auto_pad SAME_UPPER / SAME_LOWER, which the importer turns into such pads. Zero padding only (PyTorch's padding_mode 'zeros'). " +
        "groups splits the channels into groups convolved separately (groups = C is depthwise). The bias b is optional.";
    public override string Example => "{op: conv2d, x: x, W: K, b: c, padding: 1}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "images, N x C x H x W") { MinRank = 4, MaxRank = 4 },
        new("W", "the filters, M x C/groups x kH x kW") { MinRank = 4, MaxRank = 4 },
        new("b", "the bias, one value per filter (M); optional") { MinRank = 1, MaxRank = 1, Optional = true },
    ];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integers("stride", "the step between windows: one value for both axes or [h, w]", [1], 1) with { ShowDefault = false },
        AttributeSpec.Integers("padding", "zero padding: one value for every side, [h, w] (both sides), or [top, left, bottom, right] (ONNX's pads)", [0], 0) with { ShowDefault = false },
        AttributeSpec.Integers("dilation", "the step between a window's taps: one value or [h, w]", [1], 1) with { ShowDefault = false },
        AttributeSpec.Integer("groups", "channel groups: C and M must both be divisible by it", 1, 1) with { ShowDefault = false },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("3x3, padding 1", [[batch, 2, 4, 4], [3, 2, 3, 3], [3]]) { Attributes = [("padding", "1")] },
        new("2x3 kernel, stride 2", [[batch, 1, 5, 6], [2, 1, 2, 3], [2]]) { Attributes = [("stride", "2")] },
        new("stride [2, 1], dilation [1, 2], pads [1, 0, 0, 2]", [[batch, 2, 5, 5], [2, 2, 2, 2], [2]])
            { Attributes = [("stride", "[2, 1]"), ("dilation", "[1, 2]"), ("padding", "[1, 0, 0, 2]")] },
        new("groups 2", [[batch, 4, 3, 3], [6, 2, 2, 2], [6]]) { Attributes = [("groups", "2"), ("padding", "[0, 1]")] },
        new("no bias, 1x1 kernel", [[batch, 3, 2, 3], [2, 3, 1, 1]]),
    ];

    private static (Windows? W, string? Error) WindowsOf(Shape x, Shape w, AttributeValues a) =>
        Windows.Of(x.Dims[2..], [w[2], w[3]], a.Integers(0), a.Integers(1), a.Integers(2), ceilMode: false, needsInput: false);

    /// <summary>FLOPs (see <see cref="OpCost"/>): 2 (C/groups) kh kw per output element forward (padding taps included, as PyTorch's counter does), plus one per output element for the bias; backward the same product for each of dJ/dx and dJ/dW, one per output element for dJ/db.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double taps = inputs[1].Length / (double)inputs[1][0], product = 2 * output.Length * taps, bias = inputs.Count > 2 ? output.Length : 0;
        return inputs.Count > 2 ? new OpCost(product + bias, [product, product, bias]) : new OpCost(product, [product, product]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        Shape x = q[0], w = q[1];
        int groups = q.Attributes.Integer(3);
        if (x[1] % groups != 0 || w[0] % groups != 0)
            return ShapeResult.Fail($"groups is {groups}, but input {q.Name(0)} has {x[1]} channel{(x[1] == 1 ? "" : "s")} and weight {q.Name(1)} {w[0]} filter{(w[0] == 1 ? "" : "s")}: both must be divisible by groups");
        if (w[1] * groups != x[1])
            return ShapeResult.Fail($"weight {q.Name(1)} is {w}, so each filter reads {w[1]} channel{(w[1] == 1 ? "" : "s")}{(groups > 1 ? $" of each of {groups} groups" : "")}, but input {q.Name(0)} ({x}) has {x[1]}: the weight must be M x {x[1] / groups} x kH x kW");
        if (q.Count > 2 && q[2][0] != w[0])
            return ShapeResult.Fail($"bias {q.Name(2)} is {q[2]} but weight {q.Name(1)} has {w[0]} filter{(w[0] == 1 ? "" : "s")}: the bias needs {w[0]} values");
        var (win, error) = WindowsOf(x, w, q.Attributes);
        if (win is null) return ShapeResult.Fail($"input {q.Name(0)} is {x} and weight {q.Name(1)} {w}: {error}");
        return ShapeResult.Ok(new Shape([x[0], w[0], .. win.SpatialOut]));
    }

    /// <summary>(y, x, w) full flat index triples: y[n, m, o] += x[n, c, tap] w[m, c - group start, kernel tap].</summary>
    private static List<(int Out, int A, int B)> Pairs(Shape x, Shape w, AttributeValues a)
    {
        var win = WindowsOf(x, w, a).W!;
        int n = x[0], channels = x[1], filters = w[0], groups = a.Integer(3), cg = channels / groups, mg = filters / groups;
        int kernel = w[2] * w[3], inPlane = win.InPlane, outPlane = win.OutPlane;
        var pairs = new List<(int, int, int)>();
        for (int s = 0; s < n; s++)
            for (int m = 0; m < filters; m++)
                foreach (var (o, o0, o1, o2) in OpExplain.Positions(win))
                    for (int c = 0; c < cg; c++)
                        foreach (var (tap, k) in OpExplain.Taps(win, o0, o1, o2))
                            pairs.Add((((s * filters) + m) * outPlane + o, ((s * channels) + m / mg * cg + c) * inPlane + tap, ((m * cg) + c) * kernel + k));
        return pairs;
    }

    /// <summary>One output entry as the sum of its window's products (taps in the padding left out) plus the filter's bias.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), w = e.Input(1), y = e.Output;
        e.Note(Formula);
        e.Note($"each entry of {y.Name} sums (input tap)(weight) over its window's taps inside {x.Name} (padding adds 0), then adds its filter's bias");
        var b = e.InputCount > 2 ? e.Input(2) : null;
        OpExplain.BilinearForward(e, x, w, y, Pairs(x.Shape, w.Shape, e.Attributes), b is null ? null : full => OpExplain.NumFlat(b, full[1]));
    }

    /// <summary>dJ/dx and dJ/dw entry by entry as sums of (dJ/dy)(w) and (x)(dJ/dy) over the windows; dJ/db the sum of its filter's dJ/dy.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        OpExplain.BilinearBackward(e, 0, 1, Pairs(e.Input(0).Shape, e.Input(1).Shape, e.Attributes));
        if (e.InputCount > 2) OpExplain.BiasBackward(e, 2, full => [full[1]]);
    }

    /// <summary>The node's geometry: windows, groups and the matrix sizes of the products.</summary>
    private sealed record Plan(Windows W, int N, int C, int M, int Groups, int Cg, int Mg, int Kg, int P)
    {
        public int K => Groups * Kg;
        public int NP => N * P;

        /// <summary>The windows as tap tables for the float32 AVX-512 loops (null without AVX-512: the index loops serve).</summary>
        public TapTable? Taps { get; init; }

        /// <summary>Where Y's columns live in y, for the float32 AVX-512 loops that write Y in place and read dY from place (null with <see cref="Taps"/>).</summary>
        public OutMap? Out { get; init; }

        /// <summary>
        /// For the index loops (no <see cref="Taps"/>): Src[t · P + o], the input position (within its plane) that tap t
        /// of output position o reads, -1 in the padding. Per entry instead of per output row, so that short rows
        /// (LeNet's 8 and 2 wide) cost no loop setup each; taps x P entries, never more than the column buffer's K x N·P.
        /// </summary>
        public int[]? Src { get; init; }
    }

    /// <summary>Tests only: plans made while this is false use the index loops even where the AVX-512 tap tables could run.</summary>
    internal static bool TapTablesAllowed { get; set; } = true;

    private static int[] SourceTable(Windows w)
    {
        int inH = w.In[1], inW = w.In[2], outW = w.Out[2], kW = w.Kernel[2], taps = w.Kernel[1] * kW, P = w.OutPlane;
        var src = new int[taps * P];
        for (int t = 0; t < taps; t++)
        {
            int offH = t / kW * w.Dilation[1] - w.PadBegin[1], offW = t % kW * w.Dilation[2] - w.PadBegin[2];
            for (int o = 0; o < P; o++)
            {
                int h = o / outW * w.Stride[1] + offH, x = o % outW * w.Stride[2] + offW;
                src[t * P + o] = h >= 0 && h < inH && x >= 0 && x < inW ? h * inW + x : -1;
            }
        }
        return src;
    }

    private static Plan PlanOf<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Shape x = c.Input(0).Shape, w = c.Input(1).Shape;
        var win = WindowsOf(x, w, c.Attributes).W ?? throw new InvalidOperationException("the convolution's windows passed setup but do not fit at run time");
        int groups = c.Attributes.Integer(3);
        bool taps = typeof(T) == typeof(float) && TapTable.Supported && TapTablesAllowed;
        int[]? src = taps ? null : SourceTable(win);
        return new Plan(win, x[0], x[1], w[0], groups, x[1] / groups, w[0] / groups, w[1] * w[2] * w[3], win.OutPlane)
        {
            Taps = taps ? new TapTable(win) : null,
            Out = taps ? new OutMap(x[0], w[0], win.OutPlane) : null,
            Src = src,
        };
    }

    /// <summary>Column buffer (K x NP), output-shaped buffer in matrix layout (M x NP), column gradient (K x NP).</summary>
    private static void Buffers<T>(OpContext<T> c, Plan p, out Span<T> col, out Span<T> mat, out Span<T> dcol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = p.K * p.NP, mats = p.M * p.NP;
        var all = c.Scratch(2 * cols + mats);
        col = all[..cols];
        mat = all.Slice(cols, mats);
        dcol = all.Slice(cols + mats, cols);
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var p = c.State(PlanOf);
        Buffers(c, p, out var col, out var yt, out _);
        Im2Col<T>(p, c.Input(0).Span, col);
        var w = c.Input(1).Span;
        if (typeof(T) == typeof(float) && p.Out is { } map)
        {
            // Y = W col written straight into y with the bias added (the same products, the same bits).
            var bf = c.HasInput(2) ? MemoryMarshal.Cast<T, float>(c.Input(2).Span) : default;
            ForwardFloat(p, map, MemoryMarshal.Cast<T, float>(w), MemoryMarshal.Cast<T, float>(col), bf, MemoryMarshal.Cast<T, float>(c.Output.Span));
            return;
        }
        for (int g = 0; g < p.Groups; g++)
            Gemm.Multiply(false, false, p.Mg, p.NP, p.Kg, T.One, w.Slice(g * p.Mg * p.Kg), p.Kg, col.Slice(g * p.Kg * p.NP), p.NP,
                T.Zero, yt.Slice(g * p.Mg * p.NP), p.NP, c.Gemm);
        // Y (M x N·P) to y (N x M x P), plus the bias (0 without one, as before: -0 becomes +0).
        var y = c.Output.Span;
        var b = c.HasInput(2) ? c.Input(2).Span : default;
        for (int m = 0; m < p.M; m++)
        {
            T bm = b.IsEmpty ? T.Zero : b[m];
            for (int n = 0; n < p.N; n++) AddRow(yt.Slice(m * p.NP + n * p.P, p.P), bm, y.Slice((n * p.M + m) * p.P, p.P));
        }
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var p = c.State(PlanOf);
        Buffers(c, p, out var col, out var dyt, out var dcol);
        var dy = c.OutputGrad!.Span;
        if (typeof(T) == typeof(float) && p.Out is { } map) GatherFloat(p, map, MemoryMarshal.Cast<T, float>(dy), MemoryMarshal.Cast<T, float>(dyt));
        else
            for (int m = 0; m < p.M; m++)
                for (int n = 0; n < p.N; n++) CopyRow<T>(dy.Slice((n * p.M + m) * p.P, p.P), dyt.Slice(m * p.NP + n * p.P, p.P));
        if (c.HasInput(2) && c.InputGrad(2) is { } db)
            for (int m = 0; m < p.M; m++) db[m] += TensorPrimitives.Sum<T>(dyt.Slice(m * p.NP, p.NP));
        if (c.InputGrad(1) is { } dw)
            for (int g = 0; g < p.Groups; g++)
                Gemm.Multiply(false, true, p.Mg, p.Kg, p.NP, T.One, dyt.Slice(g * p.Mg * p.NP), p.NP, col.Slice(g * p.Kg * p.NP), p.NP,
                    T.One, dw.Span.Slice(g * p.Mg * p.Kg), p.Kg, c.Gemm);
        if (c.InputGrad(0) is { } dx)
        {
            var w = c.Input(1).Span;
            for (int g = 0; g < p.Groups; g++)
                Gemm.Multiply(true, false, p.Kg, p.NP, p.Mg, T.One, w.Slice(g * p.Mg * p.Kg), p.Kg, dyt.Slice(g * p.Mg * p.NP), p.NP,
                    T.Zero, dcol.Slice(g * p.Kg * p.NP), p.NP, c.Gemm);
            Col2Im<T>(p, dcol, dx.Span);
        }
    }

    /// <summary>d = a + s, element by element: vector calls for long rows, 128-bit vectors (the last one overlapping) for short ones.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void AddRow<T>(ReadOnlySpan<T> a, T s, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Length, w = Vector128<T>.Count;
        if (n >= 16) TensorPrimitives.Add(a, s, d);
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= w)
        {
            ref T pa = ref MemoryMarshal.GetReference(a);
            ref T pd = ref MemoryMarshal.GetReference(d);
            var vs = Vector128.Create(s);
            for (int i = 0; ; i += w)
            {
                int at = Math.Min(i, n - w);
                (Vector128.LoadUnsafe(ref pa, (nuint)at) + vs).StoreUnsafe(ref pd, (nuint)at);
                if (at == n - w) break;
            }
        }
        else for (int k = 0; k < n; k++) d[k] = a[k] + s;
    }

    /// <summary>d = a: a span copy for long rows, 128-bit vectors (the last one overlapping) for short ones.</summary>
    [MethodImpl(HotLoop.Options)]
    private static void CopyRow<T>(ReadOnlySpan<T> a, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Length, w = Vector128<T>.Count;
        if (n >= 16) a.CopyTo(d);
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported && n >= w)
        {
            ref T pa = ref MemoryMarshal.GetReference(a);
            ref T pd = ref MemoryMarshal.GetReference(d);
            for (int i = 0; ; i += w)
            {
                int at = Math.Min(i, n - w);
                Vector128.LoadUnsafe(ref pa, (nuint)at).StoreUnsafe(ref pd, (nuint)at);
                if (at == n - w) break;
            }
        }
        else for (int k = 0; k < n; k++) d[k] = a[k];
    }

    /// <summary>
    /// col[(c · kH + i) · kW + j, n · P + oh · oW + ow] = x[n, c, oh · s_h - p_top + i · d_h, ow · s_w - p_left + j · d_w], 0 in the padding.
    /// float32 with AVX-512 goes through <see cref="Im2ColFloat"/>; otherwise <see cref="Plan.Src"/> is read once per channel, tap
    /// and output position, and that entry copied for every sample in turn (the rows are short, LeNet's 8 and 2 wide, so
    /// per-sample or per-row loops would cost more in setup than in copies).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static void Im2Col<T>(Plan p, ReadOnlySpan<T> x, Span<T> col) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && p.Taps is { } taps)
        {
            Im2ColFloat(p, taps, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(col));
            return;
        }
        int[] table = p.Src!;
        int P = p.P, NP = p.NP, plane = p.W.In[1] * p.W.In[2], tapCount = p.W.Kernel[1] * p.W.Kernel[2];
        int samplePlanes = p.C * plane;
        // Every index is -1 or inside its plane, and every column row inside col: checked once here, read by reference below.
        if (x.Length < p.N * samplePlanes || col.Length < p.C * tapCount * NP || table.Length < tapCount * P)
            throw new InvalidOperationException("conv2d's buffers do not match its plan");
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref T c0 = ref MemoryMarshal.GetReference(col);
        ref int s0 = ref MemoryMarshal.GetReference(table.AsSpan());
        for (int ch = 0; ch < p.C; ch++)
            for (int t = 0; t < tapCount; t++)
            {
                ref T row = ref Unsafe.Add(ref c0, (ch * tapCount + t) * NP);
                for (int o = 0; o < P; o++)
                {
                    int at = Unsafe.Add(ref s0, t * P + o);
                    ref T c = ref Unsafe.Add(ref row, o);
                    if (at < 0)
                    {
                        for (int n = 0; n < p.N; n++) Unsafe.Add(ref c, n * P) = T.Zero;
                        continue;
                    }
                    ref T s = ref Unsafe.Add(ref x0, ch * plane + at);
                    for (int n = 0; n < p.N; n++) Unsafe.Add(ref c, n * P) = Unsafe.Add(ref s, n * samplePlanes);
                }
            }
    }

    /// <summary>
    /// dx[n, c, h, w] += every col entry that <see cref="Im2Col"/> read from (n, c, h, w): channel by channel, tap by tap in
    /// increasing tap order (each tap reads an input entry at most once), then per output position the samples in turn, so
    /// that the table is read and the padding skipped once per tap and position, not once per sample (LeNet's conv 2 has
    /// 4 output positions per plane: per-sample rows cost more in setup than in additions).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static void Col2Im<T>(Plan p, ReadOnlySpan<T> col, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && p.Taps is { } taps)
        {
            Col2ImFloat(p, taps, MemoryMarshal.Cast<T, float>(col), MemoryMarshal.Cast<T, float>(dx));
            return;
        }
        int[] table = p.Src!;
        int P = p.P, NP = p.NP, plane = p.W.In[1] * p.W.In[2], tapCount = p.W.Kernel[1] * p.W.Kernel[2];
        int samplePlanes = p.C * plane;
        // Every index is -1 or inside its plane, and every column row inside col: checked once here, read by reference below.
        if (dx.Length < p.N * samplePlanes || col.Length < p.C * tapCount * NP || table.Length < tapCount * P)
            throw new InvalidOperationException("conv2d's buffers do not match its plan");
        ref T d0 = ref MemoryMarshal.GetReference(dx);
        ref T c0 = ref MemoryMarshal.GetReference(col);
        ref int s0 = ref MemoryMarshal.GetReference(table.AsSpan());
        for (int ch = 0; ch < p.C; ch++)
            for (int t = 0; t < tapCount; t++)
            {
                ref T row = ref Unsafe.Add(ref c0, (ch * tapCount + t) * NP);
                for (int o = 0; o < P; o++)
                {
                    int at = Unsafe.Add(ref s0, t * P + o);
                    if (at < 0) continue;
                    ref T d = ref Unsafe.Add(ref d0, ch * plane + at);
                    ref T c = ref Unsafe.Add(ref row, o);
                    for (int n = 0; n < p.N; n++)
                    {
                        Unsafe.Add(ref d, n * samplePlanes) += Unsafe.Add(ref c, n * P);
                    }
                }
            }
    }

    /// <summary>
    /// The windows of one plane as tables, for the AVX-512 loops: Src[t · P + o] is the input position
    /// (within its plane) that kernel tap t = i · kW + j of output position o reads, -1 in the padding.
    /// Planes of at most 16 values in and out (LeNet's 4 x 4 to 2 x 2) are one vector each: per tap
    /// a permutation gathers the tap's outputs from the input plane (<see cref="Gather"/>, zero where
    /// <see cref="Valid"/> is not set) and another spreads them back (<see cref="Scatter"/>, onto the
    /// positions <see cref="Hit"/> marks). Larger planes go by 16 outputs at a time: a chunk whose
    /// inputs are one run (stride 1 along W with oW = W, as LeNet's padded 8 x 8) is one masked load
    /// from <see cref="Base"/>; any other is copied value by value.
    /// </summary>
    private sealed class TapTable
    {
        public static bool Supported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

        public readonly int Taps, P, InPlane, Chunks;
        public readonly int[] Src;
        public readonly bool Small;
        public readonly Vector512<int>[] Gather = [], Scatter = [];
        public readonly Vector512<float>[] Valid = [], Hit = [];

        /// <summary>
        /// Small planes of 4 or 8 outputs: samples per 16 columns of col (4 or 2), unrolled and folded
        /// a whole vector at a time; 0 where one sample is one vector (or less than one that does not divide it).
        /// </summary>
        public readonly int Group;

        /// <summary>Per tap, for <see cref="Group"/>: the two-plane permutation (lane s·P + o takes tap input o of plane s, from the second plane of a pair when s is odd) and its lanes inside the input.</summary>
        public readonly Vector512<int>[] Pair = [];

        /// <summary>Per tap: <see cref="Valid"/> repeated for each sample of a group.</summary>
        public readonly Vector512<float>[] ValidAll = [];

        /// <summary>The lanes of the second pair of samples of a group of 4.</summary>
        public readonly Vector512<float> Upper;

        /// <summary>Per tap and chunk (t · Chunks + chunk): 0 all padding, 1 one run from Base, 2 value by value.</summary>
        public readonly int[] Kind = [], Base = [];

        /// <summary>Per tap and chunk: the lanes inside the input.</summary>
        public readonly Vector512<float>[] Mask = [];

        public TapTable(Windows w)
        {
            Taps = w.Kernel[1] * w.Kernel[2];
            P = w.OutPlane;
            InPlane = w.InPlane;
            Src = SourceTable(w);
            const int L = 16;
            Small = P <= L && InPlane <= L;
            if (Small)
            {
                Gather = new Vector512<int>[Taps];
                Scatter = new Vector512<int>[Taps];
                Valid = new Vector512<float>[Taps];
                Hit = new Vector512<float>[Taps];
                Span<int> gather = stackalloc int[L], scatter = stackalloc int[L];
                Span<float> valid = stackalloc float[L], hit = stackalloc float[L];
                float on = BitConverter.Int32BitsToSingle(-1);
                for (int t = 0; t < Taps; t++)
                {
                    gather.Clear(); scatter.Clear(); valid.Clear(); hit.Clear();
                    for (int o = 0; o < P; o++)
                        if (Src[t * P + o] is int q and >= 0)
                        {
                            (gather[o], valid[o]) = (q, on);
                            (scatter[q], hit[q]) = (o, on);
                        }
                    Gather[t] = Vector512.Create<int>(gather);
                    Scatter[t] = Vector512.Create<int>(scatter);
                    Valid[t] = Vector512.Create<float>(valid);
                    Hit[t] = Vector512.Create<float>(hit);
                }
                if (P is 4 or 8)
                {
                    Group = L / P;
                    Pair = new Vector512<int>[Taps];
                    ValidAll = new Vector512<float>[Taps];
                    Span<int> pair = stackalloc int[L];
                    Span<float> all = stackalloc float[L], upper = stackalloc float[L];
                    for (int t = 0; t < Taps; t++)
                    {
                        for (int l = 0; l < L; l++)
                        {
                            int o = l % P, q = Src[t * P + o];
                            pair[l] = Math.Max(q, 0) + (l / P % 2 == 1 ? L : 0);
                            all[l] = q >= 0 ? on : 0f;
                            upper[l] = l >= 2 * P ? on : 0f;
                        }
                        Pair[t] = Vector512.Create<int>(pair);
                        ValidAll[t] = Vector512.Create<float>(all);
                        Upper = Vector512.Create<float>(upper);
                    }
                }
                return;
            }
            Chunks = (P + L - 1) / L;
            Kind = new int[Taps * Chunks];
            Base = new int[Taps * Chunks];
            Mask = new Vector512<float>[Taps * Chunks];
            Span<float> mask = stackalloc float[L];
            for (int t = 0; t < Taps; t++)
                for (int ch = 0; ch < Chunks; ch++)
                {
                    int o0 = ch * L, lanes = Math.Min(L, P - o0), e = t * Chunks + ch, first = 0;
                    bool any = false, run = true;
                    mask.Clear();
                    for (int l = 0; l < lanes; l++)
                        if (Src[t * P + o0 + l] is int q and >= 0)
                        {
                            mask[l] = BitConverter.Int32BitsToSingle(-1);
                            if (!any) first = q - l;
                            else run &= q - l == first;
                            any = true;
                        }
                    Kind[e] = !any ? 0 : run ? 1 : 2;
                    Base[e] = first;
                    Mask[e] = Vector512.Create<float>(mask);
                }
        }
    }

    /// <summary><see cref="Im2Col"/> for float32 with AVX-512 (the same values: it only copies).</summary>
    [MethodImpl(HotLoop.Options)]
    private static unsafe void Im2ColFloat(Plan p, TapTable t, ReadOnlySpan<float> xs, Span<float> cols)
    {
        int P = p.P, NP = p.NP, C = p.C, taps = t.Taps, inPlane = t.InPlane;
        var zero = Vector512<float>.Zero;
        fixed (float* x = xs, col = cols)
        {
            if (t.Group > 0)
            {
                // 4 (or 2) samples per vector: two planes per permutation, one store of 16 columns.
                int G = t.Group;
                var inMask = FirstLanes(inPlane);
                for (int n0 = 0; n0 < p.N; n0 += G)
                {
                    int cnt = Math.Min(G, p.N - n0);
                    var outMask = FirstLanes(cnt * P);
                    bool whole = cnt == G;
                    for (int c = 0; c < C; c++)
                    {
                        float* plane = x + (long)(n0 * C + c) * inPlane;
                        long step = (long)C * inPlane;
                        var v0 = Avx512F.MaskLoad(plane, inMask, zero);
                        var v1 = cnt > 1 ? Avx512F.MaskLoad(plane + step, inMask, zero) : zero;
                        var v2 = cnt > 2 ? Avx512F.MaskLoad(plane + 2 * step, inMask, zero) : zero;
                        var v3 = cnt > 3 ? Avx512F.MaskLoad(plane + 3 * step, inMask, zero) : zero;
                        float* dst = col + (long)c * taps * NP + n0 * P;
                        for (int k = 0; k < taps; k++, dst += NP)
                        {
                            var r = Avx512F.PermuteVar16x32x2(v0, t.Pair[k], v1);
                            if (G == 4) r = Vector512.ConditionalSelect(t.Upper, Avx512F.PermuteVar16x32x2(v2, t.Pair[k], v3), r);
                            r = Vector512.ConditionalSelect(t.ValidAll[k], r, zero);
                            if (whole) r.Store(dst);
                            else Avx512F.MaskStore(dst, outMask, r);
                        }
                    }
                }
                return;
            }
            if (t.Small)
            {
                var inMask = FirstLanes(inPlane);
                var outMask = FirstLanes(P);
                for (int n = 0; n < p.N; n++)
                    for (int c = 0; c < C; c++)
                    {
                        var v = Avx512F.MaskLoad(x + (long)(n * C + c) * inPlane, inMask, zero);
                        float* dst = col + (long)c * taps * NP + n * P;
                        for (int k = 0; k < taps; k++, dst += NP)
                        {
                            var r = Vector512.ConditionalSelect(t.Valid[k], Avx512F.PermuteVar16x32(v, t.Gather[k]), zero);
                            if (P == 16) r.Store(dst);
                            else Avx512F.MaskStore(dst, outMask, r);
                        }
                    }
                return;
            }
            int chunks = t.Chunks;
            var tail = FirstLanes(P - (chunks - 1) * 16);
            long planes = (long)C * inPlane;
            // Per tap and chunk, the table read once and the samples in turn (P apart in col, C planes apart in x).
            for (int c = 0; c < C; c++)
                for (int k = 0; k < taps; k++)
                {
                    float* row = col + (long)(c * taps + k) * NP;
                    for (int h = 0; h < chunks; h++)
                    {
                        int e = k * chunks + h, kind = t.Kind[e];
                        bool full = h < chunks - 1 || P % 16 == 0;
                        float* dst = row + h * 16;
                        if (kind == 1)
                        {
                            var m = t.Mask[e];
                            float* src = x + (long)c * inPlane + t.Base[e];
                            if (full)
                                for (int n = 0; n < p.N; n++, src += planes, dst += P) Avx512F.MaskLoad(src, m, zero).Store(dst);
                            else
                                for (int n = 0; n < p.N; n++, src += planes, dst += P) Avx512F.MaskStore(dst, tail, Avx512F.MaskLoad(src, m, zero));
                        }
                        else if (kind == 0)
                        {
                            if (full)
                                for (int n = 0; n < p.N; n++, dst += P) zero.Store(dst);
                            else
                                for (int n = 0; n < p.N; n++, dst += P) Avx512F.MaskStore(dst, tail, zero);
                        }
                        else
                        {
                            int lanes = Math.Min(16, P - h * 16);
                            float* plane = x + (long)c * inPlane;
                            for (int n = 0; n < p.N; n++, plane += planes, dst += P)
                                for (int l = 0; l < lanes; l++)
                                    dst[l] = t.Src[k * P + h * 16 + l] is int q and >= 0 ? plane[q] : 0f;
                        }
                    }
                }
        }
    }

    /// <summary><see cref="Col2Im"/> for float32 with AVX-512: each input entry gets its taps' values in the same order (kernel taps in row-major order), so the same bits.</summary>
    [MethodImpl(HotLoop.Options)]
    private static unsafe void Col2ImFloat(Plan p, TapTable t, ReadOnlySpan<float> cols, Span<float> dxs)
    {
        int P = p.P, NP = p.NP, C = p.C, taps = t.Taps, inPlane = t.InPlane;
        var zero = Vector512<float>.Zero;
        fixed (float* col = cols, dx = dxs)
        {
            if (t.Group > 0)
            {
                // 4 (or 2) samples per vector of the column gradient, one accumulator per sample's plane;
                // each plane entry still takes its taps' values in kernel-tap order.
                int G = t.Group;
                var inMask = FirstLanes(inPlane);
                var s1 = Vector512.Create(P);
                var s2 = Vector512.Create(2 * P);
                var s3 = Vector512.Create(3 * P);
                for (int n0 = 0; n0 < p.N; n0 += G)
                {
                    int cnt = Math.Min(G, p.N - n0);
                    var outMask = FirstLanes(cnt * P);
                    bool whole = cnt == G;
                    for (int c = 0; c < C; c++)
                    {
                        float* d = dx + (long)(n0 * C + c) * inPlane;
                        long step = (long)C * inPlane;
                        var a0 = Avx512F.MaskLoad(d, inMask, zero);
                        var a1 = cnt > 1 ? Avx512F.MaskLoad(d + step, inMask, zero) : zero;
                        var a2 = cnt > 2 ? Avx512F.MaskLoad(d + 2 * step, inMask, zero) : zero;
                        var a3 = cnt > 3 ? Avx512F.MaskLoad(d + 3 * step, inMask, zero) : zero;
                        float* src = col + (long)c * taps * NP + n0 * P;
                        for (int k = 0; k < taps; k++, src += NP)
                        {
                            var g = whole ? Vector512.Load(src) : Avx512F.MaskLoad(src, outMask, zero);
                            var hit = t.Hit[k];
                            var sc = t.Scatter[k];
                            a0 = Vector512.ConditionalSelect(hit, a0 + Avx512F.PermuteVar16x32(g, sc), a0);
                            a1 = Vector512.ConditionalSelect(hit, a1 + Avx512F.PermuteVar16x32(g, sc + s1), a1);
                            if (G == 4)
                            {
                                a2 = Vector512.ConditionalSelect(hit, a2 + Avx512F.PermuteVar16x32(g, sc + s2), a2);
                                a3 = Vector512.ConditionalSelect(hit, a3 + Avx512F.PermuteVar16x32(g, sc + s3), a3);
                            }
                        }
                        Avx512F.MaskStore(d, inMask, a0);
                        if (cnt > 1) Avx512F.MaskStore(d + step, inMask, a1);
                        if (cnt > 2) Avx512F.MaskStore(d + 2 * step, inMask, a2);
                        if (cnt > 3) Avx512F.MaskStore(d + 3 * step, inMask, a3);
                    }
                }
                return;
            }
            if (t.Small)
            {
                var inMask = FirstLanes(inPlane);
                var outMask = FirstLanes(P);
                for (int n = 0; n < p.N; n++)
                    for (int c = 0; c < C; c++)
                    {
                        float* d = dx + (long)(n * C + c) * inPlane;
                        var acc = Avx512F.MaskLoad(d, inMask, zero);
                        float* src = col + (long)c * taps * NP + n * P;
                        for (int k = 0; k < taps; k++, src += NP)
                        {
                            var g = Avx512F.PermuteVar16x32(Avx512F.MaskLoad(src, outMask, zero), t.Scatter[k]);
                            acc = Vector512.ConditionalSelect(t.Hit[k], acc + g, acc);
                        }
                        Avx512F.MaskStore(d, inMask, acc);
                    }
                return;
            }
            int chunks = t.Chunks;
            for (int n = 0; n < p.N; n++)
                for (int c = 0; c < C; c++)
                {
                    float* plane = dx + (long)(n * C + c) * inPlane;
                    float* row = col + (long)c * taps * NP + n * P;
                    for (int k = 0; k < taps; k++, row += NP)
                        for (int h = 0; h < chunks; h++)
                        {
                            int e = k * chunks + h;
                            float* src = row + h * 16;
                            if (t.Kind[e] == 1)
                            {
                                var m = t.Mask[e];
                                float* d = plane + t.Base[e];
                                Avx512F.MaskStore(d, m, Avx512F.MaskLoad(d, m, zero) + Avx512F.MaskLoad(src, m, zero));
                            }
                            else if (t.Kind[e] == 2)
                            {
                                int lanes = Math.Min(16, P - h * 16);
                                for (int l = 0; l < lanes; l++)
                                    if (t.Src[k * P + h * 16 + l] is int q and >= 0) plane[q] += src[l];
                            }
                        }
                }
        }
    }

    /// <summary>
    /// Where the N·P columns of the matrix Y (M x N·P, column n·P + o) live in y (N x M x P), by
    /// chunks of 16 columns: column j of row m is y[n·(M-1)·P + m·P + j] for the sample n that
    /// holds j, so each sample's run of a chunk is one masked store (or load) at
    /// <see cref="Off"/> + m·P, lanes <see cref="Mask"/>. A chunk inside one sample, full, is
    /// one piece with every lane (<see cref="Whole"/>).
    /// </summary>
    private sealed class OutMap
    {
        public readonly int Chunks;

        /// <summary>Pieces of chunk h: Start[h] to Start[h + 1].</summary>
        public readonly int[] Start;

        public readonly int[] Off;
        public readonly Vector512<float>[] Mask;

        /// <summary>Per chunk: one piece with all 16 lanes.</summary>
        public readonly bool[] Whole;

        public OutMap(int n, int m, int p)
        {
            const int L = 16;
            int np = n * p;
            Chunks = (np + L - 1) / L;
            Start = new int[Chunks + 1];
            Whole = new bool[Chunks];
            var off = new List<int>();
            var mask = new List<Vector512<float>>();
            Span<float> lanes = stackalloc float[L];
            for (int h = 0; h < Chunks; h++)
            {
                Start[h] = off.Count;
                int j = h * L, end = Math.Min(np, j + L);
                for (int s = j / p; s * p < end; s++)
                {
                    lanes.Clear();
                    int lo = Math.Max(j, s * p), hi = Math.Min(end, (s + 1) * p);
                    for (int l = lo; l < hi; l++) lanes[l - j] = BitConverter.Int32BitsToSingle(-1);
                    off.Add(s * (m - 1) * p + j);
                    mask.Add(Vector512.Create<float>(lanes));
                }
                Whole[h] = off.Count - Start[h] == 1 && end - j == L;
            }
            Start[Chunks] = off.Count;
            Off = [.. off];
            Mask = [.. mask];
        }
    }

    /// <summary>
    /// y = W col + b, group by group, written in place through <paramref name="map"/>: each entry the
    /// GEMM's chain of fused multiply-adds over the group's K rows in increasing order from 0
    /// (the same bits as <see cref="Gemm"/> into a matrix, then the bias added, 0 without one).
    /// Tiles of 4 rows by 4 chunks of 16 columns, single rows and chunks at the edges.
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    private static unsafe void ForwardFloat(Plan p, OutMap map, ReadOnlySpan<float> ws, ReadOnlySpan<float> cols, ReadOnlySpan<float> bs, Span<float> ys)
    {
        int k = p.Kg, np = p.NP, chunks = map.Chunks, P = p.P;
        var tail = FirstLanes(np - (chunks - 1) * 16);
        fixed (float* w0 = ws, col0 = cols, b = bs, y = ys)
            for (int g = 0; g < p.Groups; g++)
            {
                float* w = w0 + (long)g * p.Mg * k, col = col0 + (long)g * k * np;
                int m0 = g * p.Mg, h = 0;
                for (; h + 4 <= chunks && (h + 4) * 16 <= np; h += 4)
                {
                    int i = 0;
                    for (; i + 4 <= p.Mg; i += 4)
                    {
                        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
                        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
                        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
                        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
                        float* a = w + (long)i * k, bb = col + h * 16;
                        for (int q = 0; q < k; q++, bb += np)
                        {
                            var b0 = Vector512.Load(bb);
                            var b1 = Vector512.Load(bb + 16);
                            var b2 = Vector512.Load(bb + 32);
                            var b3 = Vector512.Load(bb + 48);
                            var x = Vector512.Create(a[q]);
                            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01); c02 = Avx512F.FusedMultiplyAdd(x, b2, c02); c03 = Avx512F.FusedMultiplyAdd(x, b3, c03);
                            x = Vector512.Create(a[k + q]);
                            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11); c12 = Avx512F.FusedMultiplyAdd(x, b2, c12); c13 = Avx512F.FusedMultiplyAdd(x, b3, c13);
                            x = Vector512.Create(a[2 * k + q]);
                            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21); c22 = Avx512F.FusedMultiplyAdd(x, b2, c22); c23 = Avx512F.FusedMultiplyAdd(x, b3, c23);
                            x = Vector512.Create(a[3 * k + q]);
                            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31); c32 = Avx512F.FusedMultiplyAdd(x, b2, c32); c33 = Avx512F.FusedMultiplyAdd(x, b3, c33);
                        }
                        int m = m0 + i;
                        if (P % 64 == 0)
                        {
                            // The tile's 64 columns are one sample's: rows P apart in y.
                            int j = h * 16, n = j / P;
                            float* d = y + (long)n * (p.M - 1) * P + (long)m * P + j;
                            Store4(d, b, m, c00, c01, c02, c03);
                            Store4(d + P, b, m + 1, c10, c11, c12, c13);
                            Store4(d + 2 * P, b, m + 2, c20, c21, c22, c23);
                            Store4(d + 3 * P, b, m + 3, c30, c31, c32, c33);
                            continue;
                        }
                        Put4(map, y, m, P, b, c00, c01, c02, c03, h);
                        Put4(map, y, m + 1, P, b, c10, c11, c12, c13, h);
                        Put4(map, y, m + 2, P, b, c20, c21, c22, c23, h);
                        Put4(map, y, m + 3, P, b, c30, c31, c32, c33, h);
                    }
                    for (; i < p.Mg; i++)
                        for (int e = h; e < h + 4; e++) Row1(k, w + (long)i * k, col + e * 16, np, true, tail, map, y, m0 + i, P, b, e);
                }
                for (; h < chunks; h++)
                    for (int i = 0; i < p.Mg; i++) Row1(k, w + (long)i * k, col + h * 16, np, (h + 1) * 16 <= np, tail, map, y, m0 + i, P, b, h);
            }
    }

    /// <summary>64 values of row m (bias added) at d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store4(float* d, float* b, int m, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        var bias = Vector512.Create(b == null ? 0f : b[m]);
        (v0 + bias).Store(d);
        (v1 + bias).Store(d + 16);
        (v2 + bias).Store(d + 32);
        (v3 + bias).Store(d + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put4(OutMap map, float* y, int m, int P, float* b, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, int h)
    {
        var bias = Vector512.Create(b == null ? 0f : b[m]);
        Put(map, y, m, P, v0 + bias, h);
        Put(map, y, m, P, v1 + bias, h + 1);
        Put(map, y, m, P, v2 + bias, h + 2);
        Put(map, y, m, P, v3 + bias, h + 3);
    }

    /// <summary>Chunk h of row m of Y (bias added) stored into y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(OutMap map, float* y, int m, int P, Vector512<float> v, int h)
    {
        int s = map.Start[h];
        if (map.Whole[h])
        {
            v.Store(y + map.Off[s] + (long)m * P);
            return;
        }
        for (int e = map.Start[h + 1]; s < e; s++) Avx512F.MaskStore(y + map.Off[s] + (long)m * P, map.Mask[s], v);
    }

    /// <summary>One row by one chunk of <see cref="ForwardFloat"/> (masked loads at the last, partial chunk).</summary>
    [MethodImpl(HotLoop.Options)]
    private static unsafe void Row1(int k, float* a, float* bb, int np, bool full, Vector512<float> tail, OutMap map, float* y, int m, int P, float* b, int h)
    {
        Vector512<float> acc = default;
        for (int q = 0; q < k; q++, bb += np)
            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(a[q]), full ? Vector512.Load(bb) : Avx512F.MaskLoad(bb, tail, Vector512<float>.Zero), acc);
        Put(map, y, m, P, acc + Vector512.Create(b == null ? 0f : b[m]), h);
    }

    /// <summary>dY (M x N·P) gathered from dy (N x M x P) through <paramref name="map"/>: the move, by masked loads.</summary>
    [MethodImpl(HotLoop.Options)]
    private static unsafe void GatherFloat(Plan p, OutMap map, ReadOnlySpan<float> dys, Span<float> dyts)
    {
        int np = p.NP, chunks = map.Chunks, P = p.P;
        var tail = FirstLanes(np - (chunks - 1) * 16);
        fixed (float* dy = dys, dyt = dyts)
        {
            if (P % 16 == 0)
            {
                // Whole vectors: each (sample, filter) row of P values is a run of dY's row.
                for (int n = 0; n < p.N; n++)
                    for (int m = 0; m < p.M; m++)
                    {
                        float* src = dy + (long)(n * p.M + m) * P, dst = dyt + (long)m * np + (long)n * P;
                        for (int o = 0; o < P; o += 16) Vector512.Load(src + o).Store(dst + o);
                    }
                return;
            }
            for (int m = 0; m < p.M; m++)
            {
                float* row = dyt + (long)m * np, src = dy + (long)m * P;
                for (int h = 0; h < chunks; h++)
                {
                    int s = map.Start[h];
                    Vector512<float> v;
                    if (map.Whole[h]) v = Vector512.Load(src + map.Off[s]);
                    else
                    {
                        v = Vector512<float>.Zero;
                        for (int e = map.Start[h + 1]; s < e; s++) v = Avx512F.MaskLoad(src + map.Off[s], map.Mask[s], v);
                    }
                    if ((h + 1) * 16 <= np) v.Store(row + h * 16);
                    else Avx512F.MaskStore(row + h * 16, tail, v);
                }
            }
        }
    }

    private static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX Conv (opset 1 on; 11 made the bias shape rules explicit): inputs X, W and the optional
    /// B; kernel_shape, when given, must be W's last two axes; auto_pad becomes explicit pads.
    /// Written with every list per axis.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Conv")
        {
            Attributes =
            [
                new OnnxAttribute("strides", "stride"),
                new OnnxAttribute("pads", "padding"),
                new OnnxAttribute("dilations", "dilation"),
                new OnnxAttribute("group", "groups"),
            ],
            CheckedAttributes = ["kernel_shape", "auto_pad"],
            ImportCheck = q =>
            {
                if (q.InputShapes[0] is { } x && x.Length != 4) return $"its input has rank {x.Length}, and NetSpec's conv2d takes N x C x H x W (rank 4)";
                if (q.Attribute("kernel_shape") is { } k && q.InputShapes.Count > 1 && q.InputShapes[1] is { Length: 4 } w && !k.Integers.SequenceEqual([w[2], w[3]]))
                    return $"kernel_shape {k} is not the weight's last two axes [{w[2]}, {w[3]}]";
                return PoolOp.AutoPadCheck(q);
            },
            ImportAttributes = q => q.InputShapes.Count > 1 && q.InputShapes[1] is { Length: 4 } w ? PoolOp.AutoPad(q, 2, [w[2], w[3]]) : [],
        },
    ];

    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        var w = node.InputShapes[1];
        var win = WindowsOf(node.InputShapes[0], w, node.Attributes).W ?? throw new InvalidOperationException($"node '{node.Name}' has no windows");
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new long[] { w[2], w[3] }),
            ("strides", Windows.Longs(win.Stride, 2)),
            ("pads", win.OnnxPads),
            ("dilations", Windows.Longs(win.Dilation, 2)),
        };
        if (node.Attributes.Integer(3) != 1) attributes.Add(("group", (long)node.Attributes.Integer(3)));
        writer.Node("Conv", node.Name, node.Inputs, node.Name, [.. attributes]);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>
    /// F.conv2d(x, W, b, stride, padding, dilation, groups); padding [top, left, bottom, right] that is not the same on both
    /// sides of an axis is an F.pad of zeros first (torch's Conv2d pads both sides alike).
    /// </summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        var (begin, end) = TorchForms.Pads(a.Integers(1), 2);
        string x = node[0], padding = Py.Tuple(begin);
        if (!begin.SequenceEqual(end))
        {
            x = $"F.pad({x}, {TorchForms.PadTuple(begin, end)})";
            padding = "0";
        }
        string b = node.Count > 2 ? node[2] : "None";
        return TorchForm.Of($"F.conv2d({x}, {node[1]}, {b}, stride={Py.Tuple(TorchForms.PerAxis(a.Integers(0), 2, [1, 1]))}, padding={padding}, " +
            $"dilation={Py.Tuple(TorchForms.PerAxis(a.Integers(2), 2, [1, 1]))}, groups={a.Integer(3)})");
    }
}
