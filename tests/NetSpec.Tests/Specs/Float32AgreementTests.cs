using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Specs;

/// <summary>
/// The same ops serve float32 and float64: every worked example run in float32 agrees with its
/// float64 run to float32 precision, value by value through the whole trace.
/// </summary>
[TestClass]
public sealed class Float32AgreementTests
{
    public static IEnumerable<object[]> SpecFiles => TestPaths.SpecFiles();

    [TestMethod]
    [DynamicData(nameof(SpecFiles))]
    public void A_float32_run_agrees_with_the_float64_run(string file)
    {
        var loaded = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, file));
        Assert.IsTrue(loaded.Ok);
        var wide = new CollectingTraceSink();
        var narrow = new CollectingTraceSink();
        new StepRunner<double>(new Interpreter<double>(loaded.Graph!, trace: wide)).Run();
        new StepRunner<float>(new Interpreter<float>(loaded.Graph!, trace: narrow)).Run();
        Assert.HasCount(wide.Events.Count, narrow.Events);
        for (int e = 0; e < wide.Events.Count; e++)
        {
            var w = wide.Events[e];
            var n = narrow.Events[e];
            Assert.AreEqual(w.Name, n.Name);
            double scale = w.Values.Select(Math.Abs).DefaultIfEmpty(0).Max();
            for (int i = 0; i < w.Values.Length; i++)
            {
                // float32 keeps about 7 significant digits; allow a few roundings of the largest magnitude in play.
                double allowed = 1e-5 * Math.Max(1, Math.Max(scale, Math.Abs(w.Values[i])));
                Assert.IsLessThanOrEqualTo(allowed, Math.Abs(w.Values[i] - n.Values[i]),
                    $"{w.Phase} {w.Name}[{i}]: float64 {w.Values[i]:R}, float32 {n.Values[i]:R}");
            }
        }
    }
}
