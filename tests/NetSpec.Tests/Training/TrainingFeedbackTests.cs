using System.Globalization;
using System.Text.Json;
using NetSpec.Runtime;
using NetSpec.Runtime.Training;
using NetSpec.Tests.Onnx;

namespace NetSpec.Tests.Training;

/// <summary>Early stopping's restored parameters, the best-only parameters file, divergence, the plateau schedule in a run, the learning curve's files.</summary>
[TestClass]
public sealed class TrainingFeedbackTests
{
    private static RunResult Train(string spec, string outDir, List<string>? notes = null)
    {
        var loaded = TrainingFolder.Load(spec);
        return NetSpecEngine.Run(loaded.Graph!, training: new TrainingRunOptions { WriteFiles = true, OutputDirectory = outDir, OnNote = n => notes?.Add(n) });
    }

    private static string Parameters(string outDir) => File.ReadAllText(Path.Combine(outDir, "out", "iris.parameters.json"));

    /// <summary>iris with patience 3 stops after epoch 36; its best validation loss is at epoch 33 (both read from the run, then checked against a run of exactly 33 epochs).</summary>
    private static string Patience3(string text) => text.Replace("patience: 10", "patience: 3", StringComparison.Ordinal);

    [TestMethod]
    public void Early_stopping_restores_the_parameters_of_the_best_epoch_as_a_run_of_exactly_that_many_epochs_ends()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml", t => Patience3(t).Replace("out/iris.parameters.json", "out/iris.parameters.json\n    best_parameters: out/iris.best.json", StringComparison.Ordinal));
        var notes = new List<string>();
        var stopped = Train(spec, Path.Combine(folder.Path, "stopped"), notes);
        var report = stopped.Training!;
        Assert.IsTrue(report.StoppedEarly);
        Assert.IsTrue(report.RestoredBest);
        int best = report.BestEpoch!.Value;
        int last = report.History[^1].Epoch;
        Assert.IsLessThan(last, best, "the best epoch is not before the last: nothing to restore");
        Assert.AreEqual(report.History.Min(m => m.ValidationLoss!.Value), report.History[best - 1].ValidationLoss);
        Assert.IsTrue(notes.Any(n => n.Contains($"restored the parameters of epoch {best}", StringComparison.Ordinal)), string.Join("\n", notes));

        string exact = folder.CopySpec("iris.yaml", t => t.Replace("epochs: 60", $"epochs: {best}", StringComparison.Ordinal)
            .Replace("  early_stopping: {patience: 10, min_delta: 0}\n", "", StringComparison.Ordinal));
        var run = Train(exact, Path.Combine(folder.Path, "exact"));
        Assert.IsFalse(run.Training!.StoppedEarly);
        Assert.AreEqual(best, run.Training.History.Count);
        string expected = Parameters(Path.Combine(folder.Path, "exact"));
        Assert.AreEqual(expected, Parameters(Path.Combine(folder.Path, "stopped")), "the restored parameters are not those of the best epoch");
        Assert.AreEqual(expected, File.ReadAllText(Path.Combine(folder.Path, "stopped", "out", "iris.best.json")), "the best-only file is not the best epoch's parameters");
        Assert.AreEqual(run.Training.TestLoss, report.TestLoss, "the test split was not evaluated with the restored parameters");

        string kept = folder.CopySpec("iris.yaml", t => Patience3(t).Replace("min_delta: 0}", "min_delta: 0, restore_best: false}", StringComparison.Ordinal));
        var last36 = Train(kept, Path.Combine(folder.Path, "kept"));
        Assert.IsTrue(last36.Training!.StoppedEarly);
        Assert.IsFalse(last36.Training.RestoredBest);
        Assert.AreNotEqual(expected, Parameters(Path.Combine(folder.Path, "kept")), "restore_best: false kept the best epoch's parameters");
    }

    [TestMethod]
    public void A_run_that_stopped_early_and_restored_resumes_to_the_same_parameters()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml", Patience3);
        string dir = Path.Combine(folder.Path, "run");
        Train(spec, dir);
        string first = Parameters(dir);
        File.Delete(Path.Combine(dir, "out", "iris.parameters.json"));
        var loaded = TrainingFolder.Load(spec);
        var resumed = NetSpecEngine.Run(loaded.Graph!, training: new TrainingRunOptions { WriteFiles = true, OutputDirectory = dir, Resume = true });
        Assert.IsTrue(resumed.Training!.StoppedEarly);
        Assert.AreEqual(first, Parameters(dir));
    }

    [TestMethod]
    public void A_loss_rising_above_ten_times_its_best_stops_the_run_at_once_with_the_epoch_batch_and_values()
    {
        using var folder = new TrainingFolder();
        // sgd with a learning rate of 40: the weights grow each step, and with them the loss.
        string spec = folder.CopySpec("iris.yaml", t => t.Replace("type: adam", "type: sgd", StringComparison.Ordinal).Replace("alpha: 0.01", "alpha: 40", StringComparison.Ordinal));
        var notes = new List<string>();
        var result = Train(spec, Path.Combine(folder.Path, "a"), notes);
        var d = result.Training!.Diverged;
        Assert.IsNotNull(d, $"no divergence; fault: {result.Fault}; {string.Join("\n", notes)}");
        Assert.IsNull(result.Fault);
        Assert.IsFalse(result.AllPassed);
        Assert.IsGreaterThan(10 * d.Best, d.SmoothedLoss);
        Assert.IsTrue(double.IsFinite(d.Loss));
        Assert.AreEqual(6, d.Batches);
        Assert.AreEqual((d.Epoch - 1) * 6 + d.Batch, d.Step);
        Assert.AreEqual(d.Epoch - 1, result.Training.History.Count, "the epoch it diverged in is not in the history");
        Assert.IsFalse(File.Exists(Path.Combine(folder.Path, "a", "out", "iris.parameters.json")), "a diverged run wrote its parameters");
        StringAssert.Contains(notes.Single(n => n.StartsWith("training diverged", StringComparison.Ordinal)), $"in epoch {d.Epoch}, batch {d.Batch} of 6 (step {d.Step})");

        var (code, output, _) = Cli.CliRunner.Invoke("run", spec);
        Assert.AreEqual(4, code, output);
        StringAssert.Contains(output, "training diverged in epoch");

        string off = folder.CopySpec("iris.yaml", t => t.Replace("type: adam", "type: sgd", StringComparison.Ordinal).Replace("alpha: 0.01", "alpha: 40", StringComparison.Ordinal)
            .Replace("  accuracy_of: o\n", "  accuracy_of: o\n  divergence: false\n", StringComparison.Ordinal));
        var trained = Train(off, Path.Combine(folder.Path, "b"));
        Assert.IsNull(trained.Training!.Diverged);
        Assert.IsGreaterThan(d.Epoch, trained.Training.History.Count, "divergence: false stopped where the default stopped");
    }

    [TestMethod]
    public void None_of_the_shipped_training_specs_is_taken_for_diverging()
    {
        foreach (var name in new[] { "iris.yaml", "digits.yaml", "synthetic-teacher.yaml" })
        {
            var loaded = TrainingFolder.Load(Path.Combine(TestPaths.Specs, name));
            var result = NetSpecEngine.Run(loaded.Graph!);
            Assert.IsNull(result.Training!.Diverged, $"{name}: {result.Training.Diverged?.Message}");
        }
    }

    [TestMethod]
    public void The_plateau_schedule_in_a_run_gives_the_rates_pytorchs_ReduceLROnPlateau_gives_for_its_validation_losses()
    {
        var (python, reason) = TestPython.Find("torch");
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml", t => t.Replace("  learning_rate: alpha\n", "  learning_rate: alpha\n  schedule: {type: plateau, factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, min_lr: 0.001}\n", StringComparison.Ordinal)
            .Replace("alpha: 0.01", "alpha: 0.05", StringComparison.Ordinal)
            .Replace("  early_stopping: {patience: 10, min_delta: 0}\n", "", StringComparison.Ordinal));
        var notes = new List<string>();
        var report = Train(spec, Path.Combine(folder.Path, "a"), notes).Training!;
        var rates = report.History.Select(m => m.LearningRate).ToArray();
        Assert.IsGreaterThanOrEqualTo(2, rates.Distinct().Count(), "the rate never changed: the test would not see a wrong rule");
        Assert.AreEqual(rates.Distinct().Count() - 1, notes.Count(n => n.Contains("learning rate", StringComparison.Ordinal)));
        if (python is null) Assert.Inconclusive(reason);
        string csv = Path.Combine(folder.Path, "curve.csv");
        File.WriteAllText(csv, NetSpec.Cli.LearningCurve.Csv(report));
        var (code, output) = TestPython.Run(python, [Path.Combine(TestPaths.Root, "tools", "plateau-reference.py"), "--check", csv, "--lr", "0.05",
            "--factor", "0.5", "--patience", "2", "--threshold", "0.01", "--cooldown", "1", "--min-lr", "0.001"], TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, " 0 differ");
    }

    [TestMethod]
    public void A_run_writes_its_learning_curve_as_png_svg_and_csv_and_plain_lines_when_redirected()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml");
        var loaded = TrainingFolder.Load(spec);
        var output = new StringWriter();
        var result = NetSpec.Cli.TrainingRun.Run(loaded.Graph!, null, resume: false, output, interactive: false);
        Assert.IsNull(result.Fault);
        string png = Path.Combine(folder.Path, "out", "iris.png");
        var bytes = File.ReadAllBytes(png);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        string svg = File.ReadAllText(Path.ChangeExtension(png, ".svg"));
        StringAssert.Contains(svg, "<svg ");
        StringAssert.Contains(svg, "validation accuracy");
        var lines = File.ReadAllLines(Path.ChangeExtension(png, ".csv"));
        Assert.AreEqual("epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds", lines[0]);
        Assert.HasCount(61, lines);
        var h = result.Training!.History;
        var row = lines[60].Split(',');
        Assert.AreEqual(60, int.Parse(row[0], CultureInfo.InvariantCulture));
        Assert.AreEqual(h[^1].TrainLoss, double.Parse(row[1], CultureInfo.InvariantCulture));
        Assert.AreEqual(h[^1].ValidationAccuracy, double.Parse(row[4], CultureInfo.InvariantCulture));
        string text = output.ToString();
        Assert.IsFalse(text.Any(ch => ch < ' ' && ch != '\n' && ch != '\r'), "control characters in redirected output");
        Assert.AreEqual(60, text.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
        Assert.IsFalse(Directory.EnumerateFiles(Path.Combine(folder.Path, "out")).Any(f => f.Contains(".tmp", StringComparison.Ordinal)), "a temporary file was left");
    }

    [TestMethod]
    public void The_progress_line_shows_epoch_batch_running_loss_and_samples_per_second()
    {
        Assert.AreEqual("epoch  3/20  batch  7/45  loss 0.1235     812 samples/s", NetSpec.Cli.TrainingRun.Progress(new BatchProgress(3, 20, 7, 45, 0.12345, 811.6)));
    }
}
