using System.Text.Json;
using System.Text.Json.Nodes;
using NetSpec.Runtime;
using NetSpec.Runtime.Checks;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;
using NetSpec.Runtime.Torch;
using NetSpec.Runtime.Trace;
using NetSpec.Tests.Onnx;

namespace NetSpec.Tests.Torch;

/// <summary>
/// Every op's PyTorch form (<see cref="Op.ToTorch"/>) against NetSpec: for every gradient case of
/// every op (<see cref="Op.GradientCases"/>) at batch sizes 1, 2 and 5, the one-node spec of the
/// gradient check (<see cref="GradientCaseSpecs"/>) runs forward and backward in NetSpec (float64,
/// seeded random inputs, the case's mode, step 3); <see cref="TorchModule"/> writes its
/// <c>class Net</c>, which tools/torch-op-check.py runs in PyTorch (float64, autograd) in one
/// Python process for all cases. The node's value, every input gradient, every side value (dropout's
/// mask) and every updated state (batch_norm's running statistics) must equal NetSpec's to 1e-10
/// relative, |a - e| &lt;= 1e-10 max(1, |e|). An op without a torch form must refuse with a reason
/// of its own, and the export then names the op and the node. Inconclusive without torch.
/// </summary>
[TestClass]
public sealed class TorchOpTests
{
    private const double Tolerance = 1e-10;
    private const int Step = 3;
    private static readonly int[] Batches = [1, 2, 5];

    /// <summary>What NetSpec computed for one case, and the module that should compute it in torch.</summary>
    private sealed record Expected(string Id, string Op, string Yaml, string Module, bool Training, double[] Value, double[] Grad,
        Dictionary<string, double[]> Values, Dictionary<string, int[]> Shapes, Dictionary<string, double[]?> Gradients,
        Dictionary<string, double[]> Sides, Dictionary<string, double[]> State);

    private sealed record Run(string? Unavailable, Dictionary<string, Expected> Cases, Dictionary<string, JsonObject> Results);

    private static readonly Lazy<Run> All = new(RunAll, LazyThreadSafetyMode.ExecutionAndPublication);

    public static IEnumerable<object[]> OpNames() => OpRegistry.Names.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(OpNames))]
    public void The_torch_form_computes_NetSpec_values_and_gradients(string op)
    {
        var o = OpRegistry.Find(op)!;
        if (Refusal(o) is { } why)
        {
            Assert.IsTrue(OverridesToTorch(o), $"{op} refuses with the default refusal: give it a torch form or a refusal of its own ({why})");
            return;
        }
        var run = All.Value;
        if (run.Unavailable is { } reason) Assert.Inconclusive(reason);
        var cases = run.Cases.Values.Where(c => c.Op == op && !c.Id.StartsWith(Mutant, StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(cases);
        var problems = new List<string>();
        foreach (var c in cases) problems.AddRange(Compare(c, run.Results[c.Id]).Select(p => $"{c.Id}: {p}"));
        if (problems.Count > 0)
        {
            var first = cases.First(c => problems[0].StartsWith(c.Id + ":", StringComparison.Ordinal));
            Assert.Fail($"{problems.Count} problem(s):\n{string.Join("\n", problems.Take(12))}\n\nfirst case's spec:\n{first.Yaml}\nits module:\n{first.Module}");
        }
    }

    [TestMethod]
    public void Every_op_has_a_torch_form_or_a_refusal_of_its_own()
    {
        foreach (var op in OpRegistry.All)
            Assert.IsTrue(OverridesToTorch(op), $"op '{op.Name}' has neither a torch form nor a documented refusal (override Op.ToTorch)");
    }

    [TestMethod]
    public void A_wrong_torch_form_is_caught()
    {
        var run = All.Value;
        if (run.Unavailable is { } reason) Assert.Inconclusive(reason);
        var mutants = run.Cases.Values.Where(c => c.Id.StartsWith(Mutant, StringComparison.Ordinal)).ToList();
        Assert.HasCount(2, mutants);
        foreach (var c in mutants)
            Assert.IsNotEmpty(Compare(c, run.Results[c.Id]).ToList(), $"{c.Id}: the comparison found nothing wrong in\n{c.Module}");
    }

    [TestMethod]
    public void A_refused_op_fails_the_export_naming_the_op_and_the_node()
    {
        var refused = OpRegistry.All.FirstOrDefault(o => Refusal(o) is not null);
        if (refused is null) return;   // every op has a form: nothing is refused
        var c = refused.GradientCases(2).First();
        var graph = Load(GradientCaseSpecs.Spec(refused, c, 2, 1));
        var e = Assert.ThrowsExactly<TorchExportException>(() => TorchModule.Write(graph));
        StringAssert.Contains(e.Message, $"node '{GradientCaseSpecs.Node}' (op {refused.Name})");
    }

    [TestMethod]
    public void The_module_lists_inputs_parameters_and_nodes_and_comments_each_node()
    {
        var graph = Load("""
            network:
              z: {op: linear, x: x, W: W, b: b}
              h: {op: relu, x: z}
              L: {op: l2_loss, o: h, y: y}
              S: {op: l2_regularization, weights: [W], lambda: 0.1}
              J: {op: sum, inputs: [L, S]}
            data: {x: [[1, 2]], y: [[3]]}
            parameters: {W: [[0.5, -1]], b: [0.1]}
            backward: {from: J}
            """);
        var py = TorchModule.Write(graph);
        StringAssert.Contains(py, "class Net(nn.Module):");
        StringAssert.Contains(py, "    INPUTS = [\"x\", \"y\"]\n");
        StringAssert.Contains(py, "    PARAMETERS = [\"W\", \"b\"]\n");
        StringAssert.Contains(py, "    STATE = []\n");
        StringAssert.Contains(py, "    NODES = [\"z\", \"h\", \"L\", \"S\", \"J\"]\n");
        StringAssert.Contains(py, "        # z = linear(x, W, b): z = Wx + b");
        StringAssert.Contains(py, "        v[\"z\"] = F.linear(v[\"x\"], v[\"W\"], v[\"b\"])\n");
        StringAssert.Contains(py, "        v[\"L\"] = ((v[\"h\"] - v[\"y\"]) ** 2).sum() / (2 * v[\"h\"].shape[0])\n");
        StringAssert.Contains(py, "        v[\"J\"] = v[\"L\"] + v[\"S\"]\n");
    }

    private static IEnumerable<string> Compare(Expected e, JsonObject r)
    {
        if (r["error"]?.GetValue<string>() is { } error)
        {
            yield return "python failed: " + error;
            yield break;
        }
        foreach (var p in Close("value", e.Value, Doubles(r["value"]))) yield return p;
        var grads = r["grads"]!.AsObject();
        foreach (var (name, expected) in e.Gradients)
        {
            var actual = Doubles(grads[name]);
            if (expected is null)
            {
                if (actual is not null && actual.Any(x => x != 0)) yield return $"torch gives {name} a gradient, NetSpec none";
                continue;
            }
            foreach (var p in Close($"d/d{name}", expected, actual ?? new double[expected.Length])) yield return p;
        }
        var sides = r["sides"]!.AsObject();
        foreach (var (name, expected) in e.Sides)
            foreach (var p in Close(name, expected, Doubles(sides[name]))) yield return p;
        foreach (var name in sides.Select(s => s.Key).Where(k => !e.Sides.ContainsKey(k)))
            yield return $"torch writes the side value {name}, which NetSpec's trace does not have";
        var state = r["state"]!.AsObject();
        foreach (var (name, expected) in e.State)
            foreach (var p in Close($"state {name} after forward", expected, Doubles(state[name]))) yield return p;
    }

    private static IEnumerable<string> Close(string what, double[] expected, double[]? actual)
    {
        if (actual is null)
        {
            yield return $"{what}: torch has none";
            yield break;
        }
        if (actual.Length != expected.Length)
        {
            yield return $"{what}: torch has {actual.Length} values, NetSpec {expected.Length}";
            yield break;
        }
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i]))) && !(double.IsNaN(actual[i]) && double.IsNaN(expected[i])))
            {
                yield return $"{what}[{i}]: torch {actual[i]:R}, NetSpec {expected[i]:R}";
                yield break;
            }
    }

    private static double[]? Doubles(JsonNode? n) => n is JsonArray a ? [.. a.Select(x => x!.GetValue<double>())] : null;

    private static NetworkGraph Load(string yaml)
    {
        var loaded = NetSpecEngine.LoadText("torch-case.yaml", yaml);
        Assert.IsTrue(loaded.Ok, string.Join("\n", loaded.Diagnostics.Items) + "\n" + yaml);
        return loaded.Graph!;
    }

    /// <summary>The op's refusal for its first gradient case, or null when it has a form.</summary>
    private static string? Refusal(Op op)
    {
        var graph = Load(GradientCaseSpecs.Spec(op, op.GradientCases(2).First(), 2, 1));
        var node = graph.Nodes.Single();
        return TorchModule.Form(graph, node, out _).Refusal;
    }

    private static bool OverridesToTorch(Op op) =>
        op.GetType().GetMethod(nameof(Op.ToTorch))!.DeclaringType != typeof(Op);

    private static Run RunAll()
    {
        var cases = new Dictionary<string, Expected>(StringComparer.Ordinal);
        foreach (var op in OpRegistry.All)
        {
            if (Refusal(op) is not null) continue;
            foreach (int batch in Batches)
                foreach (var c in op.GradientCases(batch))
                {
                    string yaml = GradientCaseSpecs.Spec(op, c, batch, seed: 1);
                    var e = Compute($"{op.Name} | {c.Label} | batch {batch}", op.Name, yaml);
                    cases.Add(e.Id, e);
                    // The module written at batch 2 must run any batch (training's last batch, a rank's share under DDP).
                    var at2 = op.GradientCases(2).SingleOrDefault(x => x.Label == c.Label);
                    if (batch == 5 && at2 is not null && SameParameters(yaml, GradientCaseSpecs.Spec(op, at2, 2, seed: 1)) is { } module)
                    {
                        var cross = Compute($"{op.Name} | {c.Label} | batch 5 through the module written at batch 2", op.Name, yaml, module);
                        cases.Add(cross.Id, cross);
                    }
                }
        }
        foreach (var (op, c) in ExtraCases)
        {
            var e = Compute($"{op} | {c.Label} | batch 2", op, GradientCaseSpecs.Spec(OpRegistry.Find(op)!, c, 2, seed: 3));
            cases.Add(e.Id, e);
        }
        foreach (var (op, label, yaml) in KinkSpecs)
        {
            var e = Compute($"{op} | {label}", op, yaml);
            cases.Add(e.Id, e);
        }
        // Two wrong forms, which the comparison must catch: relu as elu (values), and abs without its gradient.
        var relu = cases.Values.First(c => c.Op == "relu");
        cases.Add(Mutant + "relu as elu", relu with { Id = Mutant + "relu as elu", Module = relu.Module.Replace("F.relu(", "F.elu(", StringComparison.Ordinal) });
        var abs = cases.Values.First(c => c.Op == "abs");
        cases.Add(Mutant + "abs detached", abs with { Id = Mutant + "abs detached", Module = abs.Module.Replace("torch.abs(v[\"x\"])", "(v[\"x\"].detach().abs() + 0 * v[\"x\"])", StringComparison.Ordinal) });
        var (python, reason) = TestPython.Find("torch, numpy");
        if (python is null) return new Run(reason, cases, []);

        string dir = Path.Combine(Path.GetTempPath(), "netspec-torch-ops-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        string input = Path.Combine(dir, "cases.json"), output = Path.Combine(dir, "results.json");
        var json = new JsonArray([.. cases.Values.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id,
            ["module"] = c.Module,
            ["node"] = GradientCaseSpecs.Node,
            ["training"] = c.Training,
            ["step"] = Step,
            ["values"] = new JsonObject(c.Values.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Array(kv.Value)))),
            ["shapes"] = new JsonObject(c.Shapes.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray([.. kv.Value.Select(d => (JsonNode)JsonValue.Create(d))])))),
            ["grad"] = Array(c.Grad),
            ["requires_grad"] = new JsonArray([.. c.Gradients.Where(g => g.Value is not null).Select(g => (JsonNode)JsonValue.Create(g.Key))]),
        })]);
        File.WriteAllText(input, json.ToJsonString());
        var (code, text) = TestPython.Run(python, [Path.Combine(TestPaths.Root, "tools", "torch-op-check.py"), input, output], TimeSpan.FromMinutes(10));
        Assert.AreEqual(0, code, text);
        var results = JsonNode.Parse(File.ReadAllText(output))!.AsArray()
            .Select(n => n!.AsObject()).ToDictionary(o => o["id"]!.GetValue<string>(), StringComparer.Ordinal);
        Directory.Delete(dir, recursive: true);
        return new Run(null, cases, results);
    }

    private static JsonArray Array(double[] xs) => new([.. xs.Select(x => (JsonNode)JsonValue.Create(x))]);

    private const string Mutant = "mutant | ";

    /// <summary>
    /// Cases the ops' gradient cases leave out: the general routes of the pools (padding torch's pools do not take, dilation in an
    /// average, counted padding with ceil_mode), dropout dropping everything, softplus on both sides of its threshold.
    /// </summary>
    private static readonly (string Op, GradientCase Case)[] ExtraCases =
    [
        ("avg_pool2d", new("asymmetric pads, padding counted, ceil_mode", [[2, 1, 5, 6]]) { Attributes = [("kernel_size", "3"), ("stride", "2"), ("padding", "[0, 1, 1, 0]"), ("ceil_mode", "true")] }),
        ("avg_pool1d", new("dilation 2, padding 1 counted, ceil_mode", [[2, 2, 8]]) { Attributes = [("kernel_size", "3"), ("stride", "2"), ("dilation", "2"), ("padding", "1"), ("ceil_mode", "true")] }),
        ("avg_pool3d", new("padding above half the kernel, not counted", [[2, 1, 3, 3, 3]]) { Attributes = [("kernel_size", "3"), ("stride", "1"), ("padding", "2"), ("count_include_pad", "false")] }),
        ("max_pool2d", new("padding above half the kernel", [[2, 1, 4, 4]]) { Attributes = [("kernel_size", "3"), ("stride", "1"), ("padding", "2")] }),
        ("max_pool1d", new("asymmetric pads, dilation 2", [[2, 2, 7]]) { Attributes = [("kernel_size", "2"), ("stride", "2"), ("dilation", "2"), ("padding", "[2, 0]")] }),
        ("max_pool3d", new("ceil_mode, padding 1", [[2, 1, 3, 4, 5]]) { Attributes = [("kernel_size", "2"), ("stride", "2"), ("padding", "1"), ("ceil_mode", "true")] }),
        ("dropout", new("p 1 drops everything", [[2, 3]]) { Attributes = [("p", "1")] }),
        ("softplus", new("beta 30 threshold 20: both sides of the threshold", [[2, 8]]) { Attributes = [("beta", "30")] }),
        ("gemm", new("a scalar bias, trans_a", [[4, 2], [4, 3], []]) { Attributes = [("trans_a", "1"), ("beta", "-2")] }),
    ];

    /// <summary>One-node specs at the kinks and ties, where NetSpec's subgradient must be torch's too.</summary>
    private static readonly (string Op, string Label, string Yaml)[] KinkSpecs =
    [
        ("relu", "x = 0", Kink("{op: relu, x: x}", "x: [[0, -1, 2, 0]]", "[[1, 2, 3, 4]]")),
        ("abs", "x = 0", Kink("{op: abs, x: x}", "x: [[0, -1, 2, 0]]", "[[1, 2, 3, 4]]")),
        ("leaky_relu", "x = 0", Kink("{op: leaky_relu, x: x, slope: 0.2}", "x: [[0, -1, 2, 0]]", "[[1, 2, 3, 4]]")),
        ("elu", "x = 0", Kink("{op: elu, x: x, alpha: 0.5}", "x: [[0, -1, 2, 0]]", "[[1, 2, 3, 4]]")),
        ("softplus", "beta x = 0 and at the threshold", Kink("{op: softplus, x: x, beta: 2, threshold: 4}", "x: [[0, 2, 2.5, -1]]", "[[1, 2, 3, 4]]")),
        ("maximum", "ties", Kink("{op: maximum, a: a, b: b}", "a: [[0, 1, 2, -3]], b: [[0, 1, 3, -3]]", "[[1, 2, 3, 4]]")),
        ("max_pool1d", "ties in a window go to the first", Kink("{op: max_pool1d, x: x, kernel_size: 2, stride: 1}", "x: [[[1, 1, 2, 2, 0, 3]]]", "[[[1, 2, 3, 4, 5]]]")),
        ("max_pool2d", "ties in a window go to the first", Kink("{op: max_pool2d, x: x, kernel_size: 2}", "x: [[[[1, 1], [1, 1]]]]", "[[[[2]]]]")),
        ("binary_cross_entropy_with_logits", "x = 0", Kink("{op: binary_cross_entropy_with_logits, x: x, y: y, reduction: none}", "x: [[0, 0, 1]], y: [[0.25, 1, 0]]", "[[1, 2, 3]]")),
        ("binary_cross_entropy", "p = 0 and 1 (the clamp and the 1e-12)", Kink("{op: binary_cross_entropy, p: p, y: y, reduction: none}", "p: [[0, 1, 0.5]], y: [[0, 0, 1]]", "[[1, 1, 1]]")),
    ];

    private static string Kink(string node, string data, string grad) =>
        $"network:\n  out: {node}\ndata: {{{data}}}\nbackward: {{from: out, grad: {grad}}}\n";

    /// <summary>The module of <paramref name="other"/> when its parameters have the shapes of <paramref name="yaml"/>'s (only data differs), else null.</summary>
    private static string? SameParameters(string yaml, string other)
    {
        var (a, b) = (Load(yaml), Load(other));
        var pa = a.Values.Where(v => v.Kind == ValueKind.Parameter).Select(v => (v.Name, v.Shape.ToString()));
        var pb = b.Values.Where(v => v.Kind == ValueKind.Parameter).Select(v => (v.Name, v.Shape.ToString()));
        return pa.SequenceEqual(pb) ? TorchModule.Write(b) : null;
    }

    /// <summary>NetSpec's forward and backward of a one-node spec (the node <c>out</c>), traced, and the module that must compute the same.</summary>
    private static Expected Compute(string id, string op, string yaml, string? module = null)
    {
        var graph = Load(yaml);
        var trace = new CollectingTraceSink();
        var interp = new Interpreter<double>(graph, null, trace);
        Assert.IsTrue(interp.Forward(Step), yaml);
        Assert.IsTrue(interp.Backward(Step), yaml);
        string node = GradientCaseSpecs.Node;
        var forward = trace.Events.Where(e => e.Phase == TracePhase.Forward).ToList();
        var backward = trace.Events.Where(e => e.Phase == TracePhase.Backward).ToList();
        var values = forward.Where(e => e.Op is "data" or "parameter").ToDictionary(e => e.Name, e => e.Values.ToArray());
        var shapes = graph.Values.ToDictionary(v => v.Name, v => v.Shape.ToArray());
        var sides = forward.Where(e => e.Name.StartsWith(node + ".", StringComparison.Ordinal)).ToDictionary(e => e.Name, e => e.Values.ToArray());
        var state = forward.Where(e => e.Op == "state").ToDictionary(e => e.Name, e => e.Values.ToArray());
        var grads = new Dictionary<string, double[]?>(StringComparer.Ordinal);
        foreach (var v in graph.Values.Where(v => v.Kind != ValueKind.Node && !state.ContainsKey(v.Name)))
            grads[v.Name] = backward.FirstOrDefault(e => e.Name == v.Name)?.Values.ToArray();
        var seed = backward.First(e => e.Name == node).Values.ToArray();
        return new Expected(id, op, yaml, module ?? TorchModule.Write(graph), interp.Training,
            interp.Value(node).ToDoubles(), seed, values, shapes, grads, sides, state);
    }
}
