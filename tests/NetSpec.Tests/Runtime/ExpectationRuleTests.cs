using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Trace;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// Expectations at chosen steps (a list of checks per value), numpy's allclose rule (rtol,
/// atol) beside the old <c>tolerance</c> rule, and the trace step selection of a spec without training.
/// </summary>
[TestClass]
public sealed class ExpectationRuleTests
{
    /// <summary>z = x (one step, no optimizer needed): the expectation compares x's value with <paramref name="expected"/>.</summary>
    private static ExpectationResult Check(double actual, string check)
    {
        var loaded = SpecText.Load($$$"""
            network: {z: {op: sum, inputs: [x]}}
            data: {x: {{{actual:R}}}}
            expect:
              forward:
                z: {{{check}}}
            """);
        return NetSpecEngine.Run(loaded.Graph!).Expectations.Single();
    }

    [TestMethod]
    public void A_relative_error_of_1e_9_on_a_small_gradient_passes_tolerance_1e_10_but_fails_rtol_1e_10()
    {
        // The example: 0.00318 off by a relative 1e-9 is 3.18e-12 away, under the old rule's absolute 1e-10 below 1.
        double expected = 0.00318, actual = expected * (1 + 1e-9);
        Assert.IsTrue(Check(actual, $"{{value: {expected:R}, tolerance: 1e-10}}").Passed);
        var strict = Check(actual, $"{{value: {expected:R}, rtol: 1e-10}}");
        Assert.IsFalse(strict.Passed);
        Assert.AreEqual(1e-9, strict.WorstRelativeError, 1e-12);
        Assert.AreEqual(3.18e-12, strict.WorstError, 1e-15);
        Assert.IsTrue(Check(actual, $"{{value: {expected:R}, rtol: 1e-8}}").Passed);
    }

    [TestMethod]
    public void Atol_and_rtol_add_up_as_in_numpy_allclose()
    {
        // |a - e| <= atol + rtol |e|: 100.14 is within 0.05 + 0.001 * 100 = 0.15, 100.16 is not.
        Assert.IsTrue(Check(100.14, "{value: 100, rtol: 0.001, atol: 0.05}").Passed);
        Assert.IsFalse(Check(100.16, "{value: 100, rtol: 0.001, atol: 0.05}").Passed);
        Assert.IsTrue(Check(1e-13, "{value: 0, atol: 1e-12}").Passed);
        Assert.IsFalse(Check(1e-13, "{value: 0, rtol: 0.5}").Passed);
    }

    [TestMethod]
    public void The_sections_rule_applies_to_checks_without_their_own()
    {
        var loaded = SpecText.Load("""
            network: {z: {op: sum, inputs: [x]}}
            data: {x: 2.0000001}
            expect:
              rtol: 1e-6
              forward:
                z: 2
            """);
        var r = NetSpecEngine.Run(loaded.Graph!).Expectations.Single();
        Assert.AreEqual(new AllClose(1e-6, 0), r.Expectation.Spec.AllClose);
        Assert.IsTrue(r.Passed);
    }

    [TestMethod]
    public void A_failure_report_names_the_rule_and_the_worst_elements_absolute_and_relative_errors()
    {
        var output = new StringWriter();
        var result = new RunResult([Check(2.5, "{value: 2, rtol: 0.1, atol: 0.01}")], null);
        NetSpec.Cli.Reporting.Expectations(output, result);
        string text = output.ToString();
        StringAssert.Contains(text, "absolute error 0.5, relative error 0.25");
        StringAssert.Contains(text, "atol + rtol |expected|");
        output = new StringWriter();
        NetSpec.Cli.Reporting.Expectations(output, new RunResult([Check(2.5, "{value: 2, tolerance: 0.1}")], null));
        StringAssert.Contains(output.ToString(), "x max(1, |expected|) (tolerance)");
    }

    private const string Counter = """
        network: {L: {op: l2_loss, o: w, y: y}}
        data: {y: [[0]]}
        parameters: {w: [[1]]}
        backward: {from: L}
        optimizer: {type: sgd, learning_rate: 0.5, steps: 4}
        """ + "\n";

    [TestMethod]
    public void One_value_is_checked_at_several_steps_and_an_updated_value_after_the_step_it_names()
    {
        // dJ/dw = w and w* = w - 0.5 w = w / 2: w is 1, 0.5, 0.25, 0.125 before steps 1 to 4.
        var result = NetSpecEngine.Run(SpecText.Load(Counter + """
            expect:
              tolerance: 0
              forward:
                w:
                  - {value: [[1]], step: 1}
                  - {value: [[0.25]], step: 3}
              gradients:
                w: [{value: [[0.5]], step: 2}]
              updated:
                w:
                  - {value: [[0.5]], step: 1}
                  - {value: [[0.0625]]}
            """).Graph!);
        Assert.IsTrue(result.AllPassed);
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 3, 4 }, result.Expectations.Select(e => e.Expectation.Step).ToArray());
    }

    [TestMethod]
    public void A_10000_step_run_traces_only_the_steps_the_spec_chooses()
    {
        string yaml = Counter.Replace("steps: 4", "steps: 10000", StringComparison.Ordinal) + "trace: {steps: [1, 10000]}\n";
        var sink = new CollectingTraceSink();
        var graph = SpecText.Load(yaml).Graph!;
        NetSpecEngine.Run(graph, trace: sink);
        CollectionAssert.AreEqual(new[] { 1, 10000 }, sink.Events.Select(e => e.Step).Distinct().ToArray());
        var full = new CollectingTraceSink();
        NetSpecEngine.Run(SpecText.Load(Counter).Graph!, trace: full);
        Assert.HasCount(2 * full.Events.Count / 4, sink.Events);
        var every = new CollectingTraceSink();
        NetSpecEngine.Run(graph, trace: every, traceSteps: new TrainingTraceDecl([2], 2500, SourceSpan.None("t")));
        CollectionAssert.AreEqual(new[] { 2, 2500, 5000, 7500, 10000 }, every.Events.Select(e => e.Step).Distinct().ToArray());
    }
}
