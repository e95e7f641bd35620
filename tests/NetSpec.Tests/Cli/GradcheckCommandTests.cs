using NetSpec.Cli;
using NetSpec.Cli.Commands;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Cli;

[TestClass]
public sealed class GradcheckCommandTests
{
    private static NetworkGraph Lab07() => NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "lab07.yaml")).Graph!;

    [TestMethod]
    public void Lab07_passes_and_every_data_input_and_parameter_is_reported()
    {
        var output = new StringWriter();
        int code = GradcheckCommand.Check("lab07.yaml", Lab07(), 1e-6, 1e-6, output, new StringWriter());
        Assert.AreEqual(ExitCodes.Success, code, output.ToString());
        var lines = output.ToString().Split('\n');
        foreach (var name in new[] { "x", "W", "b", "M", "c" })
            Assert.ContainsSingle(lines.Where(l => l.TrimStart().StartsWith("ok", StringComparison.Ordinal) && l.Contains($" {name}  worst {name}", StringComparison.Ordinal)), output.ToString());
        StringAssert.Contains(output.ToString(), "all 5 gradients within");
    }

    [TestMethod]
    public void A_wrong_backward_fails_with_exit_code_1_naming_the_gradients_it_breaks()
    {
        // Node z's backward runs twice, so dJ/dW, dJ/db and dJ/dx come out doubled; M and c are untouched.
        var g = Lab07();
        var broken = new NetworkGraph(g.Spec, g.Values,
            [.. g.Nodes.Select(n => n.Name == "z" ? n with { Op = new DoubledBackward(n.Op) } : n)],
            g.BackwardFrom, g.SeedGradient, g.Expectations);
        var output = new StringWriter();
        int code = GradcheckCommand.Check("lab07.yaml", broken, 1e-6, 1e-6, output, new StringWriter());
        Assert.AreEqual(ExitCodes.ExpectationFailed, code, output.ToString());
        var text = output.ToString();
        foreach (var name in new[] { "x", "W", "b" })
            StringAssert.Contains(text, $"FAIL  {(name == "x" ? "data     " : "parameter")} {name}  worst {name}");
        foreach (var name in new[] { "M", "c" })
            StringAssert.Contains(text, $"ok    parameter {name}  worst {name}");
        StringAssert.Contains(text, "3 of 5 gradients outside atol");
    }

    [TestMethod]
    public void A_spec_without_backward_is_refused_with_a_message()
    {
        var g = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "linear-forward.yaml")).Graph!;
        var error = new StringWriter();
        Assert.AreEqual(ExitCodes.Usage, GradcheckCommand.Check("linear-forward.yaml", g, 1e-6, 1e-6, new StringWriter(), error));
        StringAssert.Contains(error.ToString(), "no 'backward' section");
    }

    [TestMethod]
    public void The_command_line_runs_gradcheck_with_its_options()
    {
        var (code, output, _) = CliRunner.Invoke("gradcheck", Path.Combine(TestPaths.Specs, "lab07.yaml"), "--threshold", "1e-5", "--step", "1e-5");
        Assert.AreEqual(ExitCodes.Success, code, output);
        StringAssert.Contains(output, "step 1e-05, threshold 1e-05");
    }

    [TestMethod]
    public void A_training_spec_is_checked_at_its_first_training_batch_with_no_element_skipped()
    {
        // The placeholder batch (zero inputs, zero biases) put every relu input at 0: every
        // element of dJ/db and dJ/dx was skipped as a kink. The real batch has none at 0.
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "iris.yaml")).Graph!;
        var output = new StringWriter();
        int code = GradcheckCommand.Check("iris.yaml", graph, 1e-6, 1e-6, output, new StringWriter());
        string text = output.ToString();
        Assert.AreEqual(ExitCodes.Success, code, text);
        StringAssert.Contains(text, "at the first training batch: 16 of 90 training samples, shuffled as epoch 1 with seed 0");
        Assert.DoesNotContain("skip", text);
        Assert.DoesNotContain("kink", text);
        foreach (var name in new[] { "x", "W", "b", "M", "c" })
            StringAssert.Contains(text, $" {name}  worst {name}");
    }

    [TestMethod]
    public void The_first_batch_is_the_one_the_first_training_step_computes()
    {
        var graph = NetSpecEngine.Load(Path.Combine(TestPaths.Specs, "iris.yaml")).Graph!;
        var batch = NetSpec.Runtime.Training.FirstBatch.Of(graph)!;
        var sink = new NetSpec.Runtime.Trace.CollectingTraceSink();
        var t = new NetSpec.Runtime.Training.Trainer<double>(graph, graph.Dataset!, new NetSpec.Runtime.Training.TrainingRunOptions { WriteFiles = false }, sink);
        t.Train();
        var x = sink.Events.First(e => e.Phase == NetSpec.Runtime.Trace.TracePhase.Forward && e.Step == 1 && e.Name == "x");
        var y = sink.Events.First(e => e.Phase == NetSpec.Runtime.Trace.TracePhase.Forward && e.Step == 1 && e.Name == "y");
        CollectionAssert.AreEqual(batch["x"], x.Values.ToArray());
        CollectionAssert.AreEqual(batch["y"], y.Values.ToArray());
    }

    [TestMethod]
    public void The_relative_error_is_relative_for_small_derivatives_too()
    {
        // Today's denominator max(|a|, |n|, 1) made it absolute below 1; now 1e-3 against 1.001e-3 is 1e-3 relative.
        var r = new NetSpec.Runtime.Checks.GradientCheckResult("w", ValueKind.Parameter, 0, 1e-3, 1.001e-3, 1, 0, false);
        Assert.AreEqual(1e-3 / 1.001, r.RelativeError, 1e-12);
        Assert.AreEqual(1e-6, r.AbsoluteError, 1e-15);
        Assert.AreEqual(0, new NetSpec.Runtime.Checks.GradientCheckResult("w", ValueKind.Parameter, 0, 0, 0, 1, 0, true).RelativeError);
    }

    [TestMethod]
    public void A_wrong_gradient_of_a_small_derivative_fails_where_the_old_rule_passed_it()
    {
        // d/dw of 1e-4 w^2 / 2 at w = 0.5 is 5e-5; a backward that doubles it is 5e-5 off: under
        // the old |a - n| / max(|a|, |n|, 1) that was 5e-5 (passing a 1e-4 threshold); it is 0.5 relative.
        var g = NetSpecEngine.LoadText("t.yaml", """
            network: {L: {op: l2_regularization, weights: [w], lambda: 1e-4}}
            parameters: {w: [[0.5]]}
            backward: {from: L}
            """).Graph!;
        var broken = new NetworkGraph(g.Spec, g.Values, [.. g.Nodes.Select(n => n with { Op = new DoubledBackward(n.Op) })], g.BackwardFrom, g.SeedGradient, g.Expectations);
        var output = new StringWriter();
        Assert.AreEqual(ExitCodes.ExpectationFailed, GradcheckCommand.Check("t.yaml", broken, 1e-4, 1e-6, output, new StringWriter()), output.ToString());
        StringAssert.Contains(output.ToString(), "relative error 5.0e-01");
    }

    /// <summary>A deliberately wrong op for the test: forward as given, backward accumulated twice.</summary>
    private sealed class DoubledBackward(Op inner) : Op
    {
        public override string Name => inner.Name;
        public override string Formula => inner.Formula;
        public override string GradientFormula => "2 × " + inner.GradientFormula;
        public override string Category => inner.Category;
        public override string Summary => inner.Summary;
        public override string ShapeRule => inner.ShapeRule;
        public override string Example => inner.Example;
        public override IReadOnlyList<InputSlot> Inputs => inner.Inputs;
        public override IReadOnlyList<AttributeSpec> Attributes => inner.Attributes;
        public override IEnumerable<GradientCase> GradientCases(int batch) => inner.GradientCases(batch);
        protected override ShapeResult InferShape(ShapeQuery q) => inner.Setup(q.Shapes, q.Names, q.Attributes);
        protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }
        private void Forward<T>(OpContext<T> ctx) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => inner.RunForward(ctx);
        private void Backward<T>(OpContext<T> ctx) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            inner.RunBackward(ctx);
            inner.RunBackward(ctx);
        }
    }
}
