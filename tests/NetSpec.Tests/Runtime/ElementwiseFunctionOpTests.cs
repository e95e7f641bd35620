using NetSpec.Runtime;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// elu, gelu, softplus, erf and div through the op API at ranks the worked specs (specs/elementwise.yaml,
/// specs/elu.yaml) do not reach, and at the points finite differences cannot check (softplus exactly
/// at its threshold). Expected values: mpmath at 50 digits (tools/elementwise-reference.py prints the
/// softplus ones) or hand arithmetic shown in the comments.
/// </summary>
[TestClass]
public sealed class ElementwiseFunctionOpTests
{
    private static Tensor<T> Tn<T>(int[] dims, params double[] values) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Tensor<T>.FromDoubles(new Shape(dims), values);

    /// <summary>One node of <paramref name="op"/> with <paramref name="attributes"/> (the rest at their defaults): forward, then backward from <paramref name="g"/>.</summary>
    private static (Tensor<T> Y, Tensor<T>[] Grads) Run<T>(string op, Tensor<T>[] inputs, double[] g, params (string Name, AttributeValue Value)[] attributes)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var o = OpRegistry.Find(op)!;
        var attrs = new AttributeValues([.. o.Attributes.Select(a => attributes.FirstOrDefault(x => x.Name == a.Name).Value ?? a.Default!)]);
        var result = o.Setup([.. inputs.Select(t => t.Shape)], [.. inputs.Select((_, i) => $"x{i}")], attrs);
        Assert.IsNotNull(result.Shape, result.Error);
        var y = new Tensor<T>(result.Shape);
        var grads = inputs.Select(t => new Tensor<T>(t.Shape)).ToArray();
        var ctx = new OpContext<T>(inputs, grads, y, Tensor<T>.FromDoubles(result.Shape, g), attrs);
        o.RunForward(ctx);
        o.RunBackward(ctx);
        return (y, grads);
    }

    private static void AssertValues<T>(double[] expected, Tensor<T> actual, double tol = 1e-15)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var got = actual.ToDoubles();
        Assert.HasCount(expected.Length, got);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], got[i], tol * Math.Max(1, Math.Abs(expected[i])), $"element {i}: [{string.Join(", ", got)}]");
    }

    [TestMethod]
    public void Softplus_exactly_at_its_threshold_takes_the_log_branch_as_pytorch_does()
    {
        // beta x = threshold is not > threshold: y = ln(1 + e^20)/beta, dy/dx = s(20) (mpmath; torch agrees).
        var (y, d) = Run("softplus", [Tn<double>([1, 1, 2], 20, 20.000001)], [1, 1]);
        AssertValues([20.000000002061153, 20.000001], y);
        AssertValues([0.9999999979388464, 1], d[0]);
        var (y2, d2) = Run("softplus", [Tn<double>([2], 10, 10.000001)], [1, 1], ("beta", AttributeValue.Of(2.0)));
        AssertValues([10.000000001030577, 10.000001], y2);
        AssertValues([0.9999999979388464, 1], d2[0]);
    }

    [TestMethod]
    public void Softplus_with_a_low_threshold_is_x_above_it_and_stays_finite_far_beyond_exp_s_range()
    {
        // threshold 1000 keeps x = 800 on the log branch, where PyTorch's log1p(exp(800)) overflows:
        // ln(1 + e^800) = 800 + ln(1 + e^-800) = 800; at -800, e^-800 underflows to 0 (mpmath: 3.7e-348).
        var (y, d) = Run("softplus", [Tn<double>([3], 800, -800, 2)], [1, 1, 1], ("threshold", AttributeValue.Of(1000.0)));
        AssertValues([800, 0, 2.1269280110429727], y);
        AssertValues([1, 0, 0.8807970779778824], d[0]);
        // threshold 1: x = 2 is above it, y = x; x = 0.5 below, ln(1 + e^0.5) = 0.9740769841801067.
        var (y2, _) = Run("softplus", [Tn<double>([2], 2, 0.5)], [1, 1], ("threshold", AttributeValue.Of(1.0)));
        AssertValues([2, 0.9740769841801067], y2);
    }

    [TestMethod]
    public void Softplus_refuses_a_beta_that_is_not_positive_at_setup()
    {
        var op = OpRegistry.Find("softplus")!;
        var r = op.Setup([new Shape(2)], ["x"], new AttributeValues([AttributeValue.Of(0.0), AttributeValue.Of(20.0)]));
        Assert.IsNull(r.Shape);
        Assert.AreEqual("attribute 'beta' must be > 0 (softplus divides by it), not 0", r.Error);
    }

    [TestMethod]
    public void Gelu_on_a_rank_4_tensor_in_float32_agrees_with_mpmath_to_float32_precision()
    {
        // x Φ(x) from mpmath: gelu(1) = 0.8413447460685429, gelu(-3) = -0.0040496940948902835, gelu(0.5) = 0.34573123063700656, gelu(-10) = -7.619853024160526e-23.
        var (y, d) = Run("gelu", [Tn<float>([1, 2, 1, 2], 1, -3, 0.5, -10)], [1, 1, 1, 1]);
        var want = new[] { 0.8413447460685429, -0.0040496940948902835, 0.34573123063700656, -7.619853024160526e-23 };
        for (int i = 0; i < 4; i++) Assert.AreEqual(want[i], y[i], 1.2e-7 * Math.Abs(want[i]), $"element {i}");
        // Φ(x) + x φ(x) from mpmath: 1.0833154705876864, -0.011945647204183927, 0.8674951246561629, -7.618400096464814e-22.
        var dwant = new[] { 1.0833154705876864, -0.011945647204183927, 0.8674951246561629, -7.618400096464814e-22 };
        for (int i = 0; i < 4; i++) Assert.AreEqual(dwant[i], d[0][i], 1.2e-7 * Math.Abs(dwant[i]), $"gradient {i}");
    }

    [TestMethod]
    public void Div_broadcasts_a_column_over_a_rank_3_tensor_and_sums_the_divisor_s_gradient()
    {
        // a [2,1,3] / b [2,1] -> [2,2,3]: y[i,j,k] = a[i,0,k] / b[j,0]; G = 1 everywhere.
        var a = Tn<double>([2, 1, 3], 1, 2, 3, -4, 5, -6);
        var b = Tn<double>([2, 1], 2, -0.5);
        var (y, d) = Run("div", [a, b], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
        Assert.AreEqual(new Shape(2, 2, 3), y.Shape);
        AssertValues([0.5, 1, 1.5, -2, -4, -6, -2, 2.5, -3, 8, -10, 12], y);
        // dJ/da[i,0,k] = Σ_j 1/b[j] = 1/2 - 2 = -1.5 for every element
        AssertValues([-1.5, -1.5, -1.5, -1.5, -1.5, -1.5], d[0]);
        // dJ/db[j] = -Σ_{i,k} a[i,0,k] / b[j]² = -(1 + 2 + 3 - 4 + 5 - 6)/b² = -1/4 and -1/0.25 = -4
        AssertValues([-0.25, -4], d[1]);
    }

    [TestMethod]
    public void Elu_at_zero_passes_alpha_times_the_gradient_and_keeps_expm1_s_digits()
    {
        // x = 0 takes the x <= 0 branch: dJ/dx = alpha g. elu(-1e-10) = alpha expm1(-1e-10) = -9.9999999995e-11 alpha.
        var (y, d) = Run("elu", [Tn<double>([], 0)], [3], ("alpha", AttributeValue.Of(0.5)));
        AssertValues([0], y);
        AssertValues([1.5], d[0]);
        var (y2, _) = Run("elu", [Tn<double>([2], -1e-10, -1e-300)], [1, 1]);
        Assert.AreEqual(-9.999999999500001e-11, y2[0]);
        Assert.AreEqual(-1e-300, y2[1]);
    }

    [TestMethod]
    public void Erf_of_a_float32_tensor_is_the_double_erf_rounded_once()
    {
        // mpmath: erf(0.3f = 0.300000011920929) = 0.32862677175271543, erf(-2) = -0.9953222650189527, erf(6) = 1 in both precisions.
        var (y, _) = Run("erf", [Tn<float>([3], 0.3f, -2, 6)], [1, 1, 1]);
        Assert.AreEqual((float)0.32862677175271543, y[0]);
        Assert.AreEqual((float)-0.9953222650189527, y[1]);
        Assert.AreEqual(1f, y[2]);
    }
}
