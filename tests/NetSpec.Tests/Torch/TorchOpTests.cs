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
        Dictionary<string, double[]> Values, Dictionary<string, double[]?> Gradients, Dictionary<string, double[]> Sides, Dictionary<string, double[]> State);

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
        var cases = run.Cases.Values.Where(c => c.Op == op).ToList();
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
                    var e = Compute(op, c, batch);
                    cases.Add(e.Id, e);
                }
        }
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

    /// <summary>NetSpec's forward and backward of the case's one-node spec, traced.</summary>
    private static Expected Compute(Op op, GradientCase c, int batch)
    {
        string yaml = GradientCaseSpecs.Spec(op, c, batch, seed: 1);
        var graph = Load(yaml);
        var trace = new CollectingTraceSink();
        var interp = new Interpreter<double>(graph, null, trace);
        Assert.IsTrue(interp.Forward(Step), yaml);
        Assert.IsTrue(interp.Backward(Step), yaml);
        string node = GradientCaseSpecs.Node;
        var forward = trace.Events.Where(e => e.Phase == TracePhase.Forward).ToList();
        var backward = trace.Events.Where(e => e.Phase == TracePhase.Backward).ToList();
        var values = forward.Where(e => e.Op is "data" or "parameter").ToDictionary(e => e.Name, e => e.Values.ToArray());
        var sides = forward.Where(e => e.Name.StartsWith(node + ".", StringComparison.Ordinal)).ToDictionary(e => e.Name, e => e.Values.ToArray());
        var state = forward.Where(e => e.Op == "state").ToDictionary(e => e.Name, e => e.Values.ToArray());
        var grads = new Dictionary<string, double[]?>(StringComparer.Ordinal);
        foreach (var v in graph.Values.Where(v => v.Kind != ValueKind.Node && !state.ContainsKey(v.Name)))
            grads[v.Name] = backward.FirstOrDefault(e => e.Name == v.Name)?.Values.ToArray();
        var seed = backward.First(e => e.Name == node).Values.ToArray();
        return new Expected($"{op.Name} | {c.Label} | batch {batch}", op.Name, yaml, TorchModule.Write(graph), interp.Training,
            interp.Value(node).ToDoubles(), seed, values, grads, sides, state);
    }
}
