using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Trace;

namespace NetSpec.Cli;

/// <summary>Text for people: diagnostics, expectation results, numeric faults.</summary>
internal static class Reporting
{
    public static void Diagnostics(TextWriter w, LoadedSpec spec)
    {
        foreach (var d in spec.Diagnostics.Sorted())
            w.WriteLine(DiagnosticFormatter.Format(d, spec.Source));
        int errors = spec.Diagnostics.ErrorCount, warnings = spec.Diagnostics.Items.Count - errors;
        if (errors > 0)
            w.WriteLine($"{errors} error{(errors == 1 ? "" : "s")}{(warnings > 0 ? $", {warnings} warning{(warnings == 1 ? "" : "s")}" : "")}");
    }

    /// <summary>The expectations' summary line and each result; with <paramref name="failuresOnly"/> (--quiet) the failed ones only.</summary>
    public static void Expectations(TextWriter w, RunResult result, bool failuresOnly = false)
    {
        if (result.Expectations.Count == 0) return;
        int failed = result.Expectations.Count(r => !r.Passed);
        w.WriteLine();
        w.WriteLine($"expectations: {result.Expectations.Count - failed} passed, {failed} failed");
        foreach (var r in result.Expectations)
        {
            var e = r.Expectation.Spec;
            string kind = e.Kind switch { ExpectKind.Forward => "forward ", ExpectKind.Gradient => "gradient", _ => "updated " };
            string name = e.Kind == ExpectKind.Gradient ? $"dJ/d{e.Name.Name}" : e.Kind == ExpectKind.Updated ? $"{e.Name.Name}*" : e.Name.Name;
            string step = e.Kind != ExpectKind.Updated && e.Step != 1 ? $" (step {e.Step})" : "";
            var shape = new Shape(e.Value.Dims);
            if (r.Passed)
            {
                if (failuresOnly) continue;
                w.WriteLine($"  ok    {kind}  {name}{step} = {TensorText.Inline(shape, r.Actual, 16)}");
                continue;
            }
            string where = e.Value.Rank == 2 ? $"[{r.WorstIndex / e.Value.Dims[1]}, {r.WorstIndex % e.Value.Dims[1]}]" : e.Value.Rank == 1 ? $"[{r.WorstIndex}]" : "";
            double expected = e.Value.Values[r.WorstIndex], actual = r.Actual[r.WorstIndex];
            w.WriteLine($"  FAIL  {kind}  {name}{step} at {e.Name.Span}: {name}{where} is {Format.Number(actual)}, expected {Format.Number(expected)} " +
                        $"(differs by {Format.Number(r.WorstError)}; tolerance {Format.Number(e.Tolerance)} x max(1, |expected|))");
            w.WriteLine($"        expected {TensorText.Format(shape, e.Value.Values, 17, 64).Replace("\n", "\n        ", StringComparison.Ordinal)}");
            w.WriteLine($"        actual   {TensorText.Format(shape, r.Actual, 17, 64).Replace("\n", "\n        ", StringComparison.Ordinal)}");
        }
    }

    /// <summary>The <c>expect: metrics</c> checks: "ok test_accuracy = 0.98 (min 0.97)".</summary>
    public static void Metrics(TextWriter w, RunResult result, bool failuresOnly = false)
    {
        if (result.Metrics.Count == 0) return;
        int failed = result.Metrics.Count(m => !m.Passed);
        w.WriteLine();
        w.WriteLine($"metrics: {result.Metrics.Count - failed} passed, {failed} failed");
        foreach (var m in result.Metrics)
        {
            if (failuresOnly && m.Passed) continue;
            var e = m.Expectation;
            string bounds = string.Join(", ", new[] { e.Min is { } lo ? $"min {Format.Number(lo)}" : null, e.Max is { } hi ? $"max {Format.Number(hi)}" : null }.Where(x => x is not null));
            string actual = m.Actual is { } a ? Format.Number(a) : "not computed";
            w.WriteLine(m.Passed ? $"  ok    {e.Metric.Name} = {actual} ({bounds})" : $"  FAIL  {e.Metric.Name} at {e.Metric.Span}: {actual}, expected {bounds}");
        }
    }

    public static void Fault(TextWriter w, NumericFault f)
    {
        w.WriteLine($"{f.Span}: error {Codes.NonFinite}: {TraceJson.PhaseName(f.Phase)} step {f.Step}: {f.Op} '{f.Node}' produced a NaN or infinity in {f.What}");
        foreach (var s in f.InputSummaries) w.WriteLine($"    input {s}");
        w.WriteLine("    (--continue-on-nonfinite runs on regardless)");
    }
}
