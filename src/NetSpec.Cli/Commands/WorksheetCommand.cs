using System.CommandLine;
using NetSpec.Cli.Worksheets;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Files;
using NetSpec.Runtime;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Explaining;
using NetSpec.Runtime.Graph;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec worksheet &lt;spec&gt;</c>: an exercise with the givens and blanks for the chosen
/// values, and its answer key (the full explanation) in a second file; with <c>--nice</c>, new
/// variants of the network with nice numbers, each written as a spec beside its worksheet.
/// </summary>
internal static class WorksheetCommand
{
    public const int MaxVariants = 1000;

    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The spec file (YAML)" };
        var format = new Option<WorksheetFormat>("--format") { Description = "markdown (LaTeX math for GitHub, VS Code, Jupyter), latex (a standalone document for pdflatex) or html (one self-contained page)", DefaultValueFactory = _ => WorksheetFormat.Markdown };
        var output = new Option<string?>("--output", "-o") { Description = "The worksheet file (default: SPEC-worksheet.md/.tex/.html in the current folder); the key goes beside it with -key before the extension" };
        var blank = new Option<string>("--blank") { Description = "What the student computes: forward, gradients, updated (a phase also blanks the phases after it, whose working shows its values) or value names, comma-separated", DefaultValueFactory = _ => "forward" };
        var nice = new Option<bool>("--nice") { Description = "Draw a new variant of the network: small integer data and parameters chosen so every value of the run is an integer or a short decimal; written as a spec beside the worksheet (-spec.yaml)" };
        var seed = new Option<int?>("--seed") { Description = "With --nice: the seed of the draw (default 1; the same seed gives the same variant everywhere)" };
        var variants = new Option<int?>("--variants") { Description = $"With --nice: this many variants (default 1), seeds SEED, SEED+1, ...; each file gets -sSEED before its extension (at most {MaxVariants})" };
        var template = new Option<bool>("--answers-template") { Description = "Also write an answers file to fill in (-answers.yaml) for netspec check-answers" };
        var explainOptions = new ExplainCliOptions();
        var cmd = new Command("worksheet", "Write an exercise: the givens, blanks for the chosen values, and an answer key with the full worked solution; --nice draws variants with nice numbers")
        {
            spec, format, output, blank, nice, seed, variants, template,
        };
        explainOptions.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var o = new Request(r.GetValue(spec)!, r.GetValue(format), r.GetValue(output), r.GetValue(blank)!, r.GetValue(nice), r.GetValue(seed) ?? 1, r.GetValue(variants) ?? 1, r.GetValue(template), explainOptions.Read(r),
                r.GetValue(seed) is not null || r.GetValue(variants) is not null);
            return Run(o, common.Limits(r), Console.Out);
        });
        return cmd;
    }

    internal sealed record Request(string Spec, WorksheetFormat Format, string? Output, string Blank, bool Nice, int Seed, int Variants, bool AnswersTemplate, ExplainOptions Explain, bool SeedGiven = false);

    public static int Run(Request q, Parser.Yaml.ParserLimits limits, TextWriter output)
    {
        if (q.SeedGiven && !q.Nice)
        {
            Console.Error.WriteLine("netspec: --seed and --variants choose the draws of --nice; add --nice");
            return ExitCodes.Usage;
        }
        if (q.Seed < 0 || q.Variants is < 1 or > MaxVariants || (long)q.Seed + q.Variants - 1 > int.MaxValue)
        {
            Console.Error.WriteLine($"netspec: --seed is 0 or more and --variants between 1 and {MaxVariants}");
            return ExitCodes.Usage;
        }
        var loaded = NetSpecEngine.Load(q.Spec, limits);
        Reporting.Diagnostics(Console.Error, loaded);
        if (!loaded.Ok) return ExitCodes.InvalidSpec;
        var graph = loaded.Graph!;
        if (graph.Spec.Training is not null)
        {
            Console.Error.WriteLine($"netspec: a worksheet writes out the steps of a spec without training; '{Excerpt.ClipPath(q.Spec)}' trains over a data set");
            return ExitCodes.Usage;
        }
        var blanks = Blanks.Parse(q.Blank, graph, out string? blankError);
        if (blankError is not null)
        {
            Console.Error.WriteLine($"netspec: {blankError}");
            return ExitCodes.Usage;
        }
        if (ExplainCliOptions.Check(q.Explain, graph, new Explainer(graph, q.Explain with { Sample = null }).BatchSize) is { } wrong)
        {
            Console.Error.WriteLine($"netspec: {wrong}");
            return ExitCodes.Usage;
        }
        string ext = WorksheetWriter.Extension(q.Format);
        string path = q.Output ?? Path.GetFileNameWithoutExtension(q.Spec) + "-worksheet" + ext;
        string stem = Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path));
        string fileExt = Path.GetExtension(path).Length > 0 ? Path.GetExtension(path) : ext;
        try
        {
            if (!q.Nice) return Write(graph, blanks, q, stem, fileExt, null, output);
            for (int k = 0; k < q.Variants; k++)
            {
                int seed = q.Seed + k;
                string s = q.Variants > 1 ? $"{stem}-s{seed}" : stem;
                string specPath = s + "-spec.yaml";
                var variant = NiceVariants.Draw(graph, (ulong)seed, specPath, out string? why);
                if (variant is null)
                {
                    Console.Error.WriteLine($"netspec: --nice --seed {seed}: {why}");
                    return ExitCodes.Usage;
                }
                AtomicFile.WriteText(specPath, variant.Yaml);
                output.WriteLine($"spec: {Excerpt.ClipPath(specPath)} (seed {seed}, {variant.Tries} draw{(variant.Tries == 1 ? "" : "s")})");
                var vb = Blanks.Parse(q.Blank, variant.Graph, out _);
                int code = Write(variant.Graph, vb, q, s, fileExt, $"A variant with nice numbers (netspec worksheet --nice --seed {seed}); its spec: {Path.GetFileName(specPath)}.", output);
                if (code != ExitCodes.Success) return code;
            }
            return ExitCodes.Success;
        }
        catch (OutputFileException e)
        {
            Console.Error.WriteLine($"netspec: {e.Message}");
            return ExitCodes.OutputError;
        }
    }

    private static int Write(NetworkGraph graph, Blanks blanks, Request q, string stem, string ext, string? note, TextWriter output)
    {
        var run = ExplainedRun.Of(graph, q.Explain);
        if (run.Result.Fault is { } fault)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        string sheet = stem + ext, key = stem + "-key" + ext;
        AtomicFile.WriteText(sheet, WorksheetWriter.Write(run, blanks, q.Format, note));
        AtomicFile.WriteText(key, WorksheetWriter.Write(run, Blanks.None, q.Format, note));
        output.WriteLine($"worksheet: {Excerpt.ClipPath(sheet)}");
        output.WriteLine($"key: {Excerpt.ClipPath(key)}");
        if (q.AnswersTemplate)
        {
            string answers = stem + "-answers.yaml";
            AtomicFile.WriteText(answers, AnswerFile.Template(run, blanks, graph.Spec.Path));
            output.WriteLine($"answers template: {Excerpt.ClipPath(answers)}");
        }
        return ExitCodes.Success;
    }
}
