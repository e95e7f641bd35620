using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Tests.Runtime;

/// <summary>The comparison of an expectation: a non-finite expected value (refused by the parser, possible in code) equals only itself.</summary>
[TestClass]
public sealed class ExpectationCompareTests
{
    private static bool Passes(double expected, double actual, double tolerance = 0.1)
    {
        var span = new SourceSpan("t.yaml", 1, 1, 1, 2);
        var e = new Expectation(ExpectKind.Forward, new NameRef("z", span), new TensorLiteral([1], [expected], span), tolerance, 1);
        return Interpreter<double>.Compare(new BoundExpectation(e, 0), [actual]).Passed;
    }

    [TestMethod]
    public void AnInfiniteExpectedValueEqualsOnlyTheSameInfinity()
    {
        Assert.IsFalse(Passes(double.PositiveInfinity, 1));
        Assert.IsFalse(Passes(double.PositiveInfinity, double.MaxValue));
        Assert.IsFalse(Passes(double.PositiveInfinity, double.NegativeInfinity));
        Assert.IsFalse(Passes(double.NegativeInfinity, -1e300));
        Assert.IsTrue(Passes(double.PositiveInfinity, double.PositiveInfinity));
        Assert.IsTrue(Passes(double.NegativeInfinity, double.NegativeInfinity));
    }

    [TestMethod]
    public void ANaNExpectedValuePassesNothingButNaN()
    {
        Assert.IsFalse(Passes(double.NaN, 0));
        Assert.IsFalse(Passes(double.NaN, double.PositiveInfinity));
        Assert.IsTrue(Passes(double.NaN, double.NaN));
    }

    [TestMethod]
    public void FiniteExpectedValuesKeepTheirTolerance()
    {
        Assert.IsTrue(Passes(10, 10.5));
        Assert.IsFalse(Passes(10, 12));
        Assert.IsFalse(Passes(10, double.NaN));
        Assert.IsFalse(Passes(1e308, double.PositiveInfinity));
    }
}
