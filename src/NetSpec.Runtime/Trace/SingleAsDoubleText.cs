using System.Globalization;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The JSON trace's text of a float32 value: the shortest round-trip form of the float64 of the
/// same value, byte for byte what <see cref="double.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>
/// writes, about twice as fast for the values a trace holds. A float's float64 has 29 zero bits
/// below its 24-bit significand, so the float64's rounding interval and its decimal candidates
/// are exact in 128-bit integers with shifts (no division) for magnitudes from about 1e-15 to
/// 1e15; everything else (zero, subnormals, larger and smaller values, an exact tie between two
/// nearest candidates, a case the bounds below do not cover) goes to <c>double.TryFormat</c>.
/// Checked against <c>double.TryFormat</c> over every float32 (<c>NetSpec.Bench trace --check-format</c>).
/// </summary>
internal static class SingleAsDoubleText
{
    /// <summary>5^i for i = 0..31 (5^31 &lt; 2^72).</summary>
    private static readonly UInt128[] Pow5 = MakePow5();

    /// <summary>k = floor(log10(width)) of the rounding interval, per float exponent field and [frac != 0, frac == 0] (widths 4 and 3 units of 2^s).</summary>
    private static readonly int[] Levels = MakeLevels();

    private static int[] MakeLevels()
    {
        var k = new int[2 * 256];
        for (int e8 = 1; e8 < 255; e8++)
        {
            int s = e8 - 150 - 31;
            k[2 * e8] = (int)Math.Floor(Math.Log10(4.0) + s * 0.30102999566398120);
            k[2 * e8 + 1] = (int)Math.Floor(Math.Log10(3.0) + s * 0.30102999566398120);
        }
        return k;
    }

    private static UInt128[] MakePow5()
    {
        var p = new UInt128[32];
        p[0] = 1;
        for (int i = 1; i < p.Length; i++) p[i] = p[i - 1] * 5;
        return p;
    }

    /// <summary>Writes the text of <c>(double)<paramref name="f"/></c>; <paramref name="destination"/> holds at least 32 bytes.</summary>
    public static int Format(float f, Span<byte> destination)
    {
        if (TryFast(f, destination, out int n)) return n;
        ((double)f).TryFormat(destination, out n, default, CultureInfo.InvariantCulture);
        return n;
    }

    /// <summary>The fast path; false where it does not apply (then nothing is promised about <paramref name="destination"/>).</summary>
    internal static bool TryFast(float f, Span<byte> destination, out int written)
    {
        written = 0;
        uint bits = BitConverter.SingleToUInt32Bits(f);
        int e8 = (int)((bits >> 23) & 0xFF);
        if (e8 == 0 || e8 == 0xFF) return false; // zero, subnormal, infinity, NaN
        uint frac = bits & 0x7FFFFF;
        ulong m = (1UL << 23) | frac;
        int s = e8 - 150 - 31; // the value is (4M) * 2^s with M = m << 29, the float64's significand
        if (s >= -2) return false; // |value| of 2^54 and more: the candidates need a division
        ulong v = m << 31, hi = v + 2, lo = frac == 0 ? v - 1 : v - 2; // the rounding interval [lo, hi] * 2^s, ends included (M is even)
        // The interval's width is (hi - lo) * 2^s: at level k = floor(log10(width)) it holds a
        // multiple of 10^k, at k + 1 at most one (a wrong k from rounding is caught below).
        int k = Levels[2 * e8 + (frac == 0 ? 1 : 0)];
        if (k > 0) return false;
        int j = k + 1;
        if (j > 0 || !Range(lo, hi, s, j, out ulong clo, out ulong chi) || clo < chi) return false;
        ulong d;
        int exp10;
        if (clo == chi)
        {
            // The one candidate at level k + 1, as short as its trailing zeros allow.
            d = clo;
            exp10 = j;
            while (d % 10 == 0)
            {
                d /= 10;
                exp10++;
            }
        }
        else
        {
            // Several candidates at level k (none at k + 1, so none ends in 0): the nearest.
            if (!Range(lo, hi, s, k, out clo, out chi) || clo > chi || !Nearest(v, s, k, out d)) return false;
            if (d < clo) d = clo;
            else if (d > chi) d = chi;
            if (d % 10 == 0) return false;
            exp10 = k;
        }
        // From 1e15 up .NET's choice between fixed and exponent notation depends on its digits: left to it.
        if (exp10 + Digits(d) - 1 >= 15) return false;
        written = Write(bits >> 31 != 0, d, exp10, destination);
        return true;
    }

    /// <summary>ceil(lo * 2^s / 10^j) and floor(hi * 2^s / 10^j), for j &lt;= 0 and s &lt; 0; false when out of the 128-bit range.</summary>
    private static bool Range(ulong lo, ulong hi, int s, int j, out ulong clo, out ulong chi)
    {
        clo = chi = 0;
        int shift = j - s; // value * 10^-j = x * 5^-j * 2^(s - j)
        if (-j >= Pow5.Length || shift <= 0 || shift >= 128) return false;
        UInt128 a = lo * Pow5[-j], b = hi * Pow5[-j];
        UInt128 mask = (UInt128.One << shift) - 1;
        UInt128 c = (a >> shift) + ((a & mask) != 0 ? UInt128.One : UInt128.Zero), f = b >> shift;
        if (c > ulong.MaxValue || f > ulong.MaxValue) return false;
        clo = (ulong)c;
        chi = (ulong)f;
        return true;
    }

    /// <summary>The integer nearest v * 2^s / 10^k (k &lt;= 0); false at an exact tie or out of range.</summary>
    private static bool Nearest(ulong v, int s, int k, out ulong d)
    {
        d = 0;
        int shift = k - s;
        if (-k >= Pow5.Length || shift <= 0 || shift >= 128) return false;
        UInt128 a = v * Pow5[-k];
        UInt128 q = a >> shift, rem = a & ((UInt128.One << shift) - 1), half = UInt128.One << (shift - 1);
        if (rem == half) return false;
        if (rem > half) q++;
        if (q > ulong.MaxValue) return false;
        d = (ulong)q;
        return true;
    }

    private static int Digits(ulong x)
    {
        int n = 1;
        while (x >= 10)
        {
            x /= 10;
            n++;
        }
        return n;
    }

    /// <summary>
    /// digits * 10^exp10 as .NET writes a float64 by default: fixed notation for a decimal exponent
    /// from -5 (exclusive) to 15 (exclusive), else d.dddE-XX with at least two exponent digits (the
    /// caller leaves exponents of 15 and more to .NET).
    /// </summary>
    private static int Write(bool negative, ulong digits, int exp10, Span<byte> destination)
    {
        Span<byte> text = stackalloc byte[20];
        int n = 0;
        for (ulong x = digits; x > 0; x /= 10) text[19 - n++] = (byte)('0' + (int)(x % 10));
        text = text[(20 - n)..];
        int e = exp10 + n - 1; // the exponent of the first digit
        int w = 0;
        if (negative) destination[w++] = (byte)'-';
        if (e > -5 && e < 15)
        {
            if (e >= 0)
            {
                for (int i = 0; i <= e; i++) destination[w++] = i < n ? text[i] : (byte)'0';
                if (n > e + 1)
                {
                    destination[w++] = (byte)'.';
                    for (int i = e + 1; i < n; i++) destination[w++] = text[i];
                }
            }
            else
            {
                destination[w++] = (byte)'0';
                destination[w++] = (byte)'.';
                for (int i = 0; i < -e - 1; i++) destination[w++] = (byte)'0';
                for (int i = 0; i < n; i++) destination[w++] = text[i];
            }
            return w;
        }
        destination[w++] = text[0];
        if (n > 1)
        {
            destination[w++] = (byte)'.';
            for (int i = 1; i < n; i++) destination[w++] = text[i];
        }
        destination[w++] = (byte)'E';
        destination[w++] = e < 0 ? (byte)'-' : (byte)'+';
        int a = Math.Abs(e);
        if (a >= 100) destination[w++] = (byte)('0' + a / 100);
        destination[w++] = (byte)('0' + a / 10 % 10);
        destination[w++] = (byte)('0' + a % 10);
        return w;
    }
}
