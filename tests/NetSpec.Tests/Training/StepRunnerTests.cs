using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Training;

/// <summary>
/// One update rule: a spec's optimizer steps run through <see cref="StepRunner{T}"/> and
/// <see cref="Optimizer{T}"/>; plain gradient descent is sgd with momentum 0, and every
/// optimizer follows <see cref="InterpreterOptions.StopOnNonFinite"/> alike.
/// </summary>
[TestClass]
public sealed class StepRunnerTests
{
    private static string Faults => Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Cli", "Faults");

    [TestMethod]
    public void Plain_gradient_descent_is_w_plus_minus_alpha_times_g_rounded_once_per_element()
    {
        Check<double>();
        Check<float>();

        static void Check<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
            var interp = new Interpreter<T>(graph);
            var runner = new StepRunner<T>(interp);
            Assert.IsTrue(interp.Forward(1) && interp.Backward(1));
            var parameters = graph.Values.Where(v => v.Kind == ValueKind.Parameter).ToList();
            var before = parameters.ToDictionary(v => v.Name, v => (W: (T[])interp.Value(v.Name).Data.Clone(), G: (T[])interp.Gradient(v.Name)!.Data.Clone()));
            double rate = runner.Optimizer!.LearningRate(0);
            Assert.IsTrue(runner.Optimizer.Step(interp, 1, rate, null));
            T minusAlpha = -T.CreateChecked(rate);
            foreach (var v in parameters)
            {
                var (w, g) = before[v.Name];
                var updated = interp.Value(v.Name).Data;
                for (int i = 0; i < w.Length; i++)
                    Assert.AreEqual(g[i] * minusAlpha + w[i], updated[i], $"{typeof(T).Name} {v.Name}[{i}]");
            }
        }
    }

    [TestMethod]
    public void The_update_is_traced_as_sgd_with_the_old_value_and_the_gradient()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;
        var sink = new CollectingTraceSink();
        new StepRunner<double>(new Interpreter<double>(graph, trace: sink)).Run();
        var update = sink.Events.First(e => e.Phase == TracePhase.Update);
        Assert.AreEqual("sgd", update.Op);
        StringAssert.Contains(update.Expression, $"{update.Name} - ");
        StringAssert.EndsWith(update.Expression, $" · dJ/d{update.Name}");
        Assert.IsNotNull(update.Old);
        Assert.IsNotNull(update.Gradient);
    }

    [TestMethod]
    public void An_update_fault_stops_the_run_unless_told_to_continue_whatever_the_optimizer()
    {
        var graph = NetSpecEngine.Load(Path.Combine(Faults, "update-overflow-momentum.yaml")).Graph!;

        var stopped = new StepRunner<double>(new Interpreter<double>(graph)).Run();
        Assert.AreEqual(TracePhase.Update, stopped.Fault?.Phase);
        Assert.AreEqual("W", stopped.Fault!.Node);
        Assert.IsEmpty(stopped.Expectations, "stopped at step 1: the updated expectations were not reached");

        var runner = new StepRunner<double>(new Interpreter<double>(graph, new InterpreterOptions { StopOnNonFinite = false }));
        var continued = runner.Run();
        Assert.AreEqual(TracePhase.Update, continued.Fault?.Phase, "the first fault, not the later forward one");
        Assert.AreEqual(1, continued.Fault!.Step);
        Assert.HasCount(1, continued.Expectations);
        Assert.IsTrue(continued.Expectations[0].Passed, "every step ran: b is -5.61e10");
    }
}
