using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Trace;

/// <summary>
/// The summary's statistics against a plain element loop: min and max of the finite values (the
/// first of equal values), their count, and their sum in double, in element order, or above
/// 1,024 elements with every value finite and neither extreme zero in four running sums (element
/// i into sum i mod 4, the tail into the first) added as (s0 + s1) + (s2 + s3).
/// </summary>
[TestClass]
public sealed class SummaryTests
{
    private static (double Min, double Max, double Sum, int Finite, int NonFinite) Reference(double[] v)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        int finite = 0;
        foreach (double x in v)
        {
            if (!double.IsFinite(x)) continue;
            finite++;
            sum += x;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        if (v.Length > 1024 && finite == v.Length && min != 0 && max != 0)
        {
            var s = new double[4];
            int i = 0;
            for (; i + 4 <= v.Length; i += 4)
                for (int j = 0; j < 4; j++) s[j] += v[i + j];
            for (; i < v.Length; i++) s[0] += v[i];
            sum = (s[0] + s[1]) + (s[2] + s[3]);
        }
        return (min, max, sum, finite, v.Length - finite);
    }

    /// <summary>Bit for bit (a -0 is not a 0).</summary>
    private static void AreSame((double Min, double Max, double Sum, int Finite, int NonFinite) expected, (double Min, double Max, double Sum, int Finite, int NonFinite) actual, string what)
    {
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(expected.Min), BitConverter.DoubleToInt64Bits(actual.Min), $"min of {what}");
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(expected.Max), BitConverter.DoubleToInt64Bits(actual.Max), $"max of {what}");
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(expected.Sum), BitConverter.DoubleToInt64Bits(actual.Sum), $"sum of {what}");
        Assert.AreEqual((expected.Finite, expected.NonFinite), (actual.Finite, actual.NonFinite), what);
    }

    private static IEnumerable<double[]> Cases(Random rng)
    {
        foreach (int n in new[] { 1, 7, 1023, 1024, 1025, 1026, 1027, 1028, 1029, 4096, 5003, 100_001 })
        {
            double scale = Math.Pow(10, rng.Next(-8, 8));
            double[] Draw(Func<double> f) => [.. Enumerable.Range(0, n).Select(_ => f())];
            yield return Draw(() => (rng.NextDouble() - 0.5) * scale);
            yield return Draw(() => rng.NextDouble() * scale + 1e-3);   // all positive
            yield return Draw(() => -rng.NextDouble() * scale - 1e-3);  // all negative
            var zeros = Draw(() => rng.NextDouble() * scale);           // zeros of both signs as the min
            zeros[rng.Next(n)] = 0;
            zeros[rng.Next(n)] = -0.0;
            yield return zeros;
            var negZeroMax = Draw(() => -rng.NextDouble() * scale - 1);
            negZeroMax[rng.Next(n)] = -0.0;
            negZeroMax[rng.Next(n)] = 0.0;
            yield return negZeroMax;
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                var withBad = Draw(() => (rng.NextDouble() - 0.5) * scale);
                withBad[rng.Next(n)] = bad;
                yield return withBad;
            }
            yield return Draw(() => BitConverter.Int64BitsToDouble(rng.NextInt64()));        // any bit pattern
            yield return Draw(() => BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32))); // any float32
            yield return Draw(() => (rng.NextDouble() - 0.5) * 1e-40);   // float32 subnormals
        }
    }

    [TestMethod]
    public void Float64_statistics_match_the_element_loop()
    {
        foreach (var v in Cases(new Random(3)))
            AreSame(Reference(v), Summary.Numbers(new TraceValues(v)), $"{v.Length} elements");
    }

    [TestMethod]
    public void Float32_statistics_match_the_element_loop()
    {
        foreach (var d in Cases(new Random(5)))
        {
            float[] f = [.. d.Select(x => (float)x)];
            double[] widened = [.. f.Select(x => (double)x)];
            AreSame(Reference(widened), Summary.Numbers(new TraceValues(f)), $"{f.Length} elements");
        }
    }

    [TestMethod]
    public void Three_tensors_at_once_match_each_alone()
    {
        var rng = new Random(11);
        var cases = Cases(rng).ToList();
        var results = new (double, double, double, int, int)[3];
        for (int k = 0; k + 2 < cases.Count; k++)
        {
            double[] a = cases[k], b = cases[k + 1], c = cases[k + 2];
            if (a.Length != b.Length || a.Length != c.Length) continue;
            Summary.Numbers(new TraceValues(a), new TraceValues(b), new TraceValues(c), results);
            AreSame(Reference(a), results[0], $"the first of three, {a.Length} elements");
            AreSame(Reference(b), results[1], $"the second of three, {a.Length} elements");
            AreSame(Reference(c), results[2], $"the third of three, {a.Length} elements");
            float[] fa = [.. a.Select(x => (float)x)], fb = [.. b.Select(x => (float)x)], fc = [.. c.Select(x => (float)x)];
            Summary.Numbers(new TraceValues(fa), new TraceValues(fb), new TraceValues(fc), results);
            AreSame(Reference([.. fa.Select(x => (double)x)]), results[0], $"the first of three float32, {a.Length} elements");
            AreSame(Reference([.. fb.Select(x => (double)x)]), results[1], $"the second of three float32, {a.Length} elements");
            AreSame(Reference([.. fc.Select(x => (double)x)]), results[2], $"the third of three float32, {a.Length} elements");
        }
    }
}
