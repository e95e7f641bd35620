using System.Globalization;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;
using Spectre.Console;

namespace NetSpec.Cli;

/// <summary>
/// <c>netspec run</c> for a spec with <c>training:</c>: one line per epoch (on a terminal a
/// Spectre.Console progress bar as well: epoch, batch, running loss, samples/s, elapsed time and
/// ETA), <c>test accuracy: value</c> at the end, the parameters file, checkpoints and the
/// learning curve (PNG, SVG, CSV) the spec asks for. Redirected output gets the plain lines only.
/// </summary>
internal static class TrainingRun
{
    public static RunResult Run(NetworkGraph graph, ITraceSink? trace, bool resume, TextWriter output, bool interactive, int threads = 1, bool warmStart = false)
    {
        var t = graph.Spec.Training!;
        var data = graph.Dataset!;
        output.WriteLine($"training: {data.Train.Rows} samples{(data.Validation is { } v ? $", validation {v.Rows}" : "")}{(data.Test is { } te ? $", test {te.Rows}" : "")}; " +
                         $"{data.FeatureCount} features, {data.ClassCount} classes; {t.Epochs} epochs of batches of {t.BatchSize}; {graph.Spec.Optimizer!.Type.Name}, {graph.Spec.DType.ToString().ToLowerInvariant()}");
        RunResult result;
        // The learning curve's renderer loads while the network trains, so the picture at the end costs its drawing only.
        var warm = t.Outputs?.LearningCurve is not null ? Task.Run(LearningCurve.Warm) : null;
        if (interactive)
        {
            result = default!;
            AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: t.Epochs);
                    var options = new TrainingRunOptions
                    {
                        WriteFiles = true,
                        Resume = resume,
                        WarmStart = warmStart,
                        Threads = threads,
                        OnBatch = p =>
                        {
                            task.Description = Progress(p);
                            task.Value = p.Epoch - 1 + (double)p.Batch / p.Batches;
                        },
                        OnEpoch = m => AnsiConsole.WriteLine(Line(m, t.Epochs)),
                        OnNote = note => AnsiConsole.WriteLine(note),
                    };
                    result = NetSpecEngine.Run(graph, trace: trace, training: options);
                    task.Value = t.Epochs;
                });
        }
        else
        {
            var options = new TrainingRunOptions
            {
                WriteFiles = true,
                Resume = resume,
                WarmStart = warmStart,
                Threads = threads,
                OnEpoch = m =>
                {
                    output.WriteLine(Line(m, t.Epochs));
                    output.Flush();
                },
                OnNote = note => output.WriteLine(note),
            };
            result = NetSpecEngine.Run(graph, trace: trace, training: options);
        }
        try { warm?.Wait(); } catch (AggregateException) { } // a failure shows when the curve is written
        if (result.Training is { } report)
        {
            if (report.TestAccuracy is { } acc) output.WriteLine($"test accuracy: {N(acc)}");
            if (report.TestLoss is { } loss) output.WriteLine($"test loss: {N(loss)}");
            string folder = Path.GetDirectoryName(graph.Spec.Path) ?? "";
            if (t.Outputs?.Parameters is { } p && result.Fault is null && report.Diverged is null) output.WriteLine($"parameters: {Path.Combine(folder, p.Path)}");
            if (t.Outputs?.LearningCurve is { } lc && report.History.Count > 0)
            {
                string path = Path.Combine(folder, lc.Path);
                LearningCurve.Write(path, graph.Spec.Name, report);
                output.WriteLine($"learning curve: {path} (and {Path.ChangeExtension(path, ".svg")}, {Path.ChangeExtension(path, ".csv")})");
            }
        }
        return result;
    }

    private static string N(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>"epoch 3/20  batch 12/45  loss 0.1234  5210 samples/s": the progress bar's description (markup-safe).</summary>
    internal static string Progress(BatchProgress p)
    {
        int we = p.Epochs.ToString(CultureInfo.InvariantCulture).Length, wb = p.Batches.ToString(CultureInfo.InvariantCulture).Length;
        return $"epoch {p.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(we)}/{p.Epochs}  batch {p.Batch.ToString(CultureInfo.InvariantCulture).PadLeft(wb)}/{p.Batches}  " +
               $"loss {N(p.RunningLoss)}  {p.SamplesPerSecond.ToString("0", CultureInfo.InvariantCulture).PadLeft(6)} samples/s";
    }

    /// <summary>"epoch  3/20  train loss 0.1234 acc 0.9650  validation loss 0.2000 acc 0.9500  lr 0.1  0.21 s".</summary>
    internal static string Line(EpochMetrics m, int epochs)
    {
        int w = epochs.ToString(CultureInfo.InvariantCulture).Length;
        var s = $"epoch {m.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(w)}/{epochs}  train loss {N(m.TrainLoss)}";
        if (m.TrainAccuracy is { } ta) s += $" acc {N(ta)}";
        if (m.ValidationLoss is { } vl) s += $"  validation loss {N(vl)}";
        if (m.ValidationAccuracy is { } va) s += $" acc {N(va)}";
        return s + $"  lr {m.LearningRate.ToString("G6", CultureInfo.InvariantCulture)}  {m.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s";
    }
}
