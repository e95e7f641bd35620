using System.CommandLine;
using System.Globalization;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Checks;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec gradcheck &lt;spec&gt;</c>: every gradient the spec's backward pass computes against
/// central differences in float64; prints the largest relative error per data input and
/// parameter, and fails (exit 1) above the threshold.
/// </summary>
internal static class GradcheckCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML); it needs a 'backward' section" };
        var threshold = new Option<double>("--threshold") { Description = "Largest relative error |a - n| / max(|a|, |n|, 1) accepted", DefaultValueFactory = _ => 1e-6 }
            .Accepting(v => v >= 0 && double.IsFinite(v), "a finite number >= 0");
        var step = new Option<double>("--step") { Description = "The finite-difference step h of (J(v + h) - J(v - h)) / 2h", DefaultValueFactory = _ => 1e-6 }
            .Accepting(v => v > 0 && double.IsFinite(v), "a finite number > 0");
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("gradcheck", "Check the backward pass against central differences in float64 (relu kinks skipped)") { spec, threshold, step, quiet };
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            double t = r.GetValue(threshold), h = r.GetValue(step);
            if (!(t >= 0 && double.IsFinite(t)) || !(h > 0 && double.IsFinite(h)))
            {
                Console.Error.WriteLine("netspec: --threshold must be a finite number >= 0 and --step a finite number > 0");
                return ExitCodes.Usage;
            }
            var path = r.GetValue(spec)!;
            var loaded = NetSpecEngine.Load(path, common.Limits(r));
            Reporting.Diagnostics(Console.Error, loaded);
            if (!loaded.Ok) return ExitCodes.InvalidSpec;
            return Check(path, loaded.Graph!, t, h, Console.Out, Console.Error, r.GetValue(quiet));
        });
        return cmd;
    }

    /// <summary>Checks <paramref name="graph"/> and prints the report (with <paramref name="quiet"/>, the failures and the summary line); returns the exit code.</summary>
    public static int Check(string path, NetworkGraph graph, double threshold, double step, TextWriter output, TextWriter error, bool quiet = false)
    {
        if (graph.BackwardFrom < 0)
        {
            error.WriteLine($"netspec: {path} has no 'backward' section, so it computes no gradients to check");
            return ExitCodes.Usage;
        }
        var results = GradientChecker.Check(graph, step);
        string objective = graph.Values[graph.BackwardFrom].Name;
        if (!quiet) output.WriteLine($"gradcheck {path}: dJ/dv for J = {(graph.SeedGradient is null ? objective : $"sum(grad ⊙ {objective})")}, " +
                         $"float64 central differences, step {Format.Number(step)}, threshold {Format.Number(threshold)}");
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
            bool ok = x.MaxRelativeError <= threshold;
            if (!ok) failed++;
            if (ok && quiet) continue;
            output.WriteLine($"  {(ok ? "ok  " : "FAIL")}  {kind} {x.Name.PadRight(width)}  max relative error {Error(x.MaxRelativeError)} " +
                             $"at {x.Name}{Where(shape, x.WorstIndex)} (analytic {Format.Number(x.Analytic)}, numeric {Format.Number(x.Numeric)}); " +
                             $"{x.Checked} of {shape.Length} checked{skipped}");
        }
        if (failed > 0)
        {
            output.WriteLine($"gradcheck: {failed} of {results.Count} gradients above the threshold {Format.Number(threshold)}");
            return ExitCodes.ExpectationFailed;
        }
        output.WriteLine($"gradcheck: all {results.Count} gradients within {Format.Number(threshold)}");
        return ExitCodes.Success;
    }

    private static string Error(double e) => double.IsPositiveInfinity(e) ? "inf (NaN)" : e.ToString("0.0e+00", CultureInfo.InvariantCulture);

    /// <summary>"[r, c]" for a matrix, "[i]" for a vector, "" for a scalar.</summary>
    internal static string Where(Shape shape, int index) => shape.Rank switch
    {
        0 => "",
        1 => $"[{index}]",
        _ => $"[{index / shape.Cols}, {index % shape.Cols}]",
    };
}
