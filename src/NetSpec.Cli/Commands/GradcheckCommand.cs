using System.CommandLine;
using System.Globalization;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Checks;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Training;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec gradcheck &lt;spec&gt;</c>: every gradient the spec's backward pass computes against
/// central differences in float64; prints per data input and parameter its worst element (index,
/// analytic and numeric derivatives, relative error |a - n| / max(|a|, |n|, tiny), absolute
/// error), and fails (exit 1) when an element is outside atol + threshold max(|a|, |n|). A training
/// spec is checked at its first training batch (the samples its first step computes), not at the
/// placeholder batch its graph is built with.
/// </summary>
internal static class GradcheckCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML); it needs a 'backward' section" };
        var threshold = new Option<double>("--threshold") { Description = "Largest relative error |a - n| / max(|a|, |n|) accepted (rtol)", DefaultValueFactory = _ => 1e-6 }
            .Accepting(v => v >= 0 && double.IsFinite(v), "a finite number >= 0");
        var atol = new Option<double>("--atol") { Description = "Absolute error |a - n| accepted whatever the size of the derivatives: the floor of what central differences resolve (an element passes when |a - n| <= atol + threshold max(|a|, |n|))", DefaultValueFactory = _ => 1e-8 }
            .Accepting(v => v >= 0 && double.IsFinite(v), "a finite number >= 0");
        var step = new Option<double>("--step") { Description = "The finite-difference step h of (J(v + h) - J(v - h)) / 2h", DefaultValueFactory = _ => 1e-6 }
            .Accepting(v => v > 0 && double.IsFinite(v), "a finite number > 0");
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("gradcheck", "Check the backward pass against central differences in float64 (relu kinks skipped; a training spec at its first training batch)") { spec, threshold, atol, step, quiet };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            double t = r.GetValue(threshold), a = r.GetValue(atol), h = r.GetValue(step);
            if (!(t >= 0 && double.IsFinite(t)) || !(a >= 0 && double.IsFinite(a)) || !(h > 0 && double.IsFinite(h)))
            {
                Console.Error.WriteLine("netspec: --threshold and --atol must be finite numbers >= 0 and --step a finite number > 0");
                return ExitCodes.Usage;
            }
            var path = r.GetValue(spec)!;
            var loaded = NetSpecEngine.Load(path, common.Limits(r));
            Reporting.Diagnostics(Console.Error, loaded);
            if (!loaded.Ok) return ExitCodes.InvalidSpec;
            return Check(path, loaded.Graph!, t, h, Console.Out, Console.Error, a, r.GetValue(quiet));
        });
        return cmd;
    }

    /// <summary>Checks <paramref name="graph"/> and prints the report (with <paramref name="quiet"/>, the failures and the summary line); returns the exit code.</summary>
    public static int Check(string path, NetworkGraph graph, double threshold, double step, TextWriter output, TextWriter error, double atol = 1e-8, bool quiet = false)
    {
        if (graph.BackwardFrom < 0)
        {
            error.WriteLine($"netspec: {path} has no 'backward' section, so it computes no gradients to check");
            return ExitCodes.Usage;
        }
        var batch = FirstBatch.Of(graph);
        var results = GradientChecker.Check(graph, step, threshold, atol, batch);
        string objective = graph.Values[graph.BackwardFrom].Name;
        if (!quiet)
        {
            output.WriteLine($"gradcheck {path}: dJ/dv for J = {(graph.SeedGradient is null ? objective : $"sum(grad ⊙ {objective})")}, " +
                             $"float64 central differences, step {Format.Number(step)}, threshold {Format.Number(threshold)} (relative), atol {Format.Number(atol)}");
            if (batch is not null)
            {
                var t = graph.Spec.Training!;
                int rows = graph.Find(graph.Spec.Dataset!.Inputs.Name)!.Shape.Rows;
                output.WriteLine($"  at the first training batch: {rows} of {graph.Dataset!.Train.Rows} training samples{(t.Shuffle ? $", shuffled as epoch 1 with seed {t.Seed}" : "")}");
            }
        }
        int width = results.Count == 0 ? 1 : results.Max(x => x.Name.Length);
        int failed = 0;
        foreach (var x in results)
        {
            var shape = graph.Find(x.Name)!.Shape;
            string kind = x.Kind == ValueKind.Parameter ? "parameter" : "data     ";
            string skipped = x.SkippedAtKinks > 0 ? $", {x.SkippedAtKinks} skipped at a kink" : "";
            if (x.Checked == 0)
            {
                if (!quiet) output.WriteLine($"  skip  {kind} {x.Name.PadRight(width)}  {shape}: every element sits at a kink{skipped}");
                continue;
            }
            if (!x.Passed) failed++;
            if (x.Passed && quiet) continue;
            output.WriteLine($"  {(x.Passed ? "ok  " : "FAIL")}  {kind} {x.Name.PadRight(width)}  worst {x.Name}{Where(shape, x.WorstIndex)}: " +
                             $"analytic {Format.Number(x.Analytic)}, numeric {Format.Number(x.Numeric)}, relative error {Error(x.RelativeError)}, absolute error {Error(x.AbsoluteError)}; " +
                             $"{x.Checked} of {shape.Length} checked{skipped}");
        }
        if (failed > 0)
        {
            output.WriteLine($"gradcheck: {failed} of {results.Count} gradients outside atol {Format.Number(atol)} + threshold {Format.Number(threshold)} x max(|a|, |n|)");
            return ExitCodes.ExpectationFailed;
        }
        output.WriteLine($"gradcheck: all {results.Count} gradients within atol {Format.Number(atol)} + threshold {Format.Number(threshold)} x max(|a|, |n|)");
        return ExitCodes.Success;
    }

    private static string Error(double e) => double.IsPositiveInfinity(e) ? "inf" : e.ToString("0.0e+00", CultureInfo.InvariantCulture);

    /// <summary>"[i, j, k]" for a tensor, "[i]" for a vector, "" for a scalar.</summary>
    internal static string Where(Shape shape, int index)
    {
        if (shape.Rank == 0) return "";
        var at = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            at[d] = index % shape[d];
            index /= shape[d];
        }
        return "[" + string.Join(", ", at) + "]";
    }
}
