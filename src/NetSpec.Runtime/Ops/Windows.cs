namespace NetSpec.Runtime.Ops;

/// <summary>
/// The sliding windows of a pool or a convolution over 1 to 3 spatial axes (the axes after
/// N x C), as PyTorch and ONNX define them. Along a spatial axis of size <c>in</c> with kernel k,
/// stride s, dilation d and pads p_begin, p_end, window o (0-based) covers the input positions
/// <c>o s - p_begin + j d</c> for j = 0 .. k - 1; positions outside [0, in) are padding. The window
/// spans e = d (k - 1) + 1 positions and there are
/// <c>out = floor((in + p_begin + p_end - e) / s) + 1</c> windows, or with ceil_mode
/// <c>ceil(...) + 1</c> less one when the last window would start at or past <c>in + p_begin</c>
/// (inside the end padding), as torch.nn.MaxPool2d and ONNX MaxPool (opset 19 on) do.
/// Always computed over three axes (D, H, W): a 1-d or 2-d op puts size-1 axes with kernel 1
/// in front, so one loop serves every rank.
/// </summary>
internal sealed class Windows
{
    /// <summary>Input and output sizes, kernel, stride, dilation and begin pad per axis (D, H, W).</summary>
    public readonly int[] In = new int[3], Out = new int[3], Kernel = new int[3], Stride = new int[3], Dilation = new int[3], PadBegin = new int[3], PadEnd = new int[3];

    /// <summary>Per axis and output position: the first and one past the last tap j that lies inside the input.</summary>
    public readonly int[][] First = new int[3][], Last = new int[3][];

    /// <summary>Per axis and output position: the taps inside the input or its padding (before the ceil-mode overhang).</summary>
    public readonly int[][] Padded = new int[3][];

    /// <summary>The number of spatial axes (1 to 3).</summary>
    public int Dims { get; private init; }

    /// <summary>Input and output elements of one N x C plane.</summary>
    public int InPlane => In[0] * In[1] * In[2];

    public int OutPlane => Out[0] * Out[1] * Out[2];

    /// <summary>The spatial axis names for messages: "L" (1-d), "H", "W" (2-d), "D", "H", "W" (3-d).</summary>
    private static string AxisName(int dims, int a) => dims switch { 1 => "L", 2 => a == 0 ? "H" : "W", _ => "DHW"[a].ToString() };

    /// <summary>
    /// Reads one of kernel, stride or dilation: one value for every spatial axis or one per axis;
    /// <paramref name="empty"/> when the list is empty (stride's default: the kernel).
    /// </summary>
    private static int[]? PerAxis(IReadOnlyList<int> v, int dims, int[]? empty)
    {
        if (v.Count == 0) return empty;
        if (v.Count == 1) return [.. Enumerable.Repeat(v[0], dims)];
        return v.Count == dims ? [.. v] : null;
    }

    /// <summary>The listed values as text, "[1, 2]".</summary>
    private static string Text(IReadOnlyList<int> v) => "[" + string.Join(", ", v) + "]";

    /// <summary>
    /// The windows over <paramref name="spatial"/> (the input's sizes after N x C), or why there
    /// are none: a list of the wrong length, a window larger than the padded input, a window
    /// wholly in the padding (it would average or take the maximum of nothing).
    /// </summary>
    /// <param name="spatial">The input's sizes after N x C (1 to 3 axes).</param>
    /// <param name="kernel">One size for every axis, or one per axis.</param>
    /// <param name="stride">One step, one per axis, or none (the kernel, PyTorch's pooling default).</param>
    /// <param name="padding">One pad for every side, one per axis (both sides), or ONNX's begin pads then end pads (2 per axis).</param>
    /// <param name="dilation">One step between taps, or one per axis.</param>
    /// <param name="ceilMode">Round the window count up (PyTorch's ceil_mode).</param>
    /// <param name="needsInput">Whether every window must hold an input element (pools: true).</param>
    public static (Windows? W, string? Error) Of(ReadOnlySpan<int> spatial, IReadOnlyList<int> kernel, IReadOnlyList<int> stride, IReadOnlyList<int> padding,
        IReadOnlyList<int> dilation, bool ceilMode, bool needsInput)
    {
        int dims = spatial.Length;
        string one = dims == 1 ? "1 value" : $"1 or {dims} values";
        if (PerAxis(kernel, dims, null) is not { } k) return (null, $"kernel {Text(kernel)} needs {one}, one per spatial axis");
        if (PerAxis(stride, dims, k) is not { } s) return (null, $"stride {Text(stride)} needs {one}, one per spatial axis");
        if (PerAxis(dilation, dims, null) is not { } d) return (null, $"dilation {Text(dilation)} needs {one}, one per spatial axis");
        int[] pb, pe;
        if (padding.Count == 2 * dims && dims > 0 && padding.Count != dims)
        {
            pb = [.. padding.Take(dims)];
            pe = [.. padding.Skip(dims)];
        }
        else if (PerAxis(padding, dims, null) is { } p) (pb, pe) = (p, p);
        else return (null, $"padding {Text(padding)} needs {(dims == 1 ? "1 or 2 values" : $"1, {dims} or {2 * dims} values")}: one for every side, one per spatial axis, or {dims} begin pads then {dims} end pads (ONNX's pads)");

        var w = new Windows { Dims = dims };
        int off = 3 - dims;
        for (int a = 0; a < 3; a++)
        {
            w.In[a] = w.Out[a] = w.Kernel[a] = w.Stride[a] = w.Dilation[a] = 1;
            w.First[a] = [0];
            w.Last[a] = [1];
            w.Padded[a] = [1];
        }
        for (int i = 0; i < dims; i++)
        {
            int a = off + i, n = spatial[i];
            int extent = d[i] * (k[i] - 1) + 1, span = n + pb[i] + pe[i];
            string name = AxisName(dims, i);
            if (span < extent)
                return (null, $"the window spans {extent} positions along {name} (kernel {k[i]}{(d[i] > 1 ? $", dilation {d[i]}" : "")}), more than the {n} input positions{(pb[i] + pe[i] > 0 ? $" and {pb[i] + pe[i]} of padding" : "")}");
            int o = ceilMode ? (span - extent + s[i] - 1) / s[i] + 1 : (span - extent) / s[i] + 1;
            if (ceilMode && (o - 1) * s[i] >= n + pb[i]) o--;
            (w.In[a], w.Out[a], w.Kernel[a], w.Stride[a], w.Dilation[a], w.PadBegin[a], w.PadEnd[a]) = (n, o, k[i], s[i], d[i], pb[i], pe[i]);
            w.First[a] = new int[o];
            w.Last[a] = new int[o];
            w.Padded[a] = new int[o];
            for (int j = 0; j < o; j++)
            {
                int start = j * s[i] - pb[i], first = k[i], last = 0, padded = 0;
                for (int t = 0; t < k[i]; t++)
                {
                    int pos = start + t * d[i];
                    if (pos >= 0 && pos < n)
                    {
                        first = Math.Min(first, t);
                        last = t + 1;
                    }
                    if (pos < n + pe[i]) padded++;
                }
                if (first >= last)
                {
                    if (needsInput)
                        return (null, $"window {j} along {name} lies wholly in the padding (pads {pb[i]} and {pe[i]}, kernel {k[i]}{(d[i] > 1 ? $", dilation {d[i]}" : "")}): it holds no input element");
                    first = last = 0;
                }
                w.First[a][j] = first;
                w.Last[a][j] = last;
                w.Padded[a][j] = padded;
            }
        }
        return (w, null);
    }

    private (int[] Start, int[] Offset)? _insideTaps;

    /// <summary>
    /// Per output position o of a plane (row-major over D, H, W): the positions within the input
    /// plane of its window's taps that lie inside the input, in scan order (row-major over the
    /// window), as Offset[Start[o] .. Start[o + 1]). Built on first use and kept.
    /// </summary>
    public (int[] Start, int[] Offset) InsideTaps => _insideTaps ??= BuildInsideTaps();

    private (int[] Start, int[] Offset) BuildInsideTaps()
    {
        var start = new int[OutPlane + 1];
        var offsets = new List<int>();
        int o = 0;
        for (int od = 0; od < Out[0]; od++)
        for (int oh = 0; oh < Out[1]; oh++)
        for (int ow = 0; ow < Out[2]; ow++, o++)
        {
            start[o] = offsets.Count;
            int d0 = od * Stride[0] - PadBegin[0], h0 = oh * Stride[1] - PadBegin[1], w0 = ow * Stride[2] - PadBegin[2];
            for (int jd = First[0][od]; jd < Last[0][od]; jd++)
            {
                int id = d0 + jd * Dilation[0];
                if ((uint)id >= (uint)In[0]) continue;
                for (int jh = First[1][oh]; jh < Last[1][oh]; jh++)
                {
                    int ih = h0 + jh * Dilation[1];
                    if ((uint)ih >= (uint)In[1]) continue;
                    for (int jw = First[2][ow]; jw < Last[2][ow]; jw++)
                    {
                        int iw = w0 + jw * Dilation[2];
                        if ((uint)iw < (uint)In[2]) offsets.Add((id * In[1] + ih) * In[2] + iw);
                    }
                }
            }
        }
        start[o] = offsets.Count;
        return (start, [.. offsets]);
    }

    /// <summary>Output sizes of the spatial axes, for the op's output shape.</summary>
    public IEnumerable<int> SpatialOut => Out.Skip(3 - Dims);

    /// <summary>The begin pads then the end pads of the spatial axes (ONNX's pads), for export.</summary>
    public long[] OnnxPads => [.. PadBegin.Skip(3 - Dims).Concat(PadEnd.Skip(3 - Dims)).Select(p => (long)p)];

    /// <summary>A per-axis list of the spatial axes as int64s, for export.</summary>
    public static long[] Longs(int[] v, int dims) => [.. v.Skip(3 - dims).Select(x => (long)x)];
}
