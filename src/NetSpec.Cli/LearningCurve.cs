using System.Globalization;
using System.Text;
using NetSpec.Runtime.Training;
using ScottPlot;

namespace NetSpec.Cli;

/// <summary>
/// The learning curve: loss per epoch on the left axis and accuracy on the right (fixed to
/// [0, 1]), train solid and validation dashed, one colour per metric, integer epoch ticks, the
/// test accuracy as a dotted line, the legend outside the data on the right. Written as PNG, as
/// SVG and as CSV (one row per epoch) beside each other, each atomically.
/// </summary>
internal static class LearningCurve
{
    /// <summary>The PNG's size: small enough to render fast, large enough to read (docs/performance.md).</summary>
    public const int Width = 720, Height = 420;

    private static readonly Color LossColor = Color.FromHex("#1f77b4"), AccuracyColor = Color.FromHex("#d62728"), TestColor = Color.FromHex("#2ca02c");

    /// <summary>Writes <paramref name="path"/> (PNG) and the .svg and .csv beside it; the SVG is drawn on another thread meanwhile (its own plot).</summary>
    public static void Write(string path, string title, TrainingReport report)
    {
        var svg = Task.Run(() => NetSpec.Parser.Files.AtomicFile.WriteText(Path.ChangeExtension(path, ".svg"), Build(title, report).GetSvgXml(Width, Height)));
        try
        {
            WritePng(path, Build(title, report));
            NetSpec.Parser.Files.AtomicFile.WriteText(Path.ChangeExtension(path, ".csv"), Csv(report));
        }
        finally
        {
            try { svg.Wait(); }
            catch (AggregateException e) when (e.InnerException is { } inner) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner); }
        }
    }

    /// <summary>The PNG, written atomically.</summary>
    internal static void WritePng(string path, Plot plot) => NetSpec.Parser.Files.AtomicFile.WriteBytes(path, Png(plot));

    /// <summary>
    /// The plot as PNG bytes. Encoded with the Sub filter at zlib level 1 instead of ScottPlot's
    /// default (every filter tried, level 6): a few percent larger for a fifth of the time (docs/performance.md).
    /// </summary>
    internal static byte[] Png(Plot plot)
    {
        var info = new SkiaSharp.SKImageInfo(Width, Height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Premul);
        using var surface = SkiaSharp.SKSurface.Create(info) ?? throw new InvalidOperationException("cannot create a drawing surface");
        plot.Render(surface.Canvas, Width, Height);
        using var pixels = surface.PeekPixels() ?? throw new InvalidOperationException("cannot read the drawing surface");
        using var data = pixels.Encode(new SkiaSharp.SKPngEncoderOptions(SkiaSharp.SKPngEncoderFilterFlags.Sub, 1)) ?? throw new InvalidOperationException("cannot encode the PNG");
        return data.ToArray();
    }

    /// <summary>
    /// Loads what the picture at the end needs while training runs, so that it then costs its
    /// drawing only. The fonts always: the renderer's font manager reads every font file under
    /// /usr/share/fonts when it is first used, about 10 ms. Where code is compiled at run time
    /// (ReadyToRun, JIT) a small plot is also drawn once, as PNG and SVG, to compile the drawing
    /// code; a Native AOT build has nothing to compile, and drawing it there would only take the
    /// processor from training (on a 2-core guest, digits' whole run 78 ms against 60 ms).
    /// </summary>
    public static void Warm()
    {
        Fonts.GetTypeface(Fonts.Default, bold: false, italic: false);
        Fonts.GetTypeface(Fonts.Default, bold: true, italic: false);
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled) return;
        var h = new List<EpochMetrics> { new(1, 1, 0.5, 1, 0.5, 0.1, 0), new(2, 0.5, 0.7, 0.6, 0.6, 0.1, 0) };
        var report = new TrainingReport(h, 0.5, 0.6, false, 0);
        Png(Build("warm", report));
        Build("warm", report).GetSvgXml(Width, Height);
    }

    /// <summary>epoch, train_loss, train_accuracy, validation_loss, validation_accuracy, learning_rate, seconds; empty where not computed.</summary>
    internal static string Csv(TrainingReport report)
    {
        var s = new StringBuilder("epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds\n");
        static string N(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        foreach (var m in report.History)
            s.Append(CultureInfo.InvariantCulture, $"{m.Epoch},{N(m.TrainLoss)},{N(m.TrainAccuracy)},{N(m.ValidationLoss)},{N(m.ValidationAccuracy)},{N(m.LearningRate)},{N(m.Seconds)}\n");
        return s.ToString();
    }

    internal static Plot Build(string title, TrainingReport report)
    {
        var h = report.History;
        double[] epochs = [.. h.Select(m => (double)m.Epoch)];
        var plot = new Plot();
        plot.Title($"{title}: learning curve", size: 14);
        plot.XLabel("epoch", size: 12);
        plot.YLabel("loss (objective J)", size: 12);
        bool accuracy = h.All(m => m.TrainAccuracy is not null) || h.All(m => m.ValidationAccuracy is not null);

        Line(plot, epochs, [.. h.Select(m => m.TrainLoss)], "train loss", LossColor, LinePattern.Solid, right: false);
        if (h.All(m => m.ValidationLoss is not null))
            Line(plot, epochs, [.. h.Select(m => m.ValidationLoss!.Value)], "validation loss", LossColor, LinePattern.Dashed, right: false);
        if (h.All(m => m.TrainAccuracy is not null))
            Line(plot, epochs, [.. h.Select(m => m.TrainAccuracy!.Value)], "train accuracy", AccuracyColor, LinePattern.Solid, right: true);
        if (h.All(m => m.ValidationAccuracy is not null))
            Line(plot, epochs, [.. h.Select(m => m.ValidationAccuracy!.Value)], "validation accuracy", AccuracyColor, LinePattern.Dashed, right: true);
        if (report.TestAccuracy is { } ta)
        {
            var line = plot.Add.HorizontalLine(ta, width: 1.5f, color: TestColor, pattern: LinePattern.Dotted);
            line.LegendText = $"test accuracy {ta.ToString("0.0000", CultureInfo.InvariantCulture)}";
            line.Axes.YAxis = plot.Axes.Right;
        }
        if (report.RestoredBest && report.BestEpoch is { } be)
        {
            var line = plot.Add.VerticalLine(be, width: 1.5f, color: Colors.Gray, pattern: LinePattern.Dotted);
            line.LegendText = $"best epoch {be} (restored)";
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.AutoScale();
        double last = epochs.Length > 0 ? epochs[^1] : 1, first = epochs.Length > 0 ? epochs[0] : 1;
        plot.Axes.SetLimitsX(first - 0.02 * Math.Max(1, last - first), last + 0.02 * Math.Max(1, last - first), plot.Axes.Bottom);
        double top = h.Count > 0 ? h.Max(m => Math.Max(m.TrainLoss, m.ValidationLoss ?? 0)) : 1;
        plot.Axes.SetLimitsY(0, double.IsFinite(top) && top > 0 ? top * 1.05 : 1, plot.Axes.Left);
        if (accuracy)
        {
            plot.Axes.Right.Label.Text = "accuracy";
            plot.Axes.Right.Label.FontSize = 12;
            plot.Axes.SetLimitsY(0, 1.02, plot.Axes.Right);
        }
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static void Line(Plot plot, double[] x, double[] y, string label, Color color, LinePattern pattern, bool right)
    {
        var s = plot.Add.ScatterLine(x, y, color);
        s.LegendText = label;
        s.LineWidth = 2;
        s.LinePattern = pattern;
        if (right) s.Axes.YAxis = plot.Axes.Right;
    }
}
