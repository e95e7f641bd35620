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
            Assert.ContainsSingle(lines.Where(l => l.TrimStart().StartsWith("ok", StringComparison.Ordinal) && l.Contains($" {name}  max relative error", StringComparison.Ordinal)), output.ToString());
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
            StringAssert.Contains(text, $"FAIL  {(name == "x" ? "data     " : "parameter")} {name}  max relative error");
        foreach (var name in new[] { "M", "c" })
            StringAssert.Contains(text, $"ok    parameter {name}  max relative error");
        StringAssert.Contains(text, "3 of 5 gradients above the threshold");
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
        protected override void Forward<T>(OpContext<T> ctx) => inner.RunForward(ctx);
        protected override void Backward<T>(OpContext<T> ctx)
        {
            inner.RunBackward(ctx);
            inner.RunBackward(ctx);
        }
    }
}
