using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime;

namespace NetSpec.Tests.Training;

/// <summary>Mistakes in the dataset and training sections: each a positioned diagnostic, never an exception.</summary>
[TestClass]
public sealed class TrainingSpecErrorTests
{
    private const string Csv = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n";

    private static string Spec(string dataset = "", string training = "", string optimizer = "{type: sgd, learning_rate: 0.1}", string expect = "") => $$"""
        netspec: 1
        dataset:
          file: d.csv
          separator: ','
          label: label
          inputs: x
          targets: y
        {{dataset}}
        network:
          o: {op: linear, x: x, W: W, b: c}
          J: {op: softmax_cross_entropy, x: o, y: y}
        parameters:
          W: {init: he_normal, shape: [2, 2], seed: 1}
          c: {init: zeros, shape: [2]}
        backward: {from: J}
        optimizer: {{optimizer}}
        training:
          epochs: 2
          batch_size: 3
          accuracy_of: o
        {{training}}
        {{expect}}
        """;

    private static DiagnosticBag Diagnose(string spec, string csv = Csv, string csvName = "d.csv")
    {
        using var folder = new TrainingFolder();
        folder.File(csvName, csv);
        var loaded = NetSpecEngine.Load(folder.File("spec.yaml", spec));
        Assert.IsFalse(loaded.Ok, "the spec should be refused");
        return loaded.Diagnostics;
    }

    private static Diagnostic Only(DiagnosticBag d, string code)
    {
        var errors = d.Items.Where(x => x.Severity == Severity.Error).ToList();
        Assert.HasCount(1, errors, string.Join("\n", errors));
        Assert.AreEqual(code, errors[0].Code, errors[0].ToString());
        return errors[0];
    }

    [TestMethod]
    public void A_valid_training_spec_loads_with_batch_shapes_inferred()
    {
        using var folder = new TrainingFolder();
        folder.File("d.csv", Csv);
        var loaded = NetSpecEngine.Load(folder.File("spec.yaml", Spec()));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        Assert.AreEqual("3x2", loaded.Graph!.Find("x")!.Shape.ToString());
        Assert.AreEqual(4, loaded.Graph.Dataset!.Train.Rows);
        CollectionAssert.AreEqual(new[] { "x", "y" }, loaded.Graph.Dataset.Classes.ToArray());
    }

    [TestMethod]
    public void An_unknown_training_key_is_an_error_with_a_suggestion()
    {
        var d = Only(Diagnose(Spec(training: "  epoch: 3")), Codes.UnknownKey);
        StringAssert.Contains(d.Message, "did you mean 'epochs'");
        Assert.AreEqual(21, d.Span.Line);
    }

    [TestMethod]
    public void A_ragged_csv_row_is_an_error_at_its_file_and_line()
    {
        var d = Only(Diagnose(Spec(), "a,b,label\n1,2,x\n3,y\n5,6,x\n"), Codes.RaggedMatrix);
        StringAssert.EndsWith(d.Span.File, "d.csv");
        Assert.AreEqual(3, d.Span.Line);
        StringAssert.Contains(d.Message, "2 fields but the header has 3");
    }

    [TestMethod]
    public void A_nul_in_a_feature_cell_is_refused_at_its_file_line_and_column_not_read_as_the_number_before_it()
    {
        var d = Only(Diagnose(Spec(), "a,b,label\n1,2,x\n3,2\0,y\n"), Codes.NotText);
        StringAssert.EndsWith(d.Span.File, "d.csv");
        Assert.AreEqual(3, d.Span.Line);
        Assert.AreEqual(4, d.Span.Column);
        StringAssert.Contains(d.Message, "column 'b' of row 2 holds the control character U+0000: '2\\u0000'");
        Assert.DoesNotContain("\0", d.Message);
    }

    [TestMethod]
    public void A_control_character_in_a_label_cell_is_refused_too_but_a_tab_is_whitespace()
    {
        var d = Only(Diagnose(Spec(), "a,b,label\n1,2,x\n3,4,y\u001b[31m\n"), Codes.NotText);
        Assert.AreEqual(3, d.Span.Line);
        Assert.AreEqual(6, d.Span.Column);
        StringAssert.Contains(d.Message, "U+001B");
        using var folder = new TrainingFolder();
        folder.File("d.csv", "a,b,label\n1,2,x\n3,\t4,y\n5,6,x\n7,8,y\n");
        var loaded = NetSpecEngine.Load(folder.File("spec.yaml", Spec()));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
    }

    [TestMethod]
    public void A_data_file_with_a_utf8_byte_order_mark_loads_with_its_first_column_named_without_it()
    {
        using var folder = new TrainingFolder();
        System.IO.File.WriteAllBytes(System.IO.Path.Combine(folder.Path, "d.csv"), [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(Csv)]);
        var loaded = NetSpecEngine.Load(folder.File("spec.yaml", Spec()));
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items));
        CollectionAssert.AreEqual(new[] { "a", "b" }, loaded.Graph!.Dataset!.FeatureNames.ToArray());
    }

    [TestMethod]
    public void A_data_file_that_is_not_utf8_is_refused_as_such()
    {
        using var folder = new TrainingFolder();
        System.IO.File.WriteAllBytes(System.IO.Path.Combine(folder.Path, "d.csv"), [.. System.Text.Encoding.UTF8.GetBytes("a,b,label\n1,2,x\n"), 0xFF, 0xFE, (byte)'\n']);
        var loaded = NetSpecEngine.Load(folder.File("spec.yaml", Spec()));
        Assert.IsFalse(loaded.Ok);
        StringAssert.Contains(string.Join("\n", loaded.Diagnostics.Items), "it is not UTF-8 text");
    }

    [TestMethod]
    public void A_c1_control_character_in_a_cell_is_refused_at_its_line_and_column()
    {
        var d = Only(Diagnose(Spec(), "a,b,label\n1,2,x\n3,4\u0085,y\n"), Codes.NotText);
        Assert.AreEqual(3, d.Span.Line);
        Assert.AreEqual(4, d.Span.Column);
        StringAssert.Contains(d.Message, "U+0085");
    }

    [TestMethod]
    public void An_invalid_optimizer_of_a_training_spec_is_reported_once_not_also_as_a_missing_optimizer()
    {
        StringAssert.Contains(Only(Diagnose(Spec(optimizer: "{type: rmsprop, learning_rate: 0.1}")), Codes.InvalidValue).Message, "unknown optimizer 'rmsprop'");
        Only(Diagnose(Spec(optimizer: "{type: sgd, learning_rate: -2}")), Codes.NegativeRate);
    }

    [TestMethod]
    public void A_feature_that_is_not_a_number_is_an_error_at_its_line_and_column()
    {
        var d = Only(Diagnose(Spec(), "a,b,label\n1,2,x\n3,abc,y\n"), Codes.NotANumber);
        Assert.AreEqual(3, d.Span.Line);
        Assert.AreEqual(3, d.Span.Column);
        StringAssert.Contains(d.Message, "column 'b'");
        StringAssert.Contains(d.Message, "'abc'");
    }

    [TestMethod]
    public void An_unknown_label_column_is_an_error_with_a_suggestion()
    {
        var d = Only(Diagnose(Spec(), "a,b,labels\n1,2,x\n"), Codes.UnknownReference);
        StringAssert.Contains(d.Message, "did you mean 'labels'");
        Assert.AreEqual(5, d.Span.Line);
    }

    [TestMethod]
    public void A_missing_data_file_is_an_error_at_the_path()
    {
        var d = Only(Diagnose(Spec(), Csv, "other.csv"), Codes.FileNotFound);
        Assert.AreEqual(3, d.Span.Line);
        Assert.AreEqual(9, d.Span.Column);
    }

    [TestMethod]
    public void A_data_path_outside_the_spec_folder_is_refused()
    {
        var d = Only(Diagnose(Spec().Replace("file: d.csv", "file: ../d.csv", StringComparison.Ordinal)), Codes.PathOutsideSpec);
        StringAssert.Contains(d.Message, "--allow-outside-paths");
    }

    [TestMethod]
    public void Adam_settings_on_sgd_are_an_error()
    {
        var d = Only(Diagnose(Spec(optimizer: "{type: sgd, learning_rate: 0.1, beta1: 0.8}")), Codes.UnknownKey);
        StringAssert.Contains(d.Message, "adam");
    }

    [TestMethod]
    public void A_step_schedule_without_step_size_is_an_error()
    {
        var d = Only(Diagnose(Spec(optimizer: "{type: sgd, learning_rate: 0.1, schedule: {type: step, gamma: 0.5}}")), Codes.MissingField);
        StringAssert.Contains(d.Message, "step_size");
    }

    [TestMethod]
    public void Steps_in_a_training_spec_are_an_error()
    {
        Only(Diagnose(Spec(optimizer: "{type: sgd, learning_rate: 0.1, steps: 3}")), Codes.BadSteps);
    }

    [TestMethod]
    public void A_test_metric_without_a_test_split_is_an_error()
    {
        var d = Only(Diagnose(Spec(expect: "expect:\n  metrics:\n    test_accuracy: {min: 0.5}")), Codes.ExpectKind);
        StringAssert.Contains(d.Message, "no test split");
    }

    [TestMethod]
    public void An_unknown_metric_is_an_error_with_a_suggestion()
    {
        var d = Only(Diagnose(Spec(expect: "expect:\n  metrics:\n    test_acuracy: {min: 0.5}")), Codes.ExpectUnknown);
        StringAssert.Contains(d.Message, "did you mean 'test_accuracy'");
    }

    [TestMethod]
    public void Early_stopping_without_a_validation_split_is_an_error()
    {
        Only(Diagnose(Spec(training: "  early_stopping: {patience: 2}")), Codes.MissingField);
    }
}
