using System.Globalization;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Tests.Kernels;

/// <summary>
/// erf, erfc, expm1 and log1p against tables of mpmath's values at 60 digits rounded to float64
/// (tools/erf-table.py: 1,156 points of erf, erfc and erf', dense on [-6, 6] and out to ±27.5 where erfc
/// underflows; 52 points of expm1 and log1p from 1e-300 to 50), in units of the table value's last place.
/// </summary>
[TestClass]
public sealed class SpecialFunctionsTests
{
    private static IEnumerable<double[]> Table(string file) =>
        File.ReadLines(Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Kernels", file))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(',').Select(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray());

    /// <summary>|got - want| in units of want's last place (the spacing of doubles at want; the smallest subnormal for 0).</summary>
    private static double Ulps(double got, double want)
    {
        if (got == want) return 0;
        if (double.IsNaN(got) || double.IsNaN(want) || double.IsInfinity(got) || double.IsInfinity(want)) return double.PositiveInfinity;
        double ulp = Math.Max(Math.BitIncrement(Math.Abs(want)) - Math.Abs(want), double.Epsilon);
        return Math.Abs(got - want) / ulp;
    }

    private static (double Worst, double At) Worst(IEnumerable<double[]> rows, Func<double, double> f, int column)
    {
        double worst = 0, at = double.NaN;
        foreach (var r in rows)
        {
            if (double.IsNaN(r[column])) continue;
            double u = Ulps(f(r[0]), r[column]);
            if (u > worst || double.IsNaN(u)) (worst, at) = (u, r[0]);
        }
        return (worst, at);
    }

    [TestMethod]
    public void Erf_is_within_two_units_in_the_last_place_of_mpmath_on_the_whole_table()
    {
        var rows = Table("erf-table.csv").ToList();
        Assert.IsGreaterThan(1000, rows.Count);
        var (worst, at) = Worst(rows, SpecialFunctions.Erf, 1);
        Assert.IsLessThanOrEqualTo(2.0, worst, $"erf is {worst:G3} ulp off at x = {at:R}");
    }

    [TestMethod]
    public void Erfc_is_within_a_few_units_in_the_last_place_of_mpmath_down_to_its_underflow()
    {
        // Cephes states a peak relative error of 1.3e-15 (about 6 ulp) for erfc; the tail's
        // e^(-x²) is computed as expx2 does, which keeps the error of x² from growing with x.
        var rows = Table("erf-table.csv").Where(r => Math.Abs(r[2]) >= 2.2250738585072014e-308).ToList();
        var (worst, at) = Worst(rows, SpecialFunctions.Erfc, 2);
        Assert.IsLessThanOrEqualTo(6.0, worst, $"erfc is {worst:G3} ulp off at x = {at:R}");
    }

    [TestMethod]
    public void Erfc_is_zero_or_a_subnormal_within_2e_minus_310_where_it_underflows()
    {
        // Cephes returns 0 once x² > ln(double.MaxValue) (x > 26.64), where erfc(x) < 1.2e-310.
        var rows = Table("erf-table.csv").Where(r => Math.Abs(r[2]) < 2.2250738585072014e-308).ToList();
        Assert.IsNotEmpty(rows);
        foreach (var r in rows)
            Assert.AreEqual(r[2], SpecialFunctions.Erfc(r[0]), 2e-310, $"erfc({r[0]:R})");
    }

    [TestMethod]
    public void Erf_is_odd_bounded_by_one_and_exact_at_zero_infinity_and_nan()
    {
        Assert.AreEqual(0.0, SpecialFunctions.Erf(0));
        Assert.AreEqual(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.AreEqual(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.AreEqual(0.0, SpecialFunctions.Erfc(double.PositiveInfinity));
        Assert.AreEqual(2.0, SpecialFunctions.Erfc(double.NegativeInfinity));
        Assert.IsTrue(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.IsTrue(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
        foreach (var r in Table("erf-table.csv"))
        {
            Assert.AreEqual(-SpecialFunctions.Erf(r[0]), SpecialFunctions.Erf(-r[0]), $"erf(-{r[0]:R})");
            Assert.IsLessThanOrEqualTo(1.0, Math.Abs(SpecialFunctions.Erf(r[0])));
        }
    }

    [TestMethod]
    public void Erf_s_derivative_two_over_root_pi_times_exp_minus_x_squared_is_within_a_few_ulp_of_mpmath()
    {
        // e^(-x²) as expx2: at x = 26 a plain Math.Exp(-x * x) would be off by up to x² ulp of x².
        var rows = Table("erf-table.csv").Where(r => Math.Abs(r[3]) >= 2.2250738585072014e-308).ToList();
        var (worst, at) = Worst(rows, SpecialFunctions.ErfDerivative, 3);
        Assert.IsLessThanOrEqualTo(4.0, worst, $"erf' is {worst:G3} ulp off at x = {at:R}");
    }

    [TestMethod]
    public void Expm1_and_log1p_keep_their_digits_near_zero()
    {
        var rows = Table("expm1-log1p-table.csv").ToList();
        var (e, ea) = Worst(rows, SpecialFunctions.Expm1, 1);
        var (l, la) = Worst(rows, SpecialFunctions.Log1p, 2);
        Assert.IsLessThanOrEqualTo(2.0, e, $"expm1 is {e:G3} ulp off at x = {ea:R}");
        Assert.IsLessThanOrEqualTo(2.0, l, $"log1p is {l:G3} ulp off at x = {la:R}");
        // What .NET's own formulas lose: e^x - 1 at 1e-10 is 8e-8 off in relative terms.
        Assert.IsGreaterThan(1e6, Ulps(Math.Exp(1e-10) - 1, rows.Single(r => r[0] == 1e-10)[1]));
    }
}
