using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetSpec.Runtime.Kernels;

/// <summary>
/// Out-of-place transposes of a rows x cols block with in-register shuffles (8 x 8 floats or
/// 4 x 4 doubles per step, AVX), for the products whose B is stored transposed. Gathers would do
/// the same in fewer lines but are several times slower on processors with the gather
/// data-sampling mitigation. Values are copied, never changed.
/// </summary>
internal static unsafe class GemmTranspose
{
    /// <summary>Whether <see cref="Run{T}"/> has a vector path for <typeparamref name="T"/> on this processor.</summary>
    public static bool Supported<T>() where T : unmanaged =>
        Avx.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    /// <summary>dst[c * ldd + r] = src[r * lds + c] for r &lt; rows, c &lt; cols.</summary>
    [MethodImpl(HotLoop.Options)]
    public static void Run<T>(int rows, int cols, T* src, nint lds, T* dst, nint ldd) where T : unmanaged
    {
        int block = typeof(T) == typeof(float) ? 8 : 4;
        int fullRows = rows / block * block, fullCols = cols / block * block;
        // Column blocks outside, row blocks inside: each destination row is written front to back. Two column blocks
        // (64 bytes, a cache line of each source row) per step: with many rows at a stride of a multiple of 4 KB the
        // lines share one L1 set, and a line read half at a time would be evicted before its second half is read.
        int c = 0;
        for (; c + 2 * block <= fullCols; c += 2 * block)
        {
            for (int r = 0; r < fullRows; r += block)
            {
                if (typeof(T) == typeof(float))
                {
                    Block8((float*)src + r * lds + c, lds, (float*)dst + c * ldd + r, ldd);
                    Block8((float*)src + r * lds + c + 8, lds, (float*)dst + (c + 8) * ldd + r, ldd);
                }
                else
                {
                    Block4((double*)src + r * lds + c, lds, (double*)dst + c * ldd + r, ldd);
                    Block4((double*)src + r * lds + c + 4, lds, (double*)dst + (c + 4) * ldd + r, ldd);
                }
            }
        }
        for (; c < fullCols; c += block)
        {
            for (int r = 0; r < fullRows; r += block)
            {
                if (typeof(T) == typeof(float))
                {
                    Block8((float*)src + r * lds + c, lds, (float*)dst + c * ldd + r, ldd);
                }
                else
                {
                    Block4((double*)src + r * lds + c, lds, (double*)dst + c * ldd + r, ldd);
                }
            }
        }
        for (int r = 0; r < fullRows; r++)
        {
            for (int j = fullCols; j < cols; j++)
            {
                dst[j * ldd + r] = src[r * lds + j];
            }
        }
        for (int r = fullRows; r < rows; r++)
        {
            for (int j = 0; j < cols; j++)
            {
                dst[j * ldd + r] = src[r * lds + j];
            }
        }
    }

    /// <summary>
    /// dst[q * 6 + r] = src[r * lds + q] for r &lt; 6, q &lt; cols (float32, AVX): the 6-row A panels of the 16-register
    /// packed GEMM. Each 8-column step is an 8 x 8 transpose whose last two rows are zeros, stored as 8 full vectors 6
    /// floats apart, each overwriting the previous one's two padding lanes, so the step writes 2 floats past its 48:
    /// <paramref name="dst"/> must have 2 writable floats after cols * 6 (they are zeros, or later overwritten).
    /// </summary>
    [MethodImpl(HotLoop.Options)]
    public static void Rows6(int cols, float* src, nint lds, float* dst)
    {
        int q = 0;
        var z = Vector256<float>.Zero;
        for (; q + 8 <= cols; q += 8)
        {
            float* s = src + q;
            var t0 = Avx.UnpackLow(Avx.LoadVector256(s), Avx.LoadVector256(s + lds));
            var t1 = Avx.UnpackHigh(Avx.LoadVector256(s), Avx.LoadVector256(s + lds));
            var t2 = Avx.UnpackLow(Avx.LoadVector256(s + 2 * lds), Avx.LoadVector256(s + 3 * lds));
            var t3 = Avx.UnpackHigh(Avx.LoadVector256(s + 2 * lds), Avx.LoadVector256(s + 3 * lds));
            var t4 = Avx.UnpackLow(Avx.LoadVector256(s + 4 * lds), Avx.LoadVector256(s + 5 * lds));
            var t5 = Avx.UnpackHigh(Avx.LoadVector256(s + 4 * lds), Avx.LoadVector256(s + 5 * lds));
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, z, 0x44);
            var u5 = Avx.Shuffle(t4, z, 0xEE);
            var u6 = Avx.Shuffle(t5, z, 0x44);
            var u7 = Avx.Shuffle(t5, z, 0xEE);
            float* d = dst + q * 6;
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + 6, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 12, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 18, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 24, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 30, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 36, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 42, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; q < cols; q++)
        {
            float* d = dst + q * 6;
            for (int r = 0; r < 6; r++)
            {
                d[r] = src[r * lds + q];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* s, nint ls, float* d, nint ld)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ls);
        var r2 = Avx.LoadVector256(s + 2 * ls);
        var r3 = Avx.LoadVector256(s + 3 * ls);
        var r4 = Avx.LoadVector256(s + 4 * ls);
        var r5 = Avx.LoadVector256(s + 5 * ls);
        var r6 = Avx.LoadVector256(s + 6 * ls);
        var r7 = Avx.LoadVector256(s + 7 * ls);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ld, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ld, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ld, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ld, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ld, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ld, Avx.Permute2x128(u3, u7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4(double* s, nint ls, double* d, nint ld)
    {
        var r0 = Avx.LoadVector256(s);
        var r1 = Avx.LoadVector256(s + ls);
        var r2 = Avx.LoadVector256(s + 2 * ls);
        var r3 = Avx.LoadVector256(s + 3 * ls);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(d + ld, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(d + 2 * ld, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(d + 3 * ld, Avx.Permute2x128(t1, t3, 0x31));
    }
}
