using NetSpec.Runtime.Training;

namespace NetSpec.Cli;

/// <summary>The learning-curve PNG: loss per epoch (left axis) and accuracy (right axis), train and validation, with the test values as dashed lines.</summary>
internal static class LearningCurve
{
    public static void Write(string path, string title, TrainingReport report)
    {
        var h = report.History;
        double[] epochs = [.. h.Select(m => (double)m.Epoch)];
        var plot = new ScottPlot.Plot();
        plot.Title($"{title}: learning curve");
        plot.XLabel("epoch");
        plot.YLabel("loss (objective J)");
        plot.Axes.Right.Label.Text = "accuracy";

        var trainLoss = plot.Add.Scatter(epochs, [.. h.Select(m => m.TrainLoss)]);
        trainLoss.LegendText = "train loss";
        if (h.All(m => m.ValidationLoss is not null))
        {
            var s = plot.Add.Scatter(epochs, [.. h.Select(m => m.ValidationLoss!.Value)]);
            s.LegendText = "validation loss";
        }
        if (h.All(m => m.TrainAccuracy is not null))
        {
            var s = plot.Add.Scatter(epochs, [.. h.Select(m => m.TrainAccuracy!.Value)]);
            s.LegendText = "train accuracy";
            s.Axes.YAxis = plot.Axes.Right;
        }
        if (h.All(m => m.ValidationAccuracy is not null))
        {
            var s = plot.Add.Scatter(epochs, [.. h.Select(m => m.ValidationAccuracy!.Value)]);
            s.LegendText = "validation accuracy";
            s.Axes.YAxis = plot.Axes.Right;
        }
        if (report.TestAccuracy is { } ta)
        {
            var line = plot.Add.HorizontalLine(ta);
            line.LegendText = $"test accuracy {ta:0.0000}";
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            line.Axes.YAxis = plot.Axes.Right;
        }
        plot.ShowLegend(ScottPlot.Alignment.MiddleRight);
        NetSpec.Parser.Files.AtomicFile.WriteVia(path, temp => plot.SavePng(temp, 900, 560));
    }
}
