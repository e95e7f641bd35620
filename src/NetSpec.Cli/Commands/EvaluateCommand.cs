using System.CommandLine;
using System.Globalization;
using NetSpec.Parser.Files;
using NetSpec.Runtime.Training;

namespace NetSpec.Cli.Commands;

/// <summary>
/// <c>netspec evaluate SPEC --input labelled.csv [--parameters FILE]</c>: the trained network on
/// labelled raw rows, in evaluation mode: loss (the objective averaged over the rows, as
/// training's test loss), accuracy, each class's precision and recall, and the confusion matrix
/// as a table and a PNG beside the spec's training outputs.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create(CommonOptions common)
    {
        var spec = new Argument<string>("spec") { Description = "The training spec whose network is evaluated (YAML)" };
        var input = new Option<string>("--input", "-i")
        {
            Description = "The labelled rows: a CSV file laid out as the spec's data set file (same separator and header), with the label column",
            Required = true,
        };
        var parameters = new Option<string?>("--parameters") { Description = "The trained-parameters file (default: the spec's 'training: outputs: parameters', written by 'netspec run SPEC')" };
        var png = new Option<string?>("--confusion-png") { Description = "Where to write the confusion-matrix picture (default: SPECNAME.confusion.png beside the spec's trained-parameters file)" };
        var threads = new Option<int>("--threads") { Description = "Most threads a matrix product may use", DefaultValueFactory = _ => 1 }.Between(1, RunCommand.MaxThreads);
        var cmd = new Command("evaluate",
            "Evaluate a trained network on labelled raw rows (scaled as at training time), in evaluation mode: loss, accuracy, per-class precision and recall, " +
            "and the confusion matrix as a table and a PNG")
        {
            spec, input, parameters, png, threads,
        };
        common.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(input)!, r.GetValue(parameters), r.GetValue(png), r.GetValue(threads), common.Limits(r), Console.Out));
        return cmd;
    }

    public static int Run(string specPath, string inputPath, string? parametersPath, string? pngPath, int threads, NetSpec.Parser.Yaml.ParserLimits limits, TextWriter output)
    {
        var (code, network, rows) = PredictCommand.Open(specPath, inputPath, parametersPath, labels: true, limits, out var loaded);
        if (network is null || rows is null) return code;
        var diagnostics = new NetSpec.Parser.Diagnostics.DiagnosticBag();
        var classes = network.ClassesOf(rows, diagnostics);
        if (classes is null)
        {
            PredictCommand.Print(diagnostics, inputPath);
            return ExitCodes.InvalidSpec;
        }
        var (evaluation, fault) = network.Evaluate(rows, classes, threads);
        if (fault is not null)
        {
            Reporting.Fault(Console.Error, fault);
            return ExitCodes.NumericFault;
        }
        var e = evaluation!;
        var names = network.Preprocessing.Classes;
        var doc = loaded!.Graph!.Spec;
        long correct = 0;
        for (int c = 0; c < names.Count; c++) correct += e.Confusion[c, c];
        output.WriteLine($"{doc.Name}: {e.Rows} rows of {inputPath}, evaluation mode");
        output.WriteLine($"loss: {N(e.Loss)}");
        output.WriteLine($"accuracy: {N(e.Accuracy)} ({correct} of {e.Rows})");
        output.WriteLine();
        output.Write(Table(e, names));
        pngPath ??= Path.Combine(Path.GetDirectoryName(doc.Training!.Outputs?.Parameters is { } pf ? Path.Combine(Path.GetDirectoryName(doc.Path) ?? "", pf.Path) : doc.Path) ?? "",
            doc.Name + ".confusion.png");
        try
        {
            Picture(pngPath, doc.Name, e, names);
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"netspec: {(x is OutputFileException o ? o.Message : $"cannot write '{pngPath}': {x.Message}")}");
            return ExitCodes.OutputError;
        }
        output.WriteLine($"confusion matrix: {pngPath}");
        return ExitCodes.Success;
    }

    private static string N(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>Precision, recall and support per class, then the confusion matrix (rows: true class, columns: predicted).</summary>
    internal static string Table(Evaluation e, IReadOnlyList<string> names)
    {
        var w = new StringWriter();
        int width = Math.Max(5, names.Max(n => n.Length));
        w.WriteLine($"{"class".PadRight(width)}  precision  recall  support");
        for (int c = 0; c < names.Count; c++)
        {
            string p = e.Precision(c) is { } pr ? N(pr) : "-";
            string r = e.Recall(c) is { } re ? N(re) : "-";
            w.WriteLine($"{names[c].PadRight(width)}  {p,9}  {r,6}  {e.Support(c),7}");
        }
        w.WriteLine("(precision: of the rows predicted as the class, the fraction that are; recall: of the rows of the class, the fraction predicted as it; - where there are none)");
        w.WriteLine();
        w.WriteLine("confusion matrix (rows: true class, columns: predicted class)");
        int cell = Math.Max(width, e.Confusion.Cast<long>().Max().ToString(CultureInfo.InvariantCulture).Length);
        w.WriteLine($"{"".PadRight(width)}  {string.Join("  ", names.Select(n => n.PadLeft(cell)))}");
        for (int t = 0; t < names.Count; t++)
            w.WriteLine($"{names[t].PadRight(width)}  {string.Join("  ", Enumerable.Range(0, names.Count).Select(p => e.Confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(cell)))}");
        return w.ToString();
    }

    /// <summary>The confusion matrix as a picture: one cell per (true, predicted) pair shaded by its share of the true class's rows, with its count.</summary>
    private static void Picture(string path, string title, Evaluation e, IReadOnlyList<string> names)
    {
        int c = names.Count;
        var plot = new ScottPlot.Plot();
        plot.Title($"{title}: confusion matrix");
        plot.XLabel($"predicted class ({e.Rows} rows, accuracy {N(e.Accuracy)})");
        plot.YLabel("true class");
        for (int t = 0; t < c; t++)
        {
            long support = e.Support(t);
            for (int p = 0; p < c; p++)
            {
                double share = support == 0 ? 0 : (double)e.Confusion[t, p] / support;
                // Row t from the top: true class 0 in the first row, as in the text table.
                double top = c - t, bottom = c - t - 1;
                var rect = plot.Add.Rectangle(p, p + 1, bottom, top);
                rect.FillStyle.Color = ScottPlot.Colors.SteelBlue.WithAlpha(0.08 + 0.92 * share);
                rect.LineStyle.Color = ScottPlot.Colors.White;
                var text = plot.Add.Text(e.Confusion[t, p].ToString(CultureInfo.InvariantCulture), p + 0.5, bottom + 0.5);
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
                text.LabelFontSize = c > 12 ? 10 : 16;
                text.LabelFontColor = share > 0.5 ? ScottPlot.Colors.White : ScottPlot.Colors.Black;
            }
        }
        double[] centres = [.. Enumerable.Range(0, c).Select(i => i + 0.5)];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(centres, [.. names]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. centres.Reverse()], [.. names]);
        plot.Axes.SetLimits(0, c, 0, c);
        plot.HideGrid();
        int size = Math.Clamp(120 + 60 * c, 480, 1200);
        AtomicFile.WriteVia(path, temp => plot.SavePng(temp, size + 80, size));
    }
}
