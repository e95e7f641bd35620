using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NetSpec.Runtime;
using NetSpec.Runtime.Training;

namespace NetSpec.Tests.Training;

/// <summary>Training runs: determinism, checkpoints and resume (also of a killed process), the parameters file.</summary>
[TestClass]
public sealed class TrainingRunTests
{
    private static string Train(string spec, string outDir, Action<EpochMetrics>? onEpoch = null, bool resume = false)
    {
        var loaded = TrainingFolder.Load(spec);
        var result = NetSpecEngine.Run(loaded.Graph!, training: new TrainingRunOptions { WriteFiles = true, OutputDirectory = outDir, Resume = resume, OnEpoch = onEpoch });
        Assert.IsNull(result.Fault);
        return Path.Combine(outDir, loaded.Graph!.Spec.Training!.Outputs!.Parameters!.Path);
    }

    private static string EveryEpochCheckpoint(string text) =>
        text.Replace("checkpoint: {every: 10,", "checkpoint: {every: 1,", StringComparison.Ordinal)
            .Replace("checkpoint: {every: 5,", "checkpoint: {every: 1,", StringComparison.Ordinal);

    [TestMethod]
    public void Two_runs_of_the_same_spec_write_byte_identical_parameter_files()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml");
        var a = File.ReadAllBytes(Train(spec, Path.Combine(folder.Path, "a")));
        var b = File.ReadAllBytes(Train(spec, Path.Combine(folder.Path, "b")));
        Assert.IsGreaterThan(100, a.Length);
        CollectionAssert.AreEqual(a, b);
    }

    private sealed class Interrupted : Exception;

    /// <summary>
    /// Checkpoints are written on another thread while the next epoch trains; an epoch's line still
    /// comes only once its checkpoint is on disk, in order, and the file then holds that epoch.
    /// </summary>
    [TestMethod]
    public void Each_epoch_line_comes_after_its_checkpoint_is_written_and_the_lines_stay_in_order()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("digits.yaml", t => t.Replace("checkpoint: {every: 5,", "checkpoint: {every: 3,", StringComparison.Ordinal).Replace("epochs: 20", "epochs: 8", StringComparison.Ordinal));
        string dir = Path.Combine(folder.Path, "run");
        string checkpoint = Path.Combine(dir, "out", "digits.checkpoint.json");
        var seen = new List<(int Epoch, int Saved)>();
        Train(spec, dir, m =>
        {
            if (!File.Exists(checkpoint))
            {
                seen.Add((m.Epoch, 0));
                return;
            }
            using var json = JsonDocument.Parse(File.ReadAllText(checkpoint));
            seen.Add((m.Epoch, json.RootElement.GetProperty("epochs_done").GetInt32()));
        });
        // Checkpoints after epochs 3, 6 and 8 (the last); epochs 1 and 2 have none to wait for.
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, seen.Select(s => s.Epoch).ToArray());
        foreach (var (epoch, saved) in seen)
            Assert.AreEqual(epoch < 3 ? 0 : epoch < 6 ? 3 : epoch < 8 ? 6 : 8, saved, $"at the line of epoch {epoch}");
        using var final = JsonDocument.Parse(File.ReadAllText(checkpoint));
        Assert.AreEqual(8, final.RootElement.GetProperty("epochs_done").GetInt32());
    }

    [TestMethod]
    public void A_checkpoint_that_cannot_be_written_stops_training_with_its_reason_before_the_epoch_line()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml", t => EveryEpochCheckpoint(t));
        string dir = Path.Combine(folder.Path, "run");
        string checkpoint = Path.Combine(dir, "out", "iris.checkpoint.json");
        var lines = new List<int>();
        var e = Assert.ThrowsExactly<TrainingFileException>(() => Train(spec, dir, m =>
        {
            lines.Add(m.Epoch);
            if (m.Epoch == 2)
            {
                // The next checkpoint's target becomes a folder: its write fails.
                File.Delete(checkpoint);
                Directory.CreateDirectory(checkpoint);
            }
        }));
        StringAssert.Contains(e.Message, "cannot write the checkpoint");
        CollectionAssert.AreEqual(new[] { 1, 2 }, lines.ToArray());
        Assert.IsFalse(File.Exists(Path.Combine(dir, "out", "iris.parameters.json")));
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(dir, "out"), ".iris.checkpoint.json.*"), "a temporary file is left");
    }

    [TestMethod]
    public void A_run_interrupted_after_an_epoch_and_resumed_writes_the_same_parameters_as_an_uninterrupted_run()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml", EveryEpochCheckpoint);
        var full = File.ReadAllBytes(Train(spec, Path.Combine(folder.Path, "full")));
        string dir = Path.Combine(folder.Path, "resumed");
        Assert.ThrowsExactly<Interrupted>(() => Train(spec, dir, m => { if (m.Epoch == 7) throw new Interrupted(); }));
        Assert.IsTrue(File.Exists(Path.Combine(dir, "out", "iris.checkpoint.json")));
        Assert.IsFalse(File.Exists(Path.Combine(dir, "out", "iris.parameters.json")));
        var resumed = File.ReadAllBytes(Train(spec, dir, resume: true));
        CollectionAssert.AreEqual(full, resumed);
    }

    /// <summary>
    /// With batch_norm and dropout: the checkpoint carries the running statistics (parameters the
    /// op updates, not trained) and the step counter the dropout masks are drawn from, so a resumed
    /// run continues bit for bit, running statistics included.
    /// </summary>
    [TestMethod]
    public void A_run_with_batch_norm_and_dropout_resumed_after_an_epoch_writes_the_same_parameters_and_running_statistics()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("digits-bn-dropout.yaml", t => EveryEpochCheckpoint(t).Replace("epochs: 20", "epochs: 4", StringComparison.Ordinal));
        var full = File.ReadAllBytes(Train(spec, Path.Combine(folder.Path, "full")));
        string dir = Path.Combine(folder.Path, "resumed");
        Assert.ThrowsExactly<Interrupted>(() => Train(spec, dir, m => { if (m.Epoch == 2) throw new Interrupted(); }));
        using (var checkpoint = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "digits-bn-dropout.checkpoint.json"))))
        {
            var saved = checkpoint.RootElement.GetProperty("parameters");
            double[] rv1 = [.. saved.GetProperty("rv1").GetProperty("values").EnumerateArray().Select(v => v.GetDouble())];
            Assert.IsTrue(rv1.Any(v => v != 1), "the checkpoint's running variance is still its initial value");
            Assert.AreEqual(82, checkpoint.RootElement.GetProperty("steps").GetInt32()); // two epochs of 41 batches
        }
        var resumed = File.ReadAllBytes(Train(spec, dir, resume: true));
        CollectionAssert.AreEqual(full, resumed);
        using var json = JsonDocument.Parse(resumed);
        var parameters = json.RootElement.GetProperty("parameters");
        foreach (var name in new[] { "rm1", "rv1", "rm2", "rv2", "g1", "be1" })
            Assert.IsTrue(parameters.TryGetProperty(name, out _), $"the parameters file has no '{name}'");
        Assert.IsTrue(parameters.GetProperty("rm2").GetProperty("values").EnumerateArray().Any(v => v.GetDouble() != 0));
    }

    [TestMethod]
    public void The_lenet_cnn_interrupted_after_an_epoch_and_resumed_writes_the_same_parameters_as_an_uninterrupted_run()
    {
        // Convolution and pooling keep per-node buffers (im2col columns, max-pool arg-max indices): a resumed run must not depend on them.
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("lenet-digits.yaml", t => EveryEpochCheckpoint(t).Replace("epochs: 40", "epochs: 3", StringComparison.Ordinal));
        var full = File.ReadAllBytes(Train(spec, Path.Combine(folder.Path, "full")));
        string dir = Path.Combine(folder.Path, "resumed");
        Assert.ThrowsExactly<Interrupted>(() => Train(spec, dir, m => { if (m.Epoch == 2) throw new Interrupted(); }));
        Assert.IsTrue(File.Exists(Path.Combine(dir, "out", "lenet-digits.checkpoint.json")));
        Assert.IsFalse(File.Exists(Path.Combine(dir, "out", "lenet-digits.parameters.json")));
        var resumed = File.ReadAllBytes(Train(spec, dir, resume: true));
        Assert.IsGreaterThan(1000, full.Length);
        CollectionAssert.AreEqual(full, resumed);
    }

    [TestMethod]
    public void A_killed_training_process_resumed_writes_the_same_parameters_as_an_uninterrupted_run()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("digits.yaml", t => EveryEpochCheckpoint(t).Replace("epochs: 20", "epochs: 6", StringComparison.Ordinal));
        var expected = File.ReadAllBytes(Train(spec, Path.Combine(folder.Path, "reference")));

        string checkpoint = Path.Combine(folder.Path, "out", "digits.checkpoint.json");
        string parameters = Path.Combine(folder.Path, "out", "digits.parameters.json");
        using (var child = Start(spec))
        {
            // The checkpoint of an epoch is written before its line is printed: kill at the first line.
            using var firstEpoch = new ManualResetEventSlim();
            child.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("epoch ", StringComparison.Ordinal) == true) firstEpoch.Set(); };
            child.BeginOutputReadLine();
            Assert.IsTrue(firstEpoch.Wait(TimeSpan.FromMinutes(3)), "no epoch finished within 3 minutes");
            Assert.IsFalse(child.HasExited, "the run ended before it could be killed");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        Assert.IsTrue(File.Exists(checkpoint));
        Assert.IsFalse(File.Exists(parameters), "the killed run got to the end: " + string.Join(", ", Directory.EnumerateFileSystemEntries(folder.Path, "*", SearchOption.AllDirectories)));
        using (var resumed = Start(spec, "--resume"))
        {
            string stdout = resumed.StandardOutput.ReadToEnd();
            resumed.WaitForExit();
            Assert.AreEqual(0, resumed.ExitCode, stdout + resumed.StandardError.ReadToEnd());
            StringAssert.Contains(stdout, "resumed from");
            StringAssert.Contains(stdout, "test accuracy: ");
        }
        CollectionAssert.AreEqual(expected, File.ReadAllBytes(parameters));
    }

    private static Process Start(string spec, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "netspec.dll"));
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add(spec);
        foreach (var e in extra) psi.ArgumentList.Add(e);
        return Process.Start(psi)!;
    }

    [TestMethod]
    public void Trained_parameters_load_into_a_spec_and_give_the_network_outputs_computed_from_the_file()
    {
        using var folder = new TrainingFolder();
        string spec = folder.CopySpec("iris.yaml");
        string file = Train(spec, folder.Path);
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        double[] Values(string name) => [.. json.RootElement.GetProperty("parameters").GetProperty(name).GetProperty("values").EnumerateArray().Select(v => v.GetDouble())];
        double[] w = Values("W"), b = Values("b"), m = Values("M"), c = Values("c");
        double[] x = [0.5, -1.25, 1.0, 0.75];
        // o = M relu(W x + b) + c by plain loops over the file's numbers.
        var h = new double[16];
        for (int i = 0; i < 16; i++)
        {
            double z = b[i];
            for (int j = 0; j < 4; j++) z += w[i * 4 + j] * x[j];
            h[i] = Math.Max(0, z);
        }
        var o = new double[3];
        for (int i = 0; i < 3; i++)
        {
            o[i] = c[i];
            for (int j = 0; j < 16; j++) o[i] += m[i * 16 + j] * h[j];
        }
        string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string rerun = folder.File("rerun.yaml", $$"""
            netspec: 1
            parameters_file: out/iris.parameters.json
            data:
              x: [{{string.Join(", ", x.Select(R))}}]
            network:
              z: {op: linear, x: x, W: W, b: b}
              h: {op: relu, x: z}
              o: {op: linear, x: h, W: M, b: c}
            expect:
              tolerance: 1e-12
              forward:
                o: [{{string.Join(", ", o.Select(R))}}]
            """);
        var loaded = TrainingFolder.Load(rerun);
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsTrue(result.AllPassed, string.Join(", ", result.Expectations.SelectMany(e => e.Actual)));
    }

    [TestMethod]
    public void A_parameters_file_whose_shapes_differ_from_the_spec_is_an_error_at_the_parameter()
    {
        using var folder = new TrainingFolder();
        folder.File("p.json", """{"format":"netspec-parameters","version":1,"spec":"t","dtype":"float64","parameters":{"W":{"shape":[1,3],"values":[1,2,3]}}}""");
        var loaded = NetSpecEngine.Load(folder.File("s.yaml", """
            netspec: 1
            parameters_file: p.json
            data:
              x: [1, 2]
            parameters:
              W: [[1, 2]]
            network:
              z: {op: relu, x: x}
              o: {op: sum, inputs: [z, z]}
            """));
        Assert.IsFalse(loaded.Ok);
        var e = loaded.Diagnostics.Items.Single(d => d.Code == NetSpec.Parser.Diagnostics.Codes.ShapeMismatch);
        Assert.AreEqual(6, e.Span.Line);
        StringAssert.Contains(e.Message, "1x2 in the spec but 1x3");
    }

    [TestMethod]
    public void The_iris_split_standardizes_with_training_statistics_and_sorts_the_classes()
    {
        var data = TrainingFolder.Load(Path.Combine(TestPaths.Specs, "iris.yaml")).Graph!.Dataset!;
        Assert.AreEqual(90, data.Train.Rows);
        Assert.AreEqual(30, data.Validation!.Rows);
        Assert.AreEqual(30, data.Test!.Rows);
        CollectionAssert.AreEqual(new[] { "setosa", "versicolor", "virginica" }, data.Classes.ToArray());
        for (int j = 0; j < 4; j++)
        {
            var col = Enumerable.Range(0, 90).Select(r => data.Train.Features[r * 4 + j]).ToArray();
            double mean = col.Average(), std = Math.Sqrt(col.Select(v => (v - mean) * (v - mean)).Average());
            Assert.AreEqual(0, mean, 1e-12);
            Assert.AreEqual(1, std, 1e-12);
        }
        // Every target row is one-hot, and the test split has ten samples of each class.
        var counts = new int[3];
        for (int r = 0; r < 30; r++)
        {
            var row = data.Test.Targets.AsSpan(r * 3, 3).ToArray();
            Assert.AreEqual(1, row.Sum());
            counts[Array.IndexOf(row, 1.0)]++;
        }
        CollectionAssert.AreEqual(new[] { 10, 10, 10 }, counts);
    }

    [TestMethod]
    public void Each_epoch_permutation_depends_only_on_the_seed_and_the_epoch()
    {
        int[] a = new int[50], b = new int[50], c = new int[50];
        Trainer<double>.EpochPermutation(7, 3, a);
        Trainer<double>.EpochPermutation(7, 3, b);
        Trainer<double>.EpochPermutation(7, 4, c);
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).ToArray(), c);
    }

    [TestMethod]
    [DataRow("{type: step, gamma: 0.5, step_size: 2}", "[[0.648, -0.004]]", "[0.248]")]
    [DataRow("{type: exponential, gamma: 0.9}", "[[0.650904, 0.001808]]", "[0.250904]")]
    public void Learning_rate_schedules_give_the_updates_computed_by_hand(string schedule, string w, string b)
    {
        // Values from Python: three steps of p -= lr_e g with lr_e = 0.1 * 0.5^floor(e/2) or 0.1 * 0.9^e.
        var loaded = NetSpecEngine.LoadText("s.yaml", $$"""
            netspec: 1
            network:
              z: {op: linear, x: x, W: W, b: b}
              L: {op: l2_loss, o: z, y: y}
            data: {x: [1, 2], y: [1]}
            parameters: {W: [[0.5, -0.3]], b: [0.1]}
            backward: {from: L}
            optimizer: {type: sgd, learning_rate: 0.1, steps: 3, schedule: {{schedule}}}
            expect:
              tolerance: 1e-12
              updated: {W: {{w}}, b: {{b}}}
            """);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var result = NetSpecEngine.Run(loaded.Graph!);
        Assert.IsTrue(result.AllPassed, string.Join("; ", result.Expectations.Select(e => string.Join(", ", e.Actual))));
    }
}
