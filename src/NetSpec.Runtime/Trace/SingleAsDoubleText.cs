using System.Globalization;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The JSON trace's text of a float32 value: the shortest round-trip form of the float64 of the
/// same value, byte for byte what <see cref="double.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>
/// writes, about twice as fast for the values a trace holds. A float's float64 has 29 zero bits
/// below its 24-bit significand, so the float64's rounding interval and its decimal candidates
/// are exact in 128-bit integers with shifts (no division) for magnitudes from about 1e-15 to
/// 1e15 (<see cref="ShortestDecimal"/>); everything else (zero, subnormals, larger and smaller
/// values, an exact tie between two nearest candidates, a case the bounds do not cover) goes to
/// <c>double.TryFormat</c>. Checked against <c>double.TryFormat</c> over every float32
/// (<c>NetSpec.Bench trace --check-format</c>).
/// </summary>
internal static class SingleAsDoubleText
{
    /// <summary>k = floor(log10(width)) of the float64's rounding interval, per float exponent field and [frac != 0, frac == 0].</summary>
    private static readonly int[] Levels = ShortestDecimal.Levels(-150 - 31);

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
        // The float64's interval is [4M - 2, 4M + 2] * 2^s (4M - 1 below a power of two), ends
        // included (M is even).
        if (!ShortestDecimal.TryShortest(m << 31, s, Levels[2 * e8 + (frac == 0 ? 1 : 0)], narrow: frac == 0, ends: true, out ulong d, out int exp10))
            return false;
        int n = ShortestDecimal.Digits(d);
        // From 1e15 up .NET's choice between fixed and exponent notation depends on its digits: left to it.
        if (exp10 + n - 1 >= 15 || destination.Length < 32) return false;
        written = ShortestDecimal.Write(bits >> 31 != 0, d, n, exp10, destination, fixedBelow: 15);
        return true;
    }
}
