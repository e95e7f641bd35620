using System.Globalization;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Training;
using NetSpec.Tests.Training;

namespace NetSpec.Tests.Cli;

/// <summary>
/// <c>netspec predict</c> and <c>netspec evaluate</c> on a copy of specs/iris.yaml trained once
/// (nothing under specs/ is written), and on a hand-made network whose every figure is counted
/// by hand below.
/// </summary>
[TestClass]
public sealed class PredictEvaluateTests
{
    private static TrainingFolder s_folder = null!;
    private static string s_spec = null!, s_trainOutput = null!;

    /// <summary>The raw iris rows: header, then "sepal_length,sepal_width,petal_length,petal_width,species".</summary>
    private static readonly string[] IrisLines = File.ReadAllLines(Path.Combine(TestPaths.Specs, "data", "iris.csv"));

    [ClassInitialize]
    public static void TrainIris(TestContext _)
    {
        s_folder = new TrainingFolder();
        s_spec = s_folder.CopySpec("iris.yaml");
        var (code, output, err) = CliRunner.Invoke("run", s_spec, "-q");
        Assert.AreEqual(0, code, err);
        s_trainOutput = output;
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder.Dispose();

    private static string Label(string line) => line[(line.LastIndexOf(',') + 1)..];

    private static string WithoutLabel(string line) => line[..line.LastIndexOf(',')];

    /// <summary>The predicted class of each data row of a predict CSV (its last column), after checking each row's probabilities.</summary>
    private static string[] PredictedClasses(string csv, int classes)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("prob_setosa,prob_versicolor,prob_virginica,class", lines[0]);
        var result = new List<string>();
        string[] names = ["setosa", "versicolor", "virginica"];
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            Assert.HasCount(classes + 1, f);
            double[] p = [.. f.Take(classes).Select(x => double.Parse(x, CultureInfo.InvariantCulture))];
            Assert.AreEqual(1, p.Sum(), 1e-12, line);
            Assert.IsTrue(p.All(x => x is >= 0 and <= 1), line);
            Assert.AreEqual(names[Array.IndexOf(p, p.Max())], f[^1], "the class is the most probable one: " + line);
            result.Add(f[^1]);
        }
        return [.. result];
    }

    [TestMethod]
    public void Raw_iris_rows_without_labels_are_classified_right_nine_times_in_ten_or_more()
    {
        string input = s_folder.File("raw.csv", string.Join("\n", IrisLines.Select(WithoutLabel)) + "\n");
        string output = Path.Combine(s_folder.Path, "predictions.csv");
        var (code, _, err) = CliRunner.Invoke("predict", s_spec, "--input", input, "-o", output);
        Assert.AreEqual(0, code, err);
        var predicted = PredictedClasses(File.ReadAllText(output), 3);
        var truth = IrisLines.Skip(1).Select(Label).ToArray();
        Assert.HasCount(150, predicted);
        int right = predicted.Zip(truth).Count(p => p.First == p.Second);
        Assert.IsGreaterThanOrEqualTo(135, right, $"{right} of 150 rows named their true class");
        Assert.AreEqual("setosa", predicted[0], "5.1,3.5,1.4,0.2 is a setosa");
    }

    [TestMethod]
    public void Rows_with_their_label_column_predict_the_same_as_rows_without_it_and_go_to_stdout()
    {
        string with = s_folder.File("with-labels.csv", string.Join("\n", IrisLines.Take(21)) + "\n");
        string without = s_folder.File("without-labels.csv", string.Join("\n", IrisLines.Take(21).Select(WithoutLabel)) + "\n");
        var a = CliRunner.Invoke("predict", s_spec, "--input", with);
        var b = CliRunner.Invoke("predict", s_spec, "--input", without);
        Assert.AreEqual(0, a.Code, a.Err);
        Assert.AreEqual(0, b.Code, b.Err);
        Assert.AreEqual(a.Out, b.Out);
        Assert.HasCount(20, PredictedClasses(a.Out, 3));
    }

    /// <summary>The rows of the spec's test split, by its rule: a permutation of the 150 rows by Rng(seed 1), the first round(0.2 x 150) = 30, in file order.</summary>
    private static int[] TestSplitRows()
    {
        var perm = new int[150];
        new Rng(1).Permutation(perm);
        return [.. perm.Take(30).Order()];
    }

    private static double Figure(string output, string prefix)
    {
        var line = output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [TestMethod]
    public void Evaluate_on_the_test_split_prints_the_accuracy_and_loss_training_printed_for_it()
    {
        var rows = TestSplitRows();
        Assert.IsTrue(rows.Select(r => Label(IrisLines[r + 1])).GroupBy(l => l).All(g => g.Count() == 10), "the spec says its test split has 10 samples per class");
        string input = s_folder.File("test-split.csv", string.Join("\n", rows.Select(r => IrisLines[r + 1]).Prepend(IrisLines[0])) + "\n");
        var (code, output, err) = CliRunner.Invoke("evaluate", s_spec, "--input", input);
        Assert.AreEqual(0, code, err);
        double trainingAccuracy = Figure(s_trainOutput, "test accuracy: "), trainingLoss = Figure(s_trainOutput, "test loss: ");
        Assert.AreEqual(trainingAccuracy, Figure(output, "accuracy: "));
        Assert.AreEqual(trainingLoss, Figure(output, "loss: "));
        Assert.IsGreaterThanOrEqualTo(0.9, Figure(output, "accuracy: "));
        string png = output.Split('\n').Single(l => l.StartsWith("confusion matrix: ", StringComparison.Ordinal))["confusion matrix: ".Length..];
        Assert.AreEqual(Path.Combine(s_folder.Path, "out", "iris.confusion.png"), png);
        var bytes = File.ReadAllBytes(png);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes.Take(4).ToArray());
    }

    [TestMethod]
    public void Evaluate_runs_batch_norm_and_dropout_in_evaluation_mode_as_training_tests_them_in_float32_too()
    {
        // digits-bn-dropout (float64, batch_norm and dropout) and digits (float32): training's test
        // figures are computed in evaluation mode; evaluate on the same test file must print them.
        foreach (var name in new[] { "digits-bn-dropout.yaml", "digits.yaml" })
        {
            using var folder = new TrainingFolder();
            string spec = folder.CopySpec(name, t => t.Replace("epochs: 20", "epochs: 2", StringComparison.Ordinal));
            var train = CliRunner.Invoke("run", spec, "-q");
            Assert.IsTrue(train.Code is 0 or 1, train.Out + train.Err); // 1: two epochs may miss the spec's accuracy expectation
            var (code, output, err) = CliRunner.Invoke("evaluate", spec, "--input", Path.Combine(folder.Path, "data", "digits-test.csv"));
            Assert.AreEqual(0, code, err);
            StringAssert.Contains(output, "359 rows");
            Assert.AreEqual(Figure(train.Out, "test accuracy: "), Figure(output, "accuracy: "), name);
            Assert.AreEqual(Figure(train.Out, "test loss: "), Figure(output, "loss: "), name);
        }
    }

    [TestMethod]
    public void The_parameters_file_keeps_the_mean_and_standard_deviation_of_the_training_split_and_the_class_names()
    {
        var file = ParameterFile.Read(Path.Combine(s_folder.Path, "out", "iris.parameters.json"));
        Assert.AreEqual(ParameterFile.Version, file.Version);
        var pre = file.Preprocessing!;
        CollectionAssert.AreEqual(new[] { "setosa", "versicolor", "virginica" }, pre.Classes.ToArray());
        CollectionAssert.AreEqual(new[] { "sepal_length", "sepal_width", "petal_length", "petal_width" }, pre.Features.ToArray());
        Assert.AreEqual("species", pre.Label);
        // The training split: what the test (30) and validation (30) parts of the permutation leave.
        var perm = new int[150];
        new Rng(1).Permutation(perm);
        var train = perm.Skip(60).Select(r => IrisLines[r + 1].Split(',').Take(4).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.HasCount(90, train);
        for (int j = 0; j < 4; j++)
        {
            double mean = train.Average(x => x[j]);
            double std = Math.Sqrt(train.Average(x => (x[j] - mean) * (x[j] - mean)));
            Assert.AreEqual(mean, pre.Mean![j], 1e-12, $"mean of feature {j}");
            Assert.AreEqual(std, pre.Std![j], 1e-12, $"population standard deviation of feature {j}");
        }
    }

    [TestMethod]
    public void A_version_1_parameters_file_without_preprocessing_still_loads_and_predicts_with_the_data_sets_scaling()
    {
        string fixture = Path.Combine(TestPaths.Root, "tests", "NetSpec.Tests", "Training", "Fixtures", "iris.parameters.v1.json");
        var file = ParameterFile.Read(fixture);
        Assert.AreEqual(1, file.Version);
        Assert.IsNull(file.Preprocessing);
        CollectionAssert.AreEquivalent(new[] { "W", "b", "M", "c" }, file.Parameters.Keys.ToArray());
        string input = s_folder.File("raw-v1.csv", string.Join("\n", IrisLines.Select(WithoutLabel)) + "\n");
        var (code, output, err) = CliRunner.Invoke("predict", s_spec, "--input", input, "--parameters", fixture);
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(err, "version 1 parameters file");
        var predicted = PredictedClasses(output, 3);
        int right = predicted.Zip(IrisLines.Skip(1).Select(Label)).Count(p => p.First == p.Second);
        Assert.IsGreaterThanOrEqualTo(135, right);
    }

    [TestMethod]
    public void A_row_with_the_wrong_number_of_fields_is_an_error_at_its_line()
    {
        string input = s_folder.File("short.csv", $"{IrisLines[0]}\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4\n");
        var (code, _, err) = CliRunner.Invoke("predict", s_spec, "--input", input);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{input}:3:1: error NS0105: row 2 has 3 fields but the header has 5");
    }

    [TestMethod]
    public void An_input_above_the_element_limit_is_refused()
    {
        // Three copies of the 150 rows: 1,800 values; the spec's own data set (600) stays within 1,000.
        var rows = IrisLines.Skip(1).Select(WithoutLabel);
        string input = s_folder.File("many.csv", string.Join("\n", rows.Concat(rows).Concat(rows).Prepend(WithoutLabel(IrisLines[0]))) + "\n");
        var (code, _, err) = CliRunner.Invoke("predict", s_spec, "--input", input, "--max-elements", "1000");
        Assert.AreEqual(2, code, err);
        StringAssert.Contains(err, "the input file has 1800 feature values, more than 1000 (--max-elements raises the limit)");
    }

    [TestMethod]
    public void A_cell_that_is_not_a_number_is_an_error_at_its_line_and_column()
    {
        string input = s_folder.File("not-a-number.csv", "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n4.9,abc,1.4,0.2\n");
        var (code, _, err) = CliRunner.Invoke("predict", s_spec, "--input", input);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{input}:3:5: error NS0106: column 'sepal_width' of row 2 is not a finite number: 'abc'");
    }

    [TestMethod]
    public void A_missing_feature_column_is_named()
    {
        string input = s_folder.File("three-columns.csv", "sepal_length,sepal_width,petal_lenght\n5.1,3.5,1.4\n");
        var (code, _, err) = CliRunner.Invoke("predict", s_spec, "--input", input);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "error NS0201: the input has no column 'petal_length', a feature of the trained network; did you mean 'petal_lenght'?");
        StringAssert.Contains(err, "no column 'petal_width'");
    }

    [TestMethod]
    public void An_unknown_label_in_evaluate_is_an_error_at_its_line_and_column()
    {
        string input = s_folder.File("bad-label.csv", $"{IrisLines[0]}\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosaa\n");
        var (code, _, err) = CliRunner.Invoke("evaluate", s_spec, "--input", input);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{input}:3:17: error NS0110: label 'setosaa' is not a class the network was trained on (setosa, versicolor, virginica); did you mean 'setosa'?");
    }

    [TestMethod]
    public void Evaluate_needs_the_label_column()
    {
        string input = s_folder.File("no-label.csv", string.Join("\n", IrisLines.Take(5).Select(WithoutLabel)) + "\n");
        var (code, _, err) = CliRunner.Invoke("evaluate", s_spec, "--input", input);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "the input has no label column 'species'");
    }

    [TestMethod]
    public void Without_trained_parameters_predict_says_to_run_the_spec_first()
    {
        using var untrained = new TrainingFolder();
        string spec = untrained.CopySpec("iris.yaml");
        string input = untrained.File("raw.csv", string.Join("\n", IrisLines.Take(3).Select(WithoutLabel)) + "\n");
        var (code, output, err) = CliRunner.Invoke("predict", spec, "--input", input);
        Assert.AreEqual(2, code);
        Assert.AreEqual("", output);
        StringAssert.Contains(err, $"no trained parameters at {Path.Combine(untrained.Path, "out", "iris.parameters.json")}: train the network first with 'netspec run {spec}'");
    }

    // A network whose prediction is known without running it: o = I x + 0, so the predicted class
    // is the column of the row's largest feature. Header-less files: columns c1..c3 are the
    // features, c4 the label (classes a, b, c).
    private const string HandSpec = """
        netspec: 1
        name: hand
        dtype: float64
        dataset:
          file: train.csv
          header: false
          label: c4
          inputs: x
          targets: y
        network:
          o: {op: linear, x: x, W: W, b: b}
          L: {op: softmax_cross_entropy, x: o, y: y}
        parameters:
          W: {init: zeros, shape: [3, 3]}
          b: {init: zeros, shape: [3]}
        backward: {from: L}
        optimizer: {type: sgd, learning_rate: 0.1}
        training:
          epochs: 1
          batch_size: 4
          accuracy_of: o
          outputs: {parameters: out/hand.parameters.json}
        """;

    private const string HandParameters = """
        {"format":"netspec-parameters","version":2,"spec":"hand","dtype":"float64",
         "preprocessing":{"columns":["c1","c2","c3","c4"],"features":["c1","c2","c3"],"label":"c4","classes":["a","b","c"],"scaling":"none"},
         "parameters":{"W":{"shape":[3,3],"values":[1,0,0,0,1,0,0,0,1]},"b":{"shape":[3],"values":[0,0,0]}}}
        """;

    // Nine rows, each "features -> predicted (largest feature), true":
    //   true a: (3,0,0) -> a, (2,1,0) -> a, (1,0,0) -> a, (0,5,1) -> b
    //   true b: (0,2,1) -> b
    //   true c: (0,0,1) -> c, (4,0,0) -> a, (0,1,3) -> c, (0,3,2) -> b
    // Confusion (rows true, columns predicted): a [3 1 0], b [0 1 0], c [1 1 2].
    // Precision (column-wise): a 3/4, b 1/3, c 2/2. Recall (row-wise): a 3/4, b 1/1, c 2/4. Accuracy 6/9.
    private static readonly (double[] X, string Label)[] HandRows =
    [
        ([3, 0, 0], "a"), ([2, 1, 0], "a"), ([1, 0, 0], "a"), ([0, 5, 1], "a"),
        ([0, 2, 1], "b"),
        ([0, 0, 1], "c"), ([4, 0, 0], "c"), ([0, 1, 3], "c"), ([0, 3, 2], "c"),
    ];

    private static string HandCsv(bool labels) =>
        string.Concat(HandRows.Select(r => string.Join(",", r.X.Select(v => v.ToString(CultureInfo.InvariantCulture))) + (labels ? "," + r.Label : "") + "\n"));

    [TestMethod]
    public void Evaluate_counts_precision_recall_and_the_confusion_matrix_of_a_hand_made_case()
    {
        using var folder = new TrainingFolder();
        folder.File("train.csv", "1,0,0,a\n0,1,0,b\n0,0,1,c\n1,1,0,a\n");
        string spec = folder.File("hand.yaml", HandSpec);
        string parameters = folder.File("out/hand.parameters.json", HandParameters);
        string input = folder.File("eval.csv", HandCsv(labels: true));
        var (code, output, err) = CliRunner.Invoke("evaluate", spec, "--input", input);
        Assert.AreEqual(0, code, err);
        StringAssert.Contains(output, "accuracy: 0.6667 (6 of 9)");
        // The loss: the mean over the rows of ln Σ_j e^(x_j) - x_label (softmax cross-entropy of o = x).
        double loss = HandRows.Average(r => Math.Log(r.X.Sum(Math.Exp)) - r.X[r.Label[0] - 'a']);
        StringAssert.Contains(output, $"loss: {loss.ToString("0.0000", CultureInfo.InvariantCulture)}");
        StringAssert.Contains(output, """
            class  precision  recall  support
            a         0.7500  0.7500        4
            b         0.3333  1.0000        1
            c         1.0000  0.5000        4
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        StringAssert.Contains(output, """
            confusion matrix (rows: true class, columns: predicted class)
                       a      b      c
            a          3      1      0
            b          0      1      0
            c          1      1      2
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.IsTrue(File.Exists(Path.Combine(Path.GetDirectoryName(parameters)!, "hand.confusion.png")));
    }

    [TestMethod]
    public void Predict_on_header_less_rows_takes_the_columns_by_position_with_or_without_the_label()
    {
        using var folder = new TrainingFolder();
        folder.File("train.csv", "1,0,0,a\n0,1,0,b\n0,0,1,c\n1,1,0,a\n");
        string spec = folder.File("hand.yaml", HandSpec);
        folder.File("out/hand.parameters.json", HandParameters);
        var a = CliRunner.Invoke("predict", spec, "--input", folder.File("with.csv", HandCsv(labels: true)));
        var b = CliRunner.Invoke("predict", spec, "--input", folder.File("without.csv", HandCsv(labels: false)));
        Assert.AreEqual(0, a.Code, a.Err);
        Assert.AreEqual(a.Out, b.Out);
        var lines = a.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("prob_a,prob_b,prob_c,class", lines[0]);
        CollectionAssert.AreEqual(new[] { "a", "a", "a", "b", "b", "c", "a", "c", "b" }, lines.Skip(1).Select(l => l.Split(',')[^1]).ToArray());
        // softmax(3, 0, 0) = (e^3, 1, 1) / (e^3 + 2).
        double[] p = [.. lines[1].Split(',').Take(3).Select(x => double.Parse(x, CultureInfo.InvariantCulture))];
        double z = Math.Exp(3) + 2;
        Assert.AreEqual(Math.Exp(3) / z, p[0], 1e-15);
        Assert.AreEqual(1 / z, p[1], 1e-15);

        var narrow = CliRunner.Invoke("predict", spec, "--input", folder.File("narrow.csv", "1,2\n"));
        Assert.AreEqual(2, narrow.Code);
        StringAssert.Contains(narrow.Err, "narrow.csv:1:1: error NS0105: row 1 has 2 fields, but the rows of the data set the network was trained on have 4 (or 3 without the label column 'c4')");
    }

    [TestMethod]
    public void A_parameters_file_of_a_newer_version_is_refused_with_its_version()
    {
        using var folder = new TrainingFolder();
        string path = folder.File("p.json", HandParameters.Replace("\"version\":2", "\"version\":3", StringComparison.Ordinal));
        var e = Assert.ThrowsExactly<FormatException>(() => ParameterFile.Read(path));
        StringAssert.Contains(e.Message, "version 3 of the format; this NetSpec reads versions 1 to 2 (a newer NetSpec wrote it)");
    }
}
