using System.Globalization;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// The shortest round-trip text of a float32 as a float32 (what parameters files and checkpoints
/// hold): byte for byte what <see cref="float.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>
/// and <see cref="System.Text.Json.Utf8JsonWriter"/> write, about three times as fast (35 ns a
/// number against 101 for a writer). <see cref="ShortestDecimal"/> over the float32's own rounding
/// interval: the value is 4m * 2^s with a 24-bit significand m, the values that read back as it
/// are those of [4m - 2, 4m + 2] * 2^s ([4m - 1, ...] just above a power of two), ends included
/// when m is even (reading rounds halves to even). Exact for magnitudes from about 1e-36 to 1e7;
/// zero, subnormals, other magnitudes, an exact tie between two nearest candidates and the cases
/// the bounds do not cover go to <c>float.TryFormat</c>. Checked against <c>float.TryFormat</c>
/// over every float32 (<c>NetSpec.Bench trace --check-single</c>).
/// </summary>
internal static class SingleText
{
    /// <summary>k = floor(log10(width)) of the rounding interval, per exponent field and [frac != 0, frac == 0].</summary>
    private static readonly int[] Levels = ShortestDecimal.Levels(-152);

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
        bool narrow = frac == 0 && e8 > 1; // just above a power of two the interval's lower half is half as wide
        if (!ShortestDecimal.TryShortest(m << 2, e8 - 152, Levels[2 * e8 + (narrow ? 1 : 0)], narrow, ends: (m & 1) == 0, out ulong d, out int exp10))
            return false;
        int n = ShortestDecimal.Digits(d);
        // From 1e7 up .NET writes a float32 in exponent notation: left to it.
        if (exp10 + n - 1 >= 7 || destination.Length < 32) return false;
        written = ShortestDecimal.Write(bits >> 31 != 0, d, n, exp10, destination, fixedBelow: 7);
        return true;
    }
}
