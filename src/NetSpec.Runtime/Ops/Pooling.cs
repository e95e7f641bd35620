using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The pooling loops shared by max_pool1d/2d/3d and avg_pool1d/2d/3d: every N x C plane on its
/// own, windows in row-major order over (D, H, W) (see <see cref="Windows"/>), the taps of a window
/// in row-major order too. Sequential and in a fixed order, so the same inputs give the same bits.
/// </summary>
internal static class Pooling
{
    /// <summary>
    /// y = the maximum of each window's input taps; <paramref name="argmax"/> gets the flat input
    /// index of the tap chosen: the first maximum in scan order (a later tap wins only when it is
    /// strictly larger, or NaN: NaN propagates as in PyTorch).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    public static void MaxForward<T>(Windows w, int planes, ReadOnlySpan<T> x, Span<T> y, Span<int> argmax) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (start, offset) = w.InsideTaps;
        int inPlane = w.InPlane, outPlane = w.OutPlane;
        if ((long)planes * inPlane > x.Length || (long)planes * outPlane > Math.Min(y.Length, argmax.Length))
            throw new ArgumentException("the pool's buffers are smaller than its planes");
        ref T x0 = ref MemoryMarshal.GetReference(x);
        ref int s0 = ref MemoryArrayRef(start), f0 = ref MemoryArrayRef(offset);
        for (int p = 0, o = 0; p < planes; p++)
        {
            int basePlane = p * inPlane;
            for (int k = 0; k < outPlane; k++, o++)
            {
                T best = T.NegativeInfinity;
                int at = -1;
                for (int t = Unsafe.Add(ref s0, k), end = Unsafe.Add(ref s0, k + 1); t < end; t++)
                {
                    int i = basePlane + Unsafe.Add(ref f0, t);
                    T v = Unsafe.Add(ref x0, i);
                    if (at < 0 || v > best || T.IsNaN(v))
                    {
                        best = v;
                        at = i;
                    }
                }
                y[o] = best;
                argmax[o] = at;
            }
        }
    }

    private static ref int MemoryArrayRef(int[] a) => ref MemoryMarshal.GetArrayDataReference(a);

    /// <summary>dJ/dx at each window's chosen tap += dJ/dy (a tap chosen by several windows gets each one's share).</summary>
    public static void MaxBackward<T>(ReadOnlySpan<int> argmax, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < dy.Length; o++) dx[argmax[o]] += dy[o];
    }

    /// <summary>The divisor of window (od, oh, ow): its taps inside the input, or inside the input and its padding.</summary>
    private static int Count(Windows w, int od, int oh, int ow, bool includePad) => includePad
        ? w.Padded[0][od] * w.Padded[1][oh] * w.Padded[2][ow]
        : Inside(w, 0, od) * Inside(w, 1, oh) * Inside(w, 2, ow);

    /// <summary>Taps of window o along axis a that are input positions (dilation may skip some between First and Last).</summary>
    private static int Inside(Windows w, int a, int o)
    {
        int start = o * w.Stride[a] - w.PadBegin[a], n = 0;
        for (int j = w.First[a][o]; j < w.Last[a][o]; j++)
        {
            int pos = start + j * w.Dilation[a];
            if (pos >= 0 && pos < w.In[a]) n++;
        }
        return n;
    }

    /// <summary>
    /// y = the sum of each window's taps divided by their count: the taps inside the input, or
    /// (<paramref name="includePad"/>) those inside the input or its padding, padding being 0. A
    /// window's taps are gathered in row-major order into <paramref name="taps"/> (at least
    /// the kernel's size) and summed pairwise as numpy sums (<see cref="PairwiseSum{T}"/>), so
    /// float32 results agree with ONNX's reference, which averages each window with numpy.
    /// </summary>
    public static void AvgForward<T>(Windows w, int planes, bool includePad, ReadOnlySpan<T> x, Span<T> y, Span<T> taps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inPlane = w.InPlane, o = 0;
        for (int p = 0; p < planes; p++)
        {
            int basePlane = p * inPlane;
            for (int od = 0; od < w.Out[0]; od++)
            for (int oh = 0; oh < w.Out[1]; oh++)
            for (int ow = 0; ow < w.Out[2]; ow++, o++)
            {
                int n = 0;
                int d0 = od * w.Stride[0] - w.PadBegin[0], h0 = oh * w.Stride[1] - w.PadBegin[1], w0 = ow * w.Stride[2] - w.PadBegin[2];
                for (int jd = 0; jd < w.Kernel[0]; jd++)
                {
                    int id = d0 + jd * w.Dilation[0];
                    bool inD = (uint)id < (uint)w.In[0];
                    if (!inD && !(includePad && id < w.In[0] + w.PadEnd[0])) continue;
                    for (int jh = 0; jh < w.Kernel[1]; jh++)
                    {
                        int ih = h0 + jh * w.Dilation[1];
                        bool inH = inD && (uint)ih < (uint)w.In[1];
                        if (!inH && !(includePad && ih < w.In[1] + w.PadEnd[1])) continue;
                        int row = basePlane + (id * w.In[1] + ih) * w.In[2];
                        for (int jw = 0; jw < w.Kernel[2]; jw++)
                        {
                            int iw = w0 + jw * w.Dilation[2];
                            if (inH && (uint)iw < (uint)w.In[2]) taps[n++] = x[row + iw];
                            else if (includePad && iw < w.In[2] + w.PadEnd[2]) taps[n++] = T.Zero;
                        }
                    }
                }
                y[o] = PairwiseSum<T>(taps[..n]) / T.CreateChecked(n);
            }
        }
    }

    /// <summary>
    /// The sum in numpy's pairwise order: fewer than 8 values one after another; up to 128 in 8
    /// interleaved partial sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)),
    /// then the remainder; more, the two halves (the first a multiple of 8) summed apart.
    /// </summary>
    public static T PairwiseSum<T>(ReadOnlySpan<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Length;
        if (n < 8)
        {
            T res = T.Zero;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            T r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i = 8;
            for (; i < n - n % 8; i += 8)
            {
                r0 += a[i];
                r1 += a[i + 1];
                r2 += a[i + 2];
                r3 += a[i + 3];
                r4 += a[i + 4];
                r5 += a[i + 5];
                r6 += a[i + 6];
                r7 += a[i + 7];
            }
            T res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int half = n / 2;
        half -= half % 8;
        return PairwiseSum(a[..half]) + PairwiseSum(a[half..]);
    }

    /// <summary>dJ/dx at each input tap of a window += dJ/dy / (the window's count).</summary>
    public static void AvgBackward<T>(Windows w, int planes, bool includePad, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inPlane = w.InPlane, o = 0;
        for (int p = 0; p < planes; p++)
        {
            int basePlane = p * inPlane;
            for (int od = 0; od < w.Out[0]; od++)
            for (int oh = 0; oh < w.Out[1]; oh++)
            for (int ow = 0; ow < w.Out[2]; ow++, o++)
            {
                T g = dy[o] / T.CreateChecked(Count(w, od, oh, ow, includePad));
                int d0 = od * w.Stride[0] - w.PadBegin[0], h0 = oh * w.Stride[1] - w.PadBegin[1], w0 = ow * w.Stride[2] - w.PadBegin[2];
                for (int jd = w.First[0][od]; jd < w.Last[0][od]; jd++)
                {
                    int id = d0 + jd * w.Dilation[0];
                    if ((uint)id >= (uint)w.In[0]) continue;
                    for (int jh = w.First[1][oh]; jh < w.Last[1][oh]; jh++)
                    {
                        int ih = h0 + jh * w.Dilation[1];
                        if ((uint)ih >= (uint)w.In[1]) continue;
                        int row = basePlane + (id * w.In[1] + ih) * w.In[2];
                        for (int jw = w.First[2][ow]; jw < w.Last[2][ow]; jw++)
                        {
                            int iw = w0 + jw * w.Dilation[2];
                            if ((uint)iw < (uint)w.In[2]) dx[row + iw] += g;
                        }
                    }
                }
            }
        }
    }
}
