using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The shortest decimal in a binary value's rounding interval, found exactly in 128-bit integers,
/// and its text as .NET writes it: what <see cref="SingleAsDoubleText"/> (a float32 as a float64)
/// and <see cref="SingleText"/> (a float32 as itself) share. The value is v * 2^s, the numbers
/// that read back as it those of [v - 2, v + 2] * 2^s ([v - 1, ...] where the spacing below is
/// half as wide), the ends included when reading rounds them to it (an even significand).
/// </summary>
internal static class ShortestDecimal
{
    /// <summary>5^i for i = 0..43.</summary>
    private static readonly UInt128[] Pow5 = MakePow5();

    /// <summary>The bit length of each 5^i: v * 5^i must stay below 2^127 (the interval's upper end beside it).</summary>
    private static readonly int[] Pow5Bits = [.. Pow5.Select(p => 128 - (int)UInt128.LeadingZeroCount(p))];

    private static UInt128[] MakePow5()
    {
        var p = new UInt128[44];
        p[0] = 1;
        for (int i = 1; i < p.Length; i++) p[i] = p[i - 1] * 5;
        return p;
    }

    /// <summary>
    /// k = floor(log10(width)) of the rounding interval per float32 exponent field e8 and [a full
    /// interval, one narrow below] (widths 4 and 3 units of 2^s), for s = e8 + <paramref name="sOffset"/>.
    /// </summary>
    public static int[] Levels(int sOffset)
    {
        var k = new int[2 * 256];
        for (int e8 = 1; e8 < 255; e8++)
        {
            int s = e8 + sOffset;
            k[2 * e8] = (int)Math.Floor(Math.Log10(4.0) + s * 0.30102999566398120);
            k[2 * e8 + 1] = (int)Math.Floor(Math.Log10(3.0) + s * 0.30102999566398120);
        }
        return k;
    }

    /// <summary>
    /// The shortest decimal d * 10^exp10 in the rounding interval of v * 2^s (the nearest to the
    /// value where several are as short), given k = floor(log10(width)) (a wrong k from rounding
    /// is caught); false where the exact products do not fit, k is not negative, or two
    /// candidates are exactly as near (then nothing is promised about the outputs).
    /// </summary>
    public static bool TryShortest(ulong v, int s, int k, bool narrow, bool ends, out ulong d, out int exp10)
    {
        d = 0;
        exp10 = 0;
        int shift = k - s; // value * 10^-k = v * 5^-k * 2^(s - k)
        if (k >= 0 || -k >= Pow5.Length || shift <= 0 || shift >= 128) return false;
        if (64 - BitOperations.LeadingZeroCount(v) + Pow5Bits[-k] > 127) return false;
        // One exact product: v * 5^-k, and the interval's ends beside it.
        UInt128 p = Pow5[-k];
        UInt128 a = (UInt128)v * p, aHi = a + (p << 1), aLo = a - (narrow ? p : p << 1);
        UInt128 mask = (UInt128.One << shift) - 1;
        UInt128 qHi = aHi >> shift, qLo = aLo >> shift;
        if (qHi > ulong.MaxValue) return false;
        // The candidates at level k: from the first multiple of 10^k in the interval to the last
        // (an end on a multiple counts only when the ends are included); at level k + 1 they are
        // ceil(clo / 10) and floor(chi / 10) (a ceiling of a ceiling, a floor of a floor).
        ulong clo = (ulong)qLo + ((aLo & mask) != 0 || !ends ? 1UL : 0UL);
        ulong chi = (ulong)qHi - ((aHi & mask) == 0 && !ends ? 1UL : 0UL);
        ulong cloUp = (clo + 9) / 10, chiUp = chi / 10;
        if (cloUp == chiUp)
        {
            // The one candidate at level k + 1, as short as its trailing zeros allow.
            d = cloUp;
            exp10 = k + 1;
            while (d % 10 == 0)
            {
                d /= 10;
                exp10++;
            }
            return true;
        }
        // Several candidates at level k (none at k + 1, so none ends in 0): the nearest.
        if (cloUp < chiUp || clo > chi) return false;
        UInt128 rem = a & mask, half = UInt128.One << (shift - 1);
        if (rem == half) return false; // an exact tie between two candidates
        d = (ulong)(a >> shift) + (rem > half ? 1UL : 0UL);
        if (d < clo) d = clo;
        else if (d > chi) d = chi;
        if (d % 10 == 0) return false;
        exp10 = k;
        return true;
    }

    /// <summary>10^i for i = 0..19.</summary>
    private static ReadOnlySpan<ulong> Pow10 =>
    [
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000,
        100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000,
        10000000000000000, 100000000000000000, 1000000000000000000, 10000000000000000000,
    ];

    /// <summary>The number of decimal digits of <paramref name="x"/> (1 for 0).</summary>
    internal static int Digits(ulong x)
    {
        int t = (int)(((uint)(64 - BitOperations.LeadingZeroCount(x | 1)) * 1233) >> 12); // floor(log10(x)) or one more
        return t + (x >= Pow10[t] ? 1 : 0);
    }

    /// <summary>"00", "01", .. "99": two digits at a time.</summary>
    private static ReadOnlySpan<byte> Pairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>The <paramref name="n"/> digits of <paramref name="x"/> at <paramref name="start"/> (the caller has checked the room).</summary>
    private static void WriteDigits(ulong x, int n, ref byte start)
    {
        ref byte pairs = ref MemoryMarshal.GetReference(Pairs);
        int pos = n;
        while (x >= 100_000_000)
        {
            // Eight digits at a time, as two independent halves of four.
            ulong q = x / 100_000_000;
            uint low = (uint)(x - q * 100_000_000), a = low / 10_000, b = low - a * 10_000;
            uint a1 = a / 100, b1 = b / 100;
            pos -= 8;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, pos), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (int)(2 * a1))));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, pos + 2), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (int)(2 * (a - a1 * 100)))));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, pos + 4), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (int)(2 * b1))));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, pos + 6), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (int)(2 * (b - b1 * 100)))));
            x = q;
        }
        uint y = (uint)x;
        while (y >= 100)
        {
            uint q = y / 100;
            pos -= 2;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, pos), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (int)(2 * (y - q * 100)))));
            y = q;
        }
        if (y >= 10) Unsafe.WriteUnaligned(ref start, Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref pairs, (int)(2 * y))));
        else start = (byte)('0' + y);
    }

    /// <summary>
    /// digits * 10^exp10 as .NET writes a float64 (<paramref name="fixedBelow"/> 15) or a float32
    /// (7) by default: fixed notation for a decimal exponent from -5 (exclusive) to
    /// <paramref name="fixedBelow"/> (exclusive), else d.dddE-XX with at least two exponent digits
    /// (the callers leave the larger exponents to .NET). <paramref name="n"/> is the digits' count
    /// (at most 17); <paramref name="destination"/> holds at least 32 bytes.
    /// </summary>
    internal static int Write(bool negative, ulong digits, int n, int exp10, Span<byte> destination, int fixedBelow)
    {
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        int e = exp10 + n - 1; // the exponent of the first digit
        int w = 0;
        if (negative) Unsafe.Add(ref dst, w++) = (byte)'-';
        if (e > -5 && e < fixedBelow)
        {
            if (e < 0)
            {
                // 0.000ddd
                Unsafe.Add(ref dst, w++) = (byte)'0';
                Unsafe.Add(ref dst, w++) = (byte)'.';
                for (int i = 0; i < -e - 1; i++) Unsafe.Add(ref dst, w++) = (byte)'0';
                WriteDigits(digits, n, ref Unsafe.Add(ref dst, w));
                return w + n;
            }
            if (n <= e + 1)
            {
                // an integer: its digits, then zeros
                WriteDigits(digits, n, ref Unsafe.Add(ref dst, w));
                w += n;
                for (int i = n; i <= e; i++) Unsafe.Add(ref dst, w++) = (byte)'0';
                return w;
            }
            // ddd.ddd: the digits one place to the right, the integer part moved back, the point between.
            WriteDigits(digits, n, ref Unsafe.Add(ref dst, w + 1));
            for (int i = 0; i <= e; i++) Unsafe.Add(ref dst, w + i) = Unsafe.Add(ref dst, w + i + 1);
            Unsafe.Add(ref dst, w + e + 1) = (byte)'.';
            return w + n + 1;
        }
        WriteDigits(digits, n, ref Unsafe.Add(ref dst, w + 1));
        Unsafe.Add(ref dst, w) = Unsafe.Add(ref dst, w + 1);
        if (n > 1)
        {
            Unsafe.Add(ref dst, w + 1) = (byte)'.';
            w += n + 1;
        }
        else w++;
        Unsafe.Add(ref dst, w++) = (byte)'E';
        Unsafe.Add(ref dst, w++) = e < 0 ? (byte)'-' : (byte)'+';
        int x = Math.Abs(e);
        if (x >= 100) Unsafe.Add(ref dst, w++) = (byte)('0' + x / 100);
        Unsafe.Add(ref dst, w++) = (byte)('0' + x / 10 % 10);
        Unsafe.Add(ref dst, w++) = (byte)('0' + x % 10);
        return w;
    }
}
