using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Kernels;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Runtime;

/// <summary>Training and evaluation mode, the counter-based random numbers of dropout, and state an op updates (batch_norm's running statistics).</summary>
[TestClass]
public sealed class ModeAndStateTests
{
    private const string Dropout = """
        netspec: 1
        network:
          d: {op: dropout, x: x, p: 0.5, seed: 9}
          J: {op: reduce_sum, x: d}
        data:
          x: [[1, 2, 3, 4, 5, 6, 7, 8], [-1, -2, -3, -4, -5, -6, -7, -8]]

        """;

    [TestMethod]
    public void A_spec_with_backward_runs_in_training_mode_and_one_without_in_evaluation_mode_unless_it_says()
    {
        Assert.IsTrue(SpecText.Load(Dropout + "backward: {from: J}\n").Graph!.TrainingMode);
        Assert.IsFalse(SpecText.Load(Dropout).Graph!.TrainingMode);
        Assert.IsTrue(SpecText.Load("mode: train\n" + Dropout).Graph!.TrainingMode);
        Assert.IsFalse(SpecText.Load("mode: eval\n" + Dropout + "backward: {from: J}\n").Graph!.TrainingMode);
    }

    [TestMethod]
    public void Dropout_is_the_identity_in_evaluation_mode_and_keeps_the_elements_of_its_counter_based_mask_in_training_mode()
    {
        var graph = SpecText.Load("mode: train\n" + Dropout).Graph!;
        var interp = new Interpreter<double>(graph);
        interp.Forward(3);
        var x = interp.Value("x").Data;
        var d = interp.Value("d").Data.ToArray();
        ulong stream = CounterRandom.Base(9, CounterRandom.NameKey("d"), 3);
        int kept = 0;
        for (int i = 0; i < x.Length; i++)
        {
            bool keep = CounterRandom.Uniform(stream, i) >= 0.5;
            Assert.AreEqual(keep ? 2 * x[i] : 0, d[i], $"element {i}");
            if (keep) kept++;
        }
        Assert.IsTrue(kept is > 0 and < 16, $"{kept} of 16 kept");
        interp.Forward(4);
        Assert.IsFalse(interp.Value("d").Data.SequenceEqual(d), "step 4 drew the mask of step 3");
        interp.Training = false;
        interp.Forward(5);
        CollectionAssert.AreEqual(x, interp.Value("d").Data);
    }

    /// <summary>Values of tools/netspec_rng.py (Python's integers, from the documented formula), so the generator cannot drift.</summary>
    [TestMethod]
    public void The_counter_based_generator_gives_the_numbers_of_its_documented_formula()
    {
        Assert.AreEqual(0xaf63d94c8601e773UL, CounterRandom.NameKey("d"));
        Assert.AreEqual(0x49ad6723902d0112UL, CounterRandom.Base(0, CounterRandom.NameKey("d"), 1));
        Assert.AreEqual(0xb57a414e0f1dc1f3UL, CounterRandom.Base(0, CounterRandom.NameKey("d"), 2));
    }

    [TestMethod]
    public void A_traced_training_pass_shows_its_mode_the_mask_and_the_updated_running_statistics()
    {
        var graph = SpecText.Load("""
            netspec: 1
            network:
              y: {op: batch_norm, x: x, scale: g, bias: b, running_mean: m, running_var: v}
              d: {op: dropout, x: y}
              J: {op: reduce_sum, x: d}
            data:
              x: [[1, 2], [3, 6]]
            parameters: {g: [1, 1], b: [0, 0], m: [0, 0], v: [1, 1]}
            backward: {from: J}
            """).Graph!;
        var sink = new CollectingTraceSink();
        var interp = new Interpreter<double>(graph, trace: sink);
        interp.Forward(1);
        interp.Backward(1);
        Assert.IsTrue(sink.Events.All(e => e.Mode == "train"));
        var byName = sink.Events.Where(e => e.Phase == TracePhase.Forward).ToDictionary(e => (e.Name, e.Op));
        CollectionAssert.AreEqual(new[] { 2.0, 4 }, byName[("y.mean", "batch_norm")].Values.ToArray());
        CollectionAssert.AreEqual(new[] { 1.0, 4 }, byName[("y.var", "batch_norm")].Values.ToArray());
        // m ← 0.9 m + 0.1 mean; v ← 0.9 v + 0.1 · (M / (M - 1)) var with M = 2.
        CollectionAssert.AreEqual(new[] { 0.2, 0.4 }, byName[("m", "state")].Values.ToArray());
        Assert.AreEqual(0.9 + 0.1 * 2, byName[("v", "state")].Values.ToArray()[0], 1e-15);
        Assert.AreEqual(4, byName[("d.mask", "dropout")].Values.Length);
        // No gradient for the state; none to the optimizer.
        Assert.IsNull(interp.Gradient("m"));
        Assert.IsNull(interp.Gradient("v"));

        sink.Events.Clear();
        interp.Training = false;
        interp.Forward(2);
        Assert.IsTrue(sink.Events.All(e => e.Mode == "eval"));
        Assert.IsFalse(sink.Events.Any(e => e.Name == "d.mask" || e.Op == "state"), "evaluation drew a mask or updated state");
        CollectionAssert.AreEqual(new[] { 0.2, 0.4 }, interp.Value("m").Data);
    }

    [TestMethod]
    public void A_graph_without_mode_dependent_ops_traces_no_mode()
    {
        var graph = SpecText.Load("netspec: 1\nnetwork: {h: {op: relu, x: x}}\ndata: {x: [1, -1]}\n").Graph!;
        var sink = new CollectingTraceSink();
        new Interpreter<double>(graph, trace: sink).Forward(1);
        Assert.IsTrue(sink.Events.All(e => e.Mode is null));
        Assert.IsFalse(TraceJson.Line(sink.Events[0]).Contains("mode", StringComparison.Ordinal));
    }

    [TestMethod]
    public void The_optimizer_leaves_the_running_statistics_to_the_op()
    {
        var graph = SpecText.Load("""
            netspec: 1
            network:
              y: {op: batch_norm, x: x, scale: g, bias: b, running_mean: m, running_var: v}
              J: {op: reduce_sum, x: y}
            data:
              x: [[1, 2], [3, 6]]
            parameters: {g: [1, 1], b: [0, 0], m: [0, 0], v: [1, 1]}
            backward: {from: J}
            optimizer: {type: sgd, learning_rate: 0.5, momentum: 0.9, steps: 2}
            """).Graph!;
        var runner = new StepRunner<double>(new Interpreter<double>(graph));
        Assert.IsNull(runner.Run().Fault);
        // Two forward passes: m = 0.9 (0.9 · 0 + 0.1 · 2) + 0.1 · 2 = 0.38 (and 0.76); b moved by dJ/db = 2 twice.
        var m = runner.Interpreter.Value("m").Data;
        Assert.AreEqual(0.38, m[0], 1e-15);
        Assert.AreEqual(0.76, m[1], 1e-15);
        Assert.AreEqual(-0.5 * 2 - 0.5 * (0.9 * 2 + 2), runner.Interpreter.Value("b").Data[0], 1e-15);
    }
}
