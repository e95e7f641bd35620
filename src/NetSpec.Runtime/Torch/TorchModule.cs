using System.Text;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Ops;

namespace NetSpec.Runtime.Torch;

/// <summary>
/// Writes a built network as the PyTorch module <c>class Net(nn.Module)</c> of the exported
/// script (docs: the PyTorch export): its inputs, parameters, state and nodes by name, the
/// parameters as an <c>nn.ParameterDict</c> keyed by the spec's names, the state (batch_norm's
/// running statistics) as buffers of <c>self.state</c>, and <c>forward(feeds, step)</c> computing
/// every node with the PyTorch form its op gives (<see cref="Op.ToTorch"/>), one line per node
/// under a comment with the node's expression and the op's formula. An op without a faithful form
/// fails the export naming the op and the node (<see cref="TorchExportException"/>).
/// </summary>
public static class TorchModule
{
    /// <summary>
    /// Names torch's <c>nn.Module</c> and <c>nn.ParameterDict</c> already use (torch 1.13): a
    /// parameter or state of one of these names cannot be registered under it.
    /// </summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "children", "cpu", "cuda", "double", "dump_patches", "eval",
        "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu",
        "load_state_dict", "modules", "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
        "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
        "register_full_backward_hook", "register_load_state_dict_post_hook", "register_module", "register_parameter",
        "requires_grad_", "set_extra_state", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
        "zero_grad", "clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values",
    };

    /// <summary>
    /// The Python source of <c>class Net</c> for <paramref name="graph"/> (it reads <c>torch</c>,
    /// <c>nn</c>, <c>F</c>, <c>np</c> and <c>counter_uniform</c> from the script).
    /// </summary>
    /// <exception cref="TorchExportException">Some op has no faithful torch form, or a name torch reserves.</exception>
    public static string Write(NetworkGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var state = StateValues(graph);
        var inputs = graph.Values.Where(v => v.Kind == ValueKind.Data).ToList();
        var parameters = graph.Values.Where(v => v.Kind == ValueKind.Parameter && !state.Contains(v.Index)).ToList();
        var stateValues = graph.Values.Where(v => state.Contains(v.Index)).ToList();
        foreach (var v in parameters.Concat(stateValues))
            if (Reserved.Contains(v.Name))
                throw new TorchExportException($"the {(state.Contains(v.Index) ? "state" : "parameter")} '{v.Name}' has a name torch's nn.Module reserves; rename it to export to PyTorch");

        var body = new StringBuilder();
        var refusals = new List<string>();
        foreach (var n in graph.Nodes)
        {
            var form = Form(graph, n, out var node);
            if (form.Refusal is { } why)
            {
                refusals.Add($"node '{n.Name}' (op {n.Op.Name}): {why}");
                continue;
            }
            body.Append("        # ").Append(n.Name).Append(" = ").Append(n.Expression.Length > 0 ? n.Expression : n.Op.Name)
                .Append(": ").Append(OneLine(n.Op.Formula)).Append('\n');
            foreach (var line in node.Lines) body.Append("        ").Append(line).Append('\n');
            body.Append("        v[").Append(Py.Str(n.Name)).Append("] = ").Append(form.Expression).Append('\n');
        }
        if (refusals.Count > 0)
            throw new TorchExportException(refusals.Count == 1 ? refusals[0] : string.Join("; ", refusals));

        var sb = new StringBuilder();
        sb.Append("class Net(nn.Module):\n");
        sb.Append("    \"\"\"The network of the spec ").Append(Py.Str(graph.Spec.Name)).Append(" as NetSpec computes it.\n\n");
        sb.Append("    forward(feeds, step) returns v, every value by name: the inputs (feeds, by name), the parameters,\n");
        sb.Append("    the state (as it was when the pass began) and every node, in NODES order, with the side values\n");
        sb.Append("    the trace shows (e.g. v[\"drop.mask\"]). self.training is the mode (dropout, batch_norm); step the\n");
        sb.Append("    1-based step of the pass (dropout's masks). Updated state is in the buffers after forward.\n");
        sb.Append("    \"\"\"\n\n");
        sb.Append("    INPUTS = ").Append(Names(inputs)).Append('\n');
        sb.Append("    PARAMETERS = ").Append(Names(parameters)).Append('\n');
        sb.Append("    TRAINABLE = ").Append(Names(parameters.Where(p => p.Trainable))).Append('\n');
        sb.Append("    STATE = ").Append(Names(stateValues)).Append('\n');
        sb.Append("    NODES = ").Append(Names(graph.Nodes.Select(n => graph.Values[n.Output]))).Append('\n');
        sb.Append("    SHAPES = {").Append(string.Join(", ", graph.Values.Select(v => $"{Py.Str(v.Name)}: {Py.Tuple(v.Shape.ToArray())}"))).Append("}\n\n");
        sb.Append("    def __init__(self, dtype=torch.float64):\n");
        sb.Append("        super().__init__()\n");
        sb.Append("        self.dtype = dtype\n");
        sb.Append("        self.params = nn.ParameterDict()\n");
        sb.Append("        for name in self.PARAMETERS:\n");
        sb.Append("            self.params[name] = nn.Parameter(torch.zeros(self.SHAPES[name], dtype=dtype))\n");
        sb.Append("        self.state = nn.Module()\n");
        sb.Append("        for name in self.STATE:\n");
        sb.Append("            self.state.register_buffer(name, torch.zeros(self.SHAPES[name], dtype=dtype))\n\n");
        sb.Append("    def forward(self, feeds, step=0):\n");
        sb.Append("        v = {}\n");
        sb.Append("        for name in self.INPUTS:\n");
        sb.Append("            v[name] = torch.as_tensor(feeds[name], dtype=self.dtype)\n");
        sb.Append("        for name in self.PARAMETERS:\n");
        sb.Append("            v[name] = self.params[name]\n");
        sb.Append("        for name in self.STATE:\n");
        sb.Append("            v[name] = getattr(self.state, name).clone()\n");
        sb.Append(body);
        sb.Append("        return v\n");
        return sb.ToString();
    }

    /// <summary>The op's torch form for node <paramref name="n"/>, with the node it wrote into.</summary>
    internal static TorchForm Form(NetworkGraph graph, GraphNode n, out TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(n);
        var slots = n.Op.Inputs;
        bool list = slots.Count == 1 && slots[0].IsList;
        var exprs = new string[n.Inputs.Length];
        var buffers = new string[n.Inputs.Length];
        for (int i = 0; i < n.Inputs.Length; i++)
        {
            var slot = list ? slots[0] : slots[i];
            var v = graph.Values[n.Inputs[i]];
            exprs[i] = $"v[{Py.Str(v.Name)}]";
            // Targets and indices take no gradient in NetSpec: nor in torch, also when computed from parameters.
            if (!slot.Differentiable && !slot.State && v.Kind != ValueKind.Data) exprs[i] += ".detach()";
            buffers[i] = slot.State ? $"self.state.{v.Name}" : "";
        }
        node = new TorchNode(n.Name, exprs, [.. n.Inputs.Select(i => graph.Values[i].Shape)], graph.Values[n.Output].Shape, n.Attributes, buffers);
        return n.Op.ToTorch(node);
    }

    /// <summary>The values some node reads at a state slot (batch_norm's running statistics).</summary>
    private static HashSet<int> StateValues(NetworkGraph graph)
    {
        var set = new HashSet<int>();
        foreach (var n in graph.Nodes)
        {
            var slots = n.Op.Inputs;
            for (int i = 0; i < n.Inputs.Length; i++)
                if (slots[Math.Min(i, slots.Count - 1)].State) set.Add(n.Inputs[i]);
        }
        return set;
    }

    private static string Names(IEnumerable<GraphValue> values) => "[" + string.Join(", ", values.Select(v => Py.Str(v.Name))) + "]";

    private static string OneLine(string s) => s.Replace('\n', ' ').Replace('\r', ' ');
}
