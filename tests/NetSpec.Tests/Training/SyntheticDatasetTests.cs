using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;

namespace NetSpec.Tests.Training;

/// <summary>The synthetic data source: random features, classes from a fixed random linear teacher.</summary>
[TestClass]
public sealed class SyntheticDatasetTests
{
    private static string Spec(string synthetic) => $$"""
        netspec: 1
        dataset:
          synthetic: {{synthetic}}
          inputs: x
          targets: y
        network:
          o: {op: linear, x: x, W: W, b: c}
          J: {op: softmax_cross_entropy, x: o, y: y}
        parameters:
          W: {init: zeros, shape: [3, 4]}
          c: {init: zeros, shape: [3]}
        backward: {from: J}
        optimizer: {type: sgd, learning_rate: 0.1}
        training: {epochs: 1, batch_size: 8, accuracy_of: o}
        """;

    [TestMethod]
    public void Samples_follow_the_teacher_drawn_first_from_the_seed()
    {
        var loaded = NetSpecEngine.LoadText("s.yaml", Spec("{samples: 20, test_samples: 5, features: 4, classes: 3, seed: 11}"));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        var data = loaded.Graph!.Dataset!;
        Assert.AreEqual(20, data.Train.Rows);
        Assert.AreEqual(5, data.Test!.Rows);
        Assert.IsNull(data.Validation);
        CollectionAssert.AreEqual(new[] { "0", "1", "2" }, data.Classes.ToArray());

        // The documented rule, recomputed: teacher (4 x 3) first, then each sample's 4 features.
        var rng = new Rng(11);
        var teacher = new double[12];
        for (int i = 0; i < 12; i++) teacher[i] = rng.NextNormal();
        foreach (var split in new[] { data.Train, data.Test })
        {
            for (int r = 0; r < split.Rows; r++)
            {
                var x = new double[4];
                for (int i = 0; i < 4; i++) x[i] = rng.NextNormal();
                CollectionAssert.AreEqual(x, split.Features.Skip(r * 4).Take(4).ToArray());
                var score = new double[3];
                for (int j = 0; j < 3; j++)
                    for (int i = 0; i < 4; i++) score[j] += x[i] * teacher[i * 3 + j];
                int best = Array.IndexOf(score, score.Max());
                var oneHot = split.Targets.Skip(r * 3).Take(3).ToArray();
                Assert.AreEqual(1.0, oneHot[best], $"{split.Name} row {r}");
                Assert.AreEqual(1.0, oneHot.Sum());
            }
        }
    }

    [TestMethod]
    public void The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        double[] Features(int seed) => NetSpecEngine.LoadText("s.yaml", Spec($"{{samples: 10, features: 4, classes: 3, seed: {seed}}}")).Graph!.Dataset!.Train.Features;
        CollectionAssert.AreEqual(Features(3), Features(3));
        CollectionAssert.AreNotEqual(Features(3), Features(4));
    }

    [TestMethod]
    public void A_synthetic_dataset_with_csv_keys_is_refused_at_the_key()
    {
        var text = Spec("{samples: 10, features: 4, classes: 3}").Replace("  inputs: x", "  label: y\n  inputs: x", StringComparison.Ordinal);
        var loaded = NetSpecEngine.LoadText("s.yaml", text);
        var d = loaded.Diagnostics.Items.Single(i => i.Severity == Severity.Error);
        Assert.AreEqual(Codes.InvalidValue, d.Code);
        Assert.AreEqual("'label' describes a CSV file; a synthetic dataset has none (remove 'label' or 'synthetic')", d.Message);
        Assert.AreEqual(4, d.Span.Line);
        Assert.AreEqual(3, d.Span.Column);
    }

    [TestMethod]
    public void Missing_and_invalid_synthetic_settings_are_reported()
    {
        var loaded = NetSpecEngine.LoadText("s.yaml", Spec("{samples: 0, classes: 1, colour: red}"));
        var messages = loaded.Diagnostics.Items.Select(i => i.Message).ToList();
        CollectionAssert.Contains(messages, "unknown key 'colour' in 'synthetic'");
        CollectionAssert.Contains(messages, "'samples' is a whole number >= 1, not '0'");
        CollectionAssert.Contains(messages, "'synthetic' needs 'features:'");
        CollectionAssert.Contains(messages, "'classes' is a whole number >= 2, not '1'");
    }
}
