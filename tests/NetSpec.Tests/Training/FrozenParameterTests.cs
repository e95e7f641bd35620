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

    /// <summary>specs/iris.yaml for 3 epochs with its hidden bias frozen at zero, checked after epoch 3 (and W's gradient at step 1).</summary>
    private static string FrozenIris(string bAfterEpoch3)
    {
        string yaml = File.ReadAllText(Path.Combine(TestPaths.Specs, "iris.yaml"))
            .Replace("b: {init: zeros, shape: [16]}", "b: {init: zeros, shape: [16], trainable: false}", StringComparison.Ordinal)
            .Replace("epochs: 60", "epochs: 3", StringComparison.Ordinal)
            .Replace("  checkpoint: {every: 10, path: out/iris.checkpoint.json}\n", "", StringComparison.Ordinal);
        int expect = yaml.IndexOf("expect:", StringComparison.Ordinal);
        return yaml[..expect] + $$"""
            expect:
              updated:
                b: {value: {{bAfterEpoch3}}, epoch: 3, atol: 0}
                M: {value: [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], epoch: 1, atol: 100}
            """ + "\n";
    }

    private static RunResult Train(string yaml)
    {
        var loaded = NetSpecEngine.LoadText(Path.Combine(TestPaths.Specs, "iris-frozen.yaml"), yaml);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        return NetSpecEngine.Run(loaded.Graph!);
    }

    [TestMethod]
    public void A_training_spec_checks_a_frozen_bias_after_an_epoch_and_fails_when_it_is_expected_elsewhere()
    {
        string zeros = "[" + string.Join(", ", Enumerable.Repeat("0", 16)) + "]";
        var ok = Train(FrozenIris(zeros));
        Assert.HasCount(2, ok.Expectations);
        Assert.IsTrue(ok.Expectations.All(e => e.Passed));
        Assert.IsNotNull(ok.Training);
        string moved = "[1e-9" + string.Concat(Enumerable.Repeat(", 0", 15)) + "]";
        var failed = Train(FrozenIris(moved)).Expectations.Single(e => !e.Passed);
        Assert.AreEqual("b", failed.Expectation.Spec.Name.Name);
        Assert.AreEqual(3, failed.Expectation.Spec.Epoch);
    }

    [TestMethod]
    [DataRow("forward:\n    z: {value: Z16x16, step: 1}", "not 'z', which is not a parameter")]
    [DataRow("updated:\n    b: {value: Z16, step: 0}", "'step' is a whole number >= 1")]
    [DataRow("updated:\n    b: Z16", "'b' at no chosen step or epoch")]
    [DataRow("gradients:\n    b: {value: Z16, epoch: 2}", "the gradient of 'b' at an epoch")]
    [DataRow("updated:\n    b: {value: Z16, epoch: 61}", "is for epoch 61, but the spec trains 60 epochs")]
    [DataRow("updated:\n    b: {value: Z16, step: 400}", "is for step 400, but the spec trains 360 steps (60 epochs of 6 batches)")]
    public void A_training_spec_refuses_value_checks_it_cannot_make(string check, string message)
    {
        string yaml = File.ReadAllText(Path.Combine(TestPaths.Specs, "iris.yaml"));
        string z16 = "[" + string.Join(", ", Enumerable.Repeat("0", 16)) + "]";
        check = check.Replace("Z16x16", "[" + string.Join(", ", Enumerable.Repeat(z16, 16)) + "]", StringComparison.Ordinal).Replace("Z16", z16, StringComparison.Ordinal);
        yaml = yaml[..yaml.IndexOf("expect:", StringComparison.Ordinal)] + "expect:\n  " + check + "\n";
        var loaded = NetSpecEngine.LoadText(Path.Combine(TestPaths.Specs, "iris-checks.yaml"), yaml);
        Assert.IsFalse(loaded.Ok);
        var d = loaded.Diagnostics.Items.Single(i => i.Severity == Severity.Error);
        StringAssert.Contains(d.Message, message, d.ToString());
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
