using System.Globalization;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The shortest round-trip text of a float32 as a float32 (what parameters files and checkpoints
/// hold): byte for byte what <see cref="float.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>
/// and <see cref="System.Text.Json.Utf8JsonWriter"/> write, about three times as fast (35 ns a number against 101 for a writer). The same
/// method as <see cref="SingleAsDoubleText"/>, over the float32's own rounding interval: the value
/// is 4m * 2^s with a 24-bit significand m, the values that read back as it are those of
/// [4m - 2, 4m + 2] * 2^s ([4m - 1, ...] just above a power of two), ends included when m is even
/// (reading rounds halves to even). Both ends and the candidates are exact in 128-bit integers for
/// magnitudes from about 1e-36 to 1e7; zero, subnormals, other magnitudes, an exact tie between
/// two nearest candidates and the cases the bounds do not cover go to <c>float.TryFormat</c>.
/// Checked against <c>float.TryFormat</c> over every float32 (<c>NetSpec.Bench trace --check-single</c>).
/// </summary>
internal static class SingleText
{
    /// <summary>5^i for i = 0..43 (4m * 5^43 &lt; 2^126).</summary>
    private static readonly UInt128[] Pow5 = MakePow5();

    /// <summary>k = floor(log10(width)) of the rounding interval, per exponent field and [frac != 0, frac == 0] (widths 4 and 3 units of 2^s).</summary>
    private static readonly int[] Levels = MakeLevels();

    private static int[] MakeLevels()
    {
        var k = new int[2 * 256];
        for (int e8 = 1; e8 < 255; e8++)
        {
            int s = e8 - 152;
            k[2 * e8] = (int)Math.Floor(Math.Log10(4.0) + s * 0.30102999566398120);
            k[2 * e8 + 1] = (int)Math.Floor(Math.Log10(3.0) + s * 0.30102999566398120);
        }
        return k;
    }

    private static UInt128[] MakePow5()
    {
        var p = new UInt128[44];
        p[0] = 1;
        for (int i = 1; i < p.Length; i++) p[i] = p[i - 1] * 5;
        return p;
    }

    /// <summary>Writes the text of <paramref name="f"/>; <paramref name="destination"/> holds at least 32 bytes.</summary>
    public static int Format(float f, Span<byte> destination)
    {
        if (TryFast(f, destination, out int n)) return n;
        f.TryFormat(destination, out n, default, CultureInfo.InvariantCulture);
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
        int s = e8 - 152; // the value is (4m) * 2^s
        bool narrow = frac == 0 && e8 > 1; // just above a power of two the interval's lower half is half as wide
        bool ends = (m & 1) == 0;
        ulong v = m << 2;
        int k = Levels[2 * e8 + (narrow ? 1 : 0)];
        int shift = k - s; // value * 10^-k = v * 5^-k * 2^(s - k)
        if (k >= 0 || -k >= Pow5.Length || shift <= 0 || shift >= 128) return false;
        // One exact product: v * 5^-k, and the interval's ends beside it.
        UInt128 p = Pow5[-k];
        UInt128 a = (UInt128)v * p, aHi = a + (p << 1), aLo = a - (narrow ? p : p << 1);
        UInt128 mask = (UInt128.One << shift) - 1;
        UInt128 qHi = aHi >> shift, qLo = aLo >> shift;
        if (qHi > ulong.MaxValue) return false;
        // The candidates at level k: from the first multiple of 10^k in the interval to the last
        // (an end on a multiple counts only when the ends are included); at level k + 1 they are
        // ceil(clo / 10) and floor(chi / 10).
        ulong clo = (ulong)qLo + ((aLo & mask) != 0 || !ends ? 1UL : 0UL);
        ulong chi = (ulong)qHi - ((aHi & mask) == 0 && !ends ? 1UL : 0UL);
        ulong cloUp = (clo + 9) / 10, chiUp = chi / 10;
        ulong d;
        int exp10;
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
        }
        else
        {
            // Several candidates at level k (none at k + 1, so none ends in 0): the nearest.
            if (cloUp < chiUp || clo > chi) return false;
            UInt128 rem = a & mask, half = UInt128.One << (shift - 1);
            if (rem == half) return false; // an exact tie between two candidates
            d = (ulong)(a >> shift) + (rem > half ? 1UL : 0UL);
            if (d < clo) d = clo;
            else if (d > chi) d = chi;
            if (d % 10 == 0) return false;
            exp10 = k;
        }
        int n = SingleAsDoubleText.Digits(d);
        // From 1e7 up .NET writes a float32 in exponent notation: left to it.
        if (exp10 + n - 1 >= 7 || destination.Length < 32) return false;
        written = SingleAsDoubleText.Write(bits >> 31 != 0, d, n, exp10, destination, fixedBelow: 7);
        return true;
    }
}
