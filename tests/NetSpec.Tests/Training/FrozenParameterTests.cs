using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Training;

/// <summary>
/// <c>trainable: false</c>: the optimizer leaves a frozen parameter unchanged while its gradient
/// is computed and traced; specs/frozen-bias.yaml checks it at steps 1 and 3 against PyTorch
/// (tools/frozen-bias-reference.py).
/// </summary>
[TestClass]
public sealed class FrozenParameterTests
{
    private static string FrozenBias => File.ReadAllText(Path.Combine(TestPaths.Specs, "frozen-bias.yaml"));

    private static RunResult Run(string yaml) => NetSpecEngine.Run(Runtime.SpecText.Load(yaml).Graph!);

    [TestMethod]
    public void The_frozen_bias_spec_passes_its_checks_at_steps_1_and_3()
    {
        var result = Run(FrozenBias);
        Assert.IsTrue(result.AllPassed, string.Join("\n", result.Expectations.Where(e => !e.Passed).Select(e => e.Expectation.Spec.Name.Name)));
        CollectionAssert.AreEquivalent(new[] { 1, 3 }, result.Expectations.Select(e => e.Expectation.Step).Distinct().ToArray());
        Assert.AreEqual(2, result.Expectations.Count(e => e.Expectation.Spec.Name.Name == "b" && e.Expectation.Spec.Kind == NetSpec.Parser.Model.ExpectKind.Updated));
    }

    [TestMethod]
    public void Changing_the_frozen_values_expectation_fails_the_spec()
    {
        string changed = FrozenBias.Replace("- {value: [0.1, -0.2, 0.3], step: 3, rtol: 0, atol: 0}", "- {value: [0.1, -0.2, 0.3000001], step: 3, rtol: 0, atol: 0}", StringComparison.Ordinal);
        Assert.AreNotEqual(FrozenBias, changed);
        var failed = Run(changed).Expectations.Where(e => !e.Passed).ToList();
        Assert.ContainsSingle(failed);
        Assert.AreEqual("b", failed[0].Expectation.Spec.Name.Name);
        Assert.AreEqual(3, failed[0].Expectation.Step);
        Assert.AreEqual(2, failed[0].WorstIndex);
    }

    [TestMethod]
    public void Without_trainable_false_the_bias_moves_and_its_checks_fail()
    {
        string trainable = FrozenBias.Replace("b: {value: [0.1, -0.2, 0.3], trainable: false}", "b: [0.1, -0.2, 0.3]", StringComparison.Ordinal);
        Assert.AreNotEqual(FrozenBias, trainable);
        var failed = Run(trainable).Expectations.Where(e => !e.Passed).Select(e => (e.Expectation.Spec.Name.Name, e.Expectation.Step)).ToHashSet();
        Assert.Contains(("b", 1), failed);
        Assert.Contains(("b", 3), failed);
    }

    [TestMethod]
    public void A_frozen_initialized_parameter_keeps_its_values_has_a_gradient_and_no_optimizer_state()
    {
        var graph = Runtime.SpecText.Load("""
            network: {z: {op: linear, x: x, W: W, b: b}, L: {op: l2_loss, o: z, y: y}}
            data: {x: [1, 2], y: [1]}
            parameters:
              W: {init: constant, value: 0.5, shape: [1, 2], trainable: false}
              b: [0.1]
            backward: {from: L}
            optimizer: {type: adam, learning_rate: 0.1, steps: 2}
            """).Graph!;
        Assert.IsFalse(graph.Find("W")!.Trainable);
        Assert.IsTrue(graph.Find("b")!.Trainable);
        var sink = new CollectingTraceSink();
        var runner = new StepRunner<double>(new Interpreter<double>(graph, trace: sink));
        runner.Run();
        CollectionAssert.AreEqual(new[] { 0.5, 0.5 }, runner.Interpreter.Value("W").ToDoubles());
        Assert.AreNotEqual(0.1, runner.Interpreter.Value("b")[0]);
        Assert.IsNotNull(runner.Interpreter.Gradient("W"));
        Assert.IsNull(runner.Optimizer!.First[graph.Find("W")!.Index]);
        var updates = sink.Events.Where(e => e.Phase == TracePhase.Update && e.Name == "W").ToList();
        Assert.HasCount(2, updates);
        StringAssert.Contains(updates[0].Expression, "trainable: false");
        // Step 1: z = 0.5 + 1 + 0.1 = 1.6, dJ/dz = z - y = 0.6, dJ/dW = 0.6 x; the update leaves W as it was.
        var g = updates[0].Gradient!.Value.ToArray();
        Assert.AreEqual(0.6, g[0], 1e-12);
        Assert.AreEqual(1.2, g[1], 1e-12);
        CollectionAssert.AreEqual(updates[0].Old!.Value.ToArray(), updates[0].Values.ToArray());
    }

    [TestMethod]
    [DataRow("W: {value: [[1, 2]], trainable: no}", Codes.WrongType, "'trainable' is true or false")]
    [DataRow("W: {value: [[1, 2]], trainable: 0}", Codes.WrongType, "'trainable' is true or false")]
    [DataRow("W: {value: [[1, 2]], trainabel: false}", Codes.UnknownKey, "did you mean 'trainable'")]
    [DataRow("W: {init: zeros, shape: [1, 2], trainable: \"false\"}", Codes.WrongType, "'trainable' is true or false")]
    public void Trainable_must_be_a_flag(string parameter, string code, string message)
    {
        var loaded = NetSpecEngine.LoadText("t.yaml", $$$"""
            network: {z: {op: linear, x: x, W: W, b: c}}
            data: {x: [1, 2]}
            parameters:
              {{{parameter}}}
              c: [0]
            """);
        var d = loaded.Diagnostics.Items.Single(i => i.Severity == Severity.Error);
        Assert.AreEqual(code, d.Code, d.ToString());
        StringAssert.Contains(d.Message, message);
        Assert.AreEqual(4, d.Span.Line);
    }
}
