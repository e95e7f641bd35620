using System.Text.Json;
using Json.Schema;
using NetSpec.Cli.Commands;
using NetSpec.Parser;
using NetSpec.Runtime.Ops;

namespace NetSpec.Tests.Parser;

/// <summary>
/// docs/netspec.schema.json against the parser: every shipped spec validates, and the keys the
/// schema names are exactly the keys the parser and the op registry accept (the op part is
/// generated from the registry, see OpSchema; the rest is hand-written). A parser change
/// that the schema does not follow (or the other way round) fails here.
/// </summary>
[TestClass]
public sealed class SchemaTests
{
    private static readonly string SchemaPath = Path.Combine(TestPaths.Root, "docs", "netspec.schema.json");
    // What `netspec schema` prints: docs/netspec.schema.json when it is current (checked below),
    // so a stale file fails one test that says how to regenerate it, not all of them.
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(SchemaCommand.Text()));
    private static readonly Lazy<JsonElement> SchemaJson = new(() => JsonDocument.Parse(SchemaCommand.Text()).RootElement);

    /// <summary>
    /// Each of the parser's key lists and the schema object ($defs entry) holding those keys.
    /// A new section or key list: add a line here and its entry in docs/netspec.schema.json.
    /// </summary>
    private static IEnumerable<(string Where, string[] Keys)> KeyLists() =>
    [
        ("#", SpecParser.TopLevelKeys),
        ("#/$defs/initializer", SpecParser.InitializerKeys),
        ("#/$defs/backward", SpecParser.BackwardKeys),
        ("#/$defs/optimizer", SpecParser.OptimizerKeys),
        ("#/$defs/expect", SpecParser.ExpectKeys),
        ("#/$defs/check", SpecParser.CheckKeys),
        ("#/$defs/dataset", SpecParser.DatasetKeys),
        ("#/$defs/split", SpecParser.SplitKeys),
        ("#/$defs/synthetic", SpecParser.SyntheticKeys),
        ("#/$defs/training", SpecParser.TrainingKeys),
        ("#/$defs/earlyStopping", SpecParser.EarlyStoppingKeys),
        ("#/$defs/checkpoint", SpecParser.CheckpointKeys),
        ("#/$defs/trainingTrace", SpecParser.TrainingTraceKeys),
        ("#/$defs/outputs", SpecParser.OutputKeys),
        ("#/$defs/schedule", SpecParser.ScheduleKeys),
        ("#/$defs/metrics", SpecParser.MetricNames),
        ("#/$defs/metricCheck", SpecParser.MetricCheckKeys),
    ];

    /// <summary>Each of the parser's closed vocabularies and the schema enum listing it.</summary>
    private static IEnumerable<(string Where, string[] Values)> Enums() =>
    [
        ("#/$defs/initializer/properties/init", SpecParser.InitializerKinds),
        ("#/$defs/optimizer/properties/type", SpecParser.OptimizerTypes),
        ("#/$defs/schedule/properties/type", SpecParser.ScheduleTypes),
        ("#/$defs/opName", [.. OpRegistry.Names]),
        ("#/properties/dtype", ["float64", "float32"]),
        ("#/properties/mode", SpecParser.Modes),
    ];

    public static IEnumerable<object[]> SpecFiles => TestPaths.SpecFiles();

    /// <summary>The network, objective and optimizer of a training spec; each case adds what is wrong.</summary>
    private const string Train =
        "network: {o: {op: linear, x: x, W: W, b: b}, L: {op: softmax_cross_entropy, x: o, y: y}}\n" +
        "parameters: {W: {init: zeros, shape: [2, 2]}, b: {init: zeros, shape: [2]}}\n" +
        "backward: {from: L}\noptimizer: {type: sgd, learning_rate: 0.1}\n";

    [TestMethod]
    public void Netspec_schema_prints_the_checked_in_file_byte_for_byte()
    {
        string generated = SchemaCommand.Text(), file = File.ReadAllText(SchemaPath);
        if (generated != file)
            Assert.Fail("docs/netspec.schema.json is not what netspec schema prints: run tools/update-generated.sh. " + Docs.GeneratedDocsTests.FirstDifference(generated, file));
    }

    [TestMethod]
    public void The_generated_op_part_leaves_the_hand_written_part_as_it_is()
    {
        var generated = JsonDocument.Parse(SchemaCommand.Text()).RootElement;
        var embedded = JsonDocument.Parse(SchemaCommand.BaseText()).RootElement;
        var keys = embedded.GetProperty("$defs").EnumerateObject().Select(p => p.Name).ToArray();
        CollectionAssert.AreEqual(keys, generated.GetProperty("$defs").EnumerateObject().Select(p => p.Name).ToArray(), "the order of $defs stays");
        foreach (var key in keys.Except(OpSchema.GeneratedDefs))
            Assert.AreEqual(embedded.GetProperty("$defs").GetProperty(key).GetRawText(), generated.GetProperty("$defs").GetProperty(key).GetRawText(), key);
        Assert.AreEqual(OpSchema.Merge(SchemaCommand.Text(), OpRegistry.All), SchemaCommand.Text(), "generating twice changes nothing");
    }

    [TestMethod]
    [DynamicData(nameof(SpecFiles))]
    public void Every_spec_validates_against_the_schema(string file)
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.Specs, file));
        var result = Schema.Value.Evaluate(YamlToJson.Convert(text), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.IsTrue(result.IsValid, Errors(result));
    }

    [TestMethod]
    public void Every_spec_names_the_schema_in_its_first_line()
    {
        foreach (var f in TestPaths.SpecFiles().Select(o => (string)o[0]))
            Assert.AreEqual("# yaml-language-server: $schema=../docs/netspec.schema.json",
                File.ReadLines(Path.Combine(TestPaths.Specs, f)).First(), f);
    }

    [TestMethod]
    public void Every_key_list_of_the_parser_is_exactly_the_properties_of_its_schema_object()
    {
        foreach (var (where, keys) in KeyLists())
        {
            var obj = At(where);
            CollectionAssert.AreEquivalent(keys, PropertyNames(obj), $"{where}: schema {string.Join(", ", PropertyNames(obj))} vs parser {string.Join(", ", keys)}");
            Assert.IsFalse(obj.GetProperty("additionalProperties").GetBoolean(), $"{where} must refuse unknown keys, as the parser does");
        }
    }

    [TestMethod]
    public void Every_closed_vocabulary_of_the_parser_is_exactly_its_schema_enum()
    {
        foreach (var (where, values) in Enums())
        {
            var listed = At(where).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToArray();
            CollectionAssert.AreEquivalent(values, listed, $"{where}: schema {string.Join(", ", listed)} vs parser {string.Join(", ", values)}");
        }
    }

    [TestMethod]
    public void Every_op_has_a_schema_rule_with_exactly_its_inputs_and_attributes()
    {
        var rules = At("#/$defs/node").GetProperty("allOf").EnumerateArray()
            .ToDictionary(r => r.GetProperty("if").GetProperty("properties").GetProperty("op").GetProperty("const").GetString()!);
        CollectionAssert.AreEquivalent(OpRegistry.Names.ToArray(), rules.Keys.ToArray());
        foreach (var op in OpRegistry.All)
        {
            var then = rules[op.Name].GetProperty("then");
            var keys = op.Inputs.Select(s => s.Name).Concat(op.Attributes.Select(a => a.Name)).ToArray();
            CollectionAssert.AreEquivalent(keys.Append("op").ToArray(), PropertyNames(then), op.Name);
            var required = op.Inputs.Where(s => !s.Optional).Select(s => s.Name).Concat(op.Attributes.Where(a => a.Default is null).Select(a => a.Name)).ToArray();
            CollectionAssert.AreEquivalent(required, then.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).ToArray(), op.Name);
            Assert.IsFalse(then.GetProperty("additionalProperties").GetBoolean(), op.Name);
            foreach (var slot in op.Inputs)
                Assert.AreEqual(slot.IsList ? "#/$defs/nameList" : "#/$defs/name",
                    then.GetProperty("properties").GetProperty(slot.Name).GetProperty("$ref").GetString(), $"{op.Name}.{slot.Name}");
            foreach (var a in op.Attributes)
                Assert.AreEqual(ExpectedAttributeSchema(a), AttributeSchemaSummary(then.GetProperty("properties").GetProperty(a.Name)), $"{op.Name}.{a.Name}");
        }
    }

    [TestMethod]
    [DataRow("network: {z: {op: linear, x: x, W: W, b: b}}\nfoo: 1\n", DisplayName = "an unknown top-level key")]
    [DataRow("network: {z: {op: lineer, x: x, W: W, b: b}}\n", DisplayName = "an unknown op")]
    [DataRow("network: {z: {op: linear, x: x, W: W}}\n", DisplayName = "a missing input")]
    [DataRow("network: {h: {op: relu, x: z, lambda: 1}}\n", DisplayName = "an attribute the op does not have")]
    [DataRow("network: {S: {op: l2_regularization, weights: W, lambda: 0.1}}\n", DisplayName = "one name where a list is expected")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: [[[[[[[[[1]]]]]]]]]}\n", DisplayName = "a tensor nested nine deep")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: [[1, 2], [3, [4]]]}\n", DisplayName = "numbers and lists mixed in a tensor")]
    [DataRow("network: {h: {op: relu, x: z}}\nparameters: {z: {init: zeros, shape: [1, 1, 1, 1, 1, 1, 1, 1, 2]}}\n", DisplayName = "an initializer shape of nine dimensions")]
    [DataRow("network: {h: {op: relu, x: z}}\nparameters: {z: {init: zeros}}\n", DisplayName = "an initializer without shape")]
    [DataRow("network: {h: {op: relu, x: z}}\noptimizer: {type: rmsprop, learning_rate: 0.1}\n", DisplayName = "an unknown optimizer")]
    [DataRow("network: {h: {op: relu, x: z}}\nexpect: {forward: {h: {value: 1, tol: 2}}}\n", DisplayName = "an unknown key in a check")]
    [DataRow("network: {S: {op: l2_regularization, weights: [W], lambda: -1}}\nparameters: {W: [1, 2]}\n", DisplayName = "an attribute below its minimum")]
    [DataRow("network: {Y: {op: gemm, a: A, b: A, c: A, trans_b: 2}}\ndata: {A: [[1, 2], [3, 4]]}\n", DisplayName = "a flag that is not 0 or 1")]
    [DataRow("network: {Y: {op: gemm, a: A, b: A, c: A, alpha: [1]}}\ndata: {A: [[1, 2], [3, 4]]}\n", DisplayName = "a list where a number is expected")]
    [DataRow("data: {z: 1}\n", DisplayName = "no network")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x}\ntraining: {epochs: 1, batch_size: 4}\n", DisplayName = "a dataset without targets")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y, shuffle: true}\ntraining: {epochs: 1, batch_size: 4}\n", DisplayName = "a training key in the dataset")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1}\n", DisplayName = "training without batch_size")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1, batch_size: 4, early_stopping: {min_delta: 0}}\n", DisplayName = "early stopping without patience")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1, batch_size: 4, outputs: {learning_curve: curve.svg}}\n", DisplayName = "a learning curve that is not a PNG")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y, standardize: true, scale: 0.5}\ntraining: {epochs: 1, batch_size: 4}\n", DisplayName = "scale and standardize together")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: adam, learning_rate: 0.1, momentum: 0.9}\n", DisplayName = "momentum for adam")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, beta1: 0.9}\n", DisplayName = "beta1 for sgd")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, nesterov: true}\n", DisplayName = "Nesterov without momentum")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, schedule: {type: step, gamma: 0.5}}\n", DisplayName = "a step schedule without step_size")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, schedule: {type: constant, gamma: 0.5}}\n", DisplayName = "a constant schedule with gamma")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, schedule: {type: cosine}}\n", DisplayName = "an unknown schedule")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, schedule: {type: plateau, gamma: 0.5}}\n", DisplayName = "a plateau schedule with gamma")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, schedule: {type: plateau, factor: 2}}\n", DisplayName = "a plateau factor above 1")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\noptimizer: {type: sgd, learning_rate: 0.1, schedule: {type: step, gamma: 0.5, step_size: 2, patience: 3}}\n", DisplayName = "a plateau key in a step schedule")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1, batch_size: 4, divergence: 0.5}\n", DisplayName = "a divergence factor below 1")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1, batch_size: 4, early_stopping: {patience: 2, restore_best: 1}}\n", DisplayName = "restore_best not a boolean")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1, batch_size: 4, accuracy_of: o}\nexpect: {metrics: {test_acc: {min: 0.9}}}\n", DisplayName = "an unknown metric")]
    [DataRow(Train + "dataset: {file: d.csv, label: c, inputs: x, targets: y}\ntraining: {epochs: 1, batch_size: 4, accuracy_of: o}\nexpect: {metrics: {test_accuracy: {}}}\n", DisplayName = "a metric check without min or max")]
    public void A_spec_the_parser_refuses_for_its_keys_is_invalid_for_the_schema_too(string yaml)
    {
        var result = Schema.Value.Evaluate(YamlToJson.Convert(yaml));
        Assert.IsFalse(result.IsValid, yaml);
        var diagnostics = new NetSpec.Parser.Diagnostics.DiagnosticBag();
        var parsed = SpecParser.ParseText("t.yaml", yaml, diagnostics);
        if (parsed.Document is { } doc) NetSpec.Runtime.Graph.GraphBuilder.Build(doc, diagnostics);
        Assert.IsTrue(diagnostics.HasErrors, "the parser refuses it too: " + yaml);
    }

    [TestMethod]
    public void Tensors_of_rank_3_to_8_are_valid_for_the_schema_as_for_the_parser()
    {
        const string yaml = "network: {h: {op: relu, x: x}, k: {op: relu, x: K}}\n" +
            "data: {x: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}\n" +
            "parameters: {K: {init: zeros, shape: [2, 3, 4]}, E: [[[[[[[[1, 2]]]]]]]]}\n";
        var result = Schema.Value.Evaluate(YamlToJson.Convert(yaml), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.IsTrue(result.IsValid, Errors(result));
        var diagnostics = new NetSpec.Parser.Diagnostics.DiagnosticBag();
        SpecParser.ParseText("t.yaml", yaml, diagnostics);
        Assert.IsEmpty(diagnostics.Items, string.Join("\n", diagnostics.Items));
    }

    private const string TNet =
        "network: {o: {op: linear, x: x, W: W, b: b}, L: {op: softmax_cross_entropy, x: o, y: y}}\n" +
        "parameters: {W: {init: zeros, shape: [2, 2]}, b: {init: zeros, shape: [2]}}\n";
    private const string TData = "dataset: {file: d.csv, label: c, inputs: x, targets: y}\n";
    private const string TBackward = "backward: {from: L}\n";
    private const string TOptimizer = "optimizer: {type: sgd, learning_rate: 0.1}\n";
    private const string TTraining = "training: {epochs: 1, batch_size: 2, accuracy_of: o}\n";
    private const string TMetrics = "expect: {metrics: {train_accuracy: {min: 0}}}\n";

    [TestMethod]
    public void A_training_spec_NetSpec_loads_is_valid_for_the_schema()
    {
        const string yaml = TNet + TData + TBackward + TOptimizer + TTraining + TMetrics;
        var loaded = LoadBesideCsv(yaml);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items.Select(d => d.Message)));
        var result = Schema.Value.Evaluate(YamlToJson.Convert(yaml), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.IsTrue(result.IsValid, Errors(result));
    }

    [TestMethod]
    public void A_training_spec_with_a_plateau_schedule_divergence_restore_best_and_a_best_only_file_is_valid_for_the_schema()
    {
        const string yaml = TNet + "dataset: {file: d.csv, label: c, inputs: x, targets: y, split: {validation: 0.34}}\n" + TBackward +
            "optimizer: {type: sgd, learning_rate: 0.1, schedule: {type: plateau, factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, min_lr: 0.001}}\n" +
            "training: {epochs: 1, batch_size: 2, accuracy_of: o, divergence: 20, early_stopping: {patience: 2, restore_best: false}, " +
            "outputs: {best_parameters: best.json, learning_curve: curve.png}}\n";
        var loaded = LoadBesideCsv(yaml);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items.Select(d => d.Message)));
        var result = Schema.Value.Evaluate(YamlToJson.Convert(yaml), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.IsTrue(result.IsValid, Errors(result));
        Assert.IsTrue(Schema.Value.Evaluate(YamlToJson.Convert(yaml.Replace("divergence: 20", "divergence: false", StringComparison.Ordinal))).IsValid);
    }

    /// <summary>Rules NetSpec checks once the dataset is read (TrainingSetup.Check), which the schema states as well.</summary>
    [TestMethod]
    [DataRow(TNet + TBackward + TOptimizer + TTraining, DisplayName = "training without a dataset")]
    [DataRow(TNet + TData + TBackward + TOptimizer, DisplayName = "a dataset without training")]
    [DataRow(TNet + TData + TBackward + TTraining, DisplayName = "training without an optimizer")]
    [DataRow(TNet + TData + TOptimizer + TTraining, DisplayName = "training without backward")]
    [DataRow(TNet + TData + TBackward + "optimizer: {type: sgd, learning_rate: 0.1, steps: 2}\n" + TTraining, DisplayName = "optimizer steps in a training spec")]
    [DataRow(TNet + TData + "backward: {from: L, grad: 1}\n" + TOptimizer + TTraining, DisplayName = "an assumed gradient in a training spec")]
    [DataRow(TNet + TData + TBackward + TOptimizer + TTraining + "expect: {forward: {L: 0}}\n", DisplayName = "a value expectation in a training spec")]
    [DataRow("network: {h: {op: relu, x: z}}\ndata: {z: 1}\nexpect: {metrics: {train_loss: {max: 1}}}\n", DisplayName = "metrics without training")]
    public void A_training_spec_NetSpec_refuses_when_it_loads_is_invalid_for_the_schema_too(string yaml)
    {
        Assert.IsFalse(Schema.Value.Evaluate(YamlToJson.Convert(yaml)).IsValid, yaml);
        Assert.IsTrue(LoadBesideCsv(yaml).Diagnostics.HasErrors, "NetSpec refuses it too: " + yaml);
    }

    /// <summary>Loads the spec text as t.yaml in a new folder holding d.csv (two features a, b; label c of two classes).</summary>
    private static NetSpec.Runtime.LoadedSpec LoadBesideCsv(string yaml)
    {
        var dir = Directory.CreateTempSubdirectory("netspec-schema-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "d.csv"), "a,b,c\n1,2,p\n3,4,q\n5,6,p\n");
            return NetSpec.Runtime.NetSpecEngine.LoadText(Path.Combine(dir, "t.yaml"), yaml);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>What an attribute's schema must accept, by its type: see OpSchema.Attribute.</summary>
    private static string ExpectedAttributeSchema(AttributeSpec a)
    {
        string range = (a.Min is { } lo ? $" min {lo}" : "") + (a.Max is { } hi ? $" max {hi}" : "");
        return a.Type switch
        {
            AttributeType.Number => $"number{range} | string",
            AttributeType.Integer => $"integer{range} | string",
            AttributeType.IntegerList => $"array of integer{range} | integer{range}",
            AttributeType.Enum => "enum " + string.Join(",", a.Choices),
            _ => "boolean | enum 0,1",
        };
    }

    /// <summary>An attribute schema in the words of <see cref="ExpectedAttributeSchema"/>.</summary>
    private static string AttributeSchemaSummary(JsonElement e)
    {
        Assert.IsTrue(e.TryGetProperty("description", out _), "an attribute has a description");
        if (e.TryGetProperty("anyOf", out var any)) return string.Join(" | ", any.EnumerateArray().Select(AttributeSchemaSummary0));
        return AttributeSchemaSummary0(e);
    }

    private static string AttributeSchemaSummary0(JsonElement e)
    {
        if (e.TryGetProperty("enum", out var en)) return "enum " + string.Join(",", en.EnumerateArray().Select(x => x.ToString()));
        string type = e.GetProperty("type").GetString()!;
        if (type == "array") return "array of " + AttributeSchemaSummary0(e.GetProperty("items"));
        return type + (e.TryGetProperty("minimum", out var lo) ? $" min {lo.GetDouble()}" : "") + (e.TryGetProperty("maximum", out var hi) ? $" max {hi.GetDouble()}" : "");
    }

    private static JsonElement At(string pointer)
    {
        var e = SchemaJson.Value;
        foreach (var part in pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            e = e.GetProperty(part);
        return e;
    }

    private static string[] PropertyNames(JsonElement obj) =>
        [.. obj.GetProperty("properties").EnumerateObject().Select(p => p.Name)];

    private static string Errors(EvaluationResults r) =>
        string.Join("\n", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));
}
