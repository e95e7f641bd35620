using System.CommandLine;
using NetSpec.Cli.Worksheets;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;
using NetSpec.Runtime;
using NetSpec.Runtime.Explain;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec check-answers &lt;spec&gt; &lt;answers&gt;</c>: grades a student's filled-in values
/// against a run of the spec; each wrong value is named at its place in the answers file, with
/// the explanation's working for it.
/// </summary>
internal static class CheckAnswersCommand
{
    /// <summary>An answer with fewer digits passes when it is the value rounded to them and has at least this many significant digits.</summary>
    public const int RoundedDigits = 3;

    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML) the worksheet was written from (for a --nice variant: its -spec.yaml)" };
        var answers = new Argument<string>("answers") { Description = "The answers file (YAML: forward, gradients, updated, as in a spec's expect section; see docs/worksheets.md)" };
        var digits = new Option<int>("--digits") { Description = "Significant digits of the working shown for a wrong value", DefaultValueFactory = _ => 7 }.Between(1, 17);
        var cmd = new Command("check-answers", "Grade a student's filled-in values against a run of the spec, with the spec's tolerances: each wrong value named with its correct working") { spec, answers, digits };
        common.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(answers)!, r.GetValue(digits), common.Limits(r), Console.Out));
        return cmd;
    }

    public static int Run(string specPath, string answersPath, int digits, Parser.Yaml.ParserLimits limits, TextWriter output)
    {
        var loaded = NetSpecEngine.Load(specPath, limits);
        Reporting.Diagnostics(Console.Error, loaded);
        if (!loaded.Ok) return ExitCodes.InvalidSpec;
        var graph = loaded.Graph!;
        if (graph.Spec.Training is not null)
        {
            Console.Error.WriteLine($"netspec: check-answers grades the steps of a spec without training; '{Excerpt.ClipPath(specPath)}' trains over a data set");
            return ExitCodes.Usage;
        }
        var run = ExplainedRun.Of(graph, new ExplainOptions { Digits = digits, Sample = 0, MaxEntries = 100_000 });
        if (run.Result.Fault is { } fault)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        var bag = new DiagnosticBag();
        var file = AnswerFile.Read(answersPath, run, bag);
        if (bag.HasErrors)
        {
            foreach (var d in bag.Sorted()) Console.Error.WriteLine(DiagnosticFormatter.Format(d, file.Source));
            Console.Error.WriteLine($"{bag.ErrorCount} error{(bag.ErrorCount == 1 ? "" : "s")} in the answers file; nothing graded");
            return ExitCodes.InvalidSpec;
        }
        if (file.Answers.Count == 0)
        {
            output.WriteLine($"answers: nothing answered in '{Excerpt.ClipPath(answersPath)}' ({file.Unanswered} entr{(file.Unanswered == 1 ? "y" : "ies")} left ~)");
            return ExitCodes.ExpectationFailed;
        }
        var text = new TextMathRenderer(digits);
        int right = 0, wrong = 0;
        foreach (var a in file.Answers)
        {
            var e = run.Find(file.Step, a.Kind, a.Name)!;
            double correct = e.Values.ToArray()[a.Index];
            double tol = Tolerance(graph.Spec, a, file.Step);
            if (Right(a, correct, tol))
            {
                right++;
                continue;
            }
            wrong++;
            var dims = AnswerFile.Entries(e.Shape);
            string label = AnswerFile.Label(a.Name, a.Kind, dims, a.Index);
            output.WriteLine($"{a.Span}: wrong: {label} = {a.Text}; the answer is {NumberText.Of(correct, digits, e.Values.IsSingle).Mantissa}");
            if (run.Working(file.Step, new ExplainTarget(a.Name, a.Kind, a.Index)) is { } w)
                output.WriteLine($"    {text.Render(w.Equation)}");
        }
        output.WriteLine($"answers: {right} right, {wrong} wrong{(file.Unanswered > 0 ? $", {file.Unanswered} not answered" : "")} (tolerance: the spec's; see docs/worksheets.md)");
        return wrong == 0 ? ExitCodes.Success : ExitCodes.ExpectationFailed;
    }

    /// <summary>The tolerance of the spec's expectation of this value, else the spec's expect.tolerance (1e-9 when it has none).</summary>
    private static double Tolerance(SpecDocument spec, Answer a, int step)
    {
        var kind = a.Kind switch { ExplainKind.Forward => ExpectKind.Forward, ExplainKind.Gradient => ExpectKind.Gradient, _ => ExpectKind.Updated };
        return spec.Expectations.FirstOrDefault(x => x.Kind == kind && x.Name.Name == a.Name && x.Step == step)?.Tolerance ?? spec.DefaultTolerance;
    }

    /// <summary>
    /// Right when |answer - value| &lt;= tolerance * max(1, |value|) (as expectations are checked),
    /// or when the answer is the value rounded to the decimals written, with at least
    /// <see cref="RoundedDigits"/> significant digits (0.993 for 0.9933071, 4.02 for 4.0236).
    /// </summary>
    public static bool Right(Answer a, double correct, double tol)
    {
        if (a.Value.Equals(correct) || Math.Abs(a.Value - correct) <= tol * Math.Max(1, Math.Abs(correct))) return true;
        string t = a.Text.TrimStart('+', '-');
        if (t.Contains('e', StringComparison.OrdinalIgnoreCase)) return false;
        int dot = t.IndexOf('.', StringComparison.Ordinal);
        int decimals = dot < 0 ? 0 : t.Length - dot - 1;
        int significant = t.Replace(".", "", StringComparison.Ordinal).TrimStart('0').Length;
        if (decimals == 0 || significant < RoundedDigits) return false;
        return Math.Abs(a.Value - correct) <= 0.5 * Math.Pow(10, -decimals) * (1 + 1e-9);
    }
}
