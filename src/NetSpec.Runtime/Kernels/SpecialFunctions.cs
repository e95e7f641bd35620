namespace NetSpec.Runtime.Kernels;

/// <summary>
/// Special functions .NET's Math lacks, in double precision: the error function erf and its
/// complement erfc, and e^x - 1 and ln(1 + x) that keep their digits near 0 (.NET's
/// double.ExpM1 and double.LogP1 are Math.Exp(x) - 1 and Math.Log(x + 1), which lose them).
/// A float32 value is computed in double and rounded once.
/// </summary>
/// <remarks>
/// A port of the Cephes Math Library's ndtr.c (erf, erfc) and expx2.c, Release 2.9, Copyright
/// 1984, 1987, 1988, 1992, 2000 by Stephen L. Moshier (netlib.org/cephes): the same rational
/// approximations and coefficients.
/// <list type="bullet">
/// <item>erf(x) = x T(x²) / U(x²) for |x| &lt;= 1; ±(1 - erfc(|x|)) beyond (Cephes: 1 - erfc(x)).</item>
/// <item>erfc(x) = e^(-x²) P(x) / Q(x) for 1 &lt;= x &lt; 8, e^(-x²) R(x) / S(x) for x &gt;= 8;
/// 1 - erf(x) for |x| &lt; 1; 2 - erfc(-x) for x &lt; 0; 0 where e^(-x²) underflows (x &gt; 26.6).</item>
/// <item>e^(-x²) as expx2 computes it: x = m + f with m a multiple of 1/128, so m² is exact and
/// e^(-x²) = e^(-m²) e^(-(2mf + f²)) keeps the error of x² from being amplified in the tails.</item>
/// </list>
/// Cephes states peak relative errors of 3.7e-16 (erf on [0, 1]) and 1.3e-15 (erfc on [0, 26.6]);
/// tests/NetSpec.Tests/Kernels/SpecialFunctionsTests.cs checks both against mpmath at 50 digits on
/// a dense grid (tools/erf-table.py).
/// </remarks>
public static class SpecialFunctions
{
    /// <summary>2 / √π, erf's derivative at 0.</summary>
    public const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>ln of double's largest value: e^(-x²) underflows to 0 beyond it.</summary>
    private const double MaxLog = 7.09782712893383996843E2;

    private static ReadOnlySpan<double> P =>
    [
        2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
        4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
        9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2,
    ];

    private static ReadOnlySpan<double> Q =>
    [
        1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
        9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
        1.65666309194161350182E3, 5.57535340817727675546E2,
    ];

    private static ReadOnlySpan<double> R =>
    [
        5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
        6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0,
    ];

    private static ReadOnlySpan<double> S =>
    [
        2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
        1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0,
    ];

    private static ReadOnlySpan<double> T =>
    [
        9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
        7.00332514112805075473E3, 5.55923013010394962768E4,
    ];

    private static ReadOnlySpan<double> U =>
    [
        3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
        2.26290000613890934246E4, 4.92673942608635921086E4,
    ];

    /// <summary>The error function erf(x) = 2/√π ∫₀ˣ e^(-t²) dt; erf(±∞) = ±1, erf(NaN) = NaN.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) > 1.0)
        {
            // 1 - erfc(|x|) with the sign of x: Cephes' 1 - erfc(x) for negative x forms 2 - erfc(|x|)
            // first and rounds at 2's spacing, one unit in the last place off near -6.
            double r = 1.0 - Erfc(Math.Abs(x));
            return x < 0 ? -r : r;
        }
        double z = x * x;
        return x * Polevl(z, T) / P1evl(z, U);
    }

    /// <summary>The complementary error function erfc(x) = 1 - erf(x), accurate where it is small (large x).</summary>
    public static double Erfc(double a)
    {
        if (double.IsNaN(a)) return a;
        double x = Math.Abs(a);
        if (x < 1.0) return 1.0 - Erf(a);
        if (a * a > MaxLog) return a < 0 ? 2.0 : 0.0;
        double z = ExpMinusSquare(a);
        double p, q;
        if (x < 8.0)
        {
            p = Polevl(x, P);
            q = P1evl(x, Q);
        }
        else
        {
            p = Polevl(x, R);
            q = P1evl(x, S);
        }
        double y = z * p / q;
        if (a < 0) y = 2.0 - y;
        return y;
    }

    /// <summary>erf's derivative 2/√π e^(-x²).</summary>
    public static double ErfDerivative(double x) => TwoOverSqrtPi * ExpMinusSquare(x);

    /// <summary>e^(-x²) without amplifying the rounding error of x² (Cephes expx2 with sign -1).</summary>
    public static double ExpMinusSquare(double x) => ExpMinusScaledSquare(x, 1.0);

    /// <summary>e^(-x²/2), the normal density's kernel, as <see cref="ExpMinusSquare"/> (x/√2 is not formed, so its rounding is not amplified either).</summary>
    public static double ExpMinusHalfSquare(double x) => ExpMinusScaledSquare(x, 0.5);

    /// <summary>e^(-c x²) for c = 1 or 1/2: x = m + f with m a multiple of 1/128, so c m² is exact.</summary>
    private static double ExpMinusScaledSquare(double x, double c)
    {
        x = Math.Abs(x);
        if (x > 40.0) return 0.0;   // c x² > 800 > MaxLog, and M x below cannot overflow
        const double M = 128.0, MInv = 1.0 / 128.0;
        double m = MInv * Math.Floor(M * x + 0.5);
        double f = x - m;
        double u = c * (m * m);                // exact: m has at most 7 fraction bits
        double u1 = c * (2 * m * f + f * f);   // small
        if (u + u1 > MaxLog) return 0.0;
        return Math.Exp(-u) * Math.Exp(-u1);
    }

    /// <summary>
    /// e^x - 1, accurate near 0 (W. Kahan's method, N. J. Higham, Accuracy and Stability of
    /// Numerical Algorithms, 2nd ed., section 1.14.1): with u = e^x rounded, (u - 1) x / ln u
    /// cancels the rounding error of u.
    /// </summary>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        if (double.IsInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }

    /// <summary>ln(1 + x), accurate near 0 (Kahan's method, Higham section 1.14.1): with u = 1 + x rounded, ln(u) x / (u - 1).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>c[0] x^n + ... + c[n] by Horner's rule.</summary>
    private static double Polevl(double x, ReadOnlySpan<double> c)
    {
        double r = c[0];
        for (int i = 1; i < c.Length; i++) r = r * x + c[i];
        return r;
    }

    /// <summary>x^n + c[0] x^(n-1) + ... + c[n-1]: a leading coefficient of 1 left out.</summary>
    private static double P1evl(double x, ReadOnlySpan<double> c)
    {
        double r = x + c[0];
        for (int i = 1; i < c.Length; i++) r = r * x + c[i];
        return r;
    }
}
