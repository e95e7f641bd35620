using System.Text;
using NetSpec.Runtime;
using NetSpec.Runtime.Graph;

namespace NetSpec.Cli;

/// <summary>
/// A network as text diagrams: Mermaid (renders on GitHub and in many editors) and Graphviz
/// DOT. Data inputs, parameters and nodes have different shapes; every box shows its name,
/// its op (for nodes) and its shape, and every edge the input slot it feeds.
/// </summary>
internal static class GraphText
{
    /// <summary>A Mermaid flowchart, left to right, without the surrounding code fence.</summary>
    public static string Mermaid(NetworkGraph g)
    {
        var sb = new StringBuilder();
        sb.Append("flowchart LR\n");
        foreach (var v in g.Values)
        {
            string id = Id(v.Name);
            sb.Append("  ").Append(v.Kind switch
            {
                ValueKind.Data => $"{id}[/\"{v.Name}<br/>data {v.Shape}\"/]:::data",
                ValueKind.Parameter => $"{id}[(\"{v.Name}<br/>parameter {v.Shape}\")]:::parameter",
                _ => $"{id}[\"{NodeLabel(g, v, "<br/>")}\"]:::{(v.Index == g.BackwardFrom ? "objective" : "op")}",
            }).Append('\n');
        }
        foreach (var (from, to, slot) in Edges(g))
            sb.Append($"  {Id(from)} -->|{slot}| {Id(to)}\n");
        sb.Append("  classDef data fill:#dbeafe,stroke:#1d4ed8\n");
        sb.Append("  classDef parameter fill:#fef3c7,stroke:#b45309\n");
        sb.Append("  classDef op fill:#f3f4f6,stroke:#374151\n");
        sb.Append("  classDef objective fill:#fee2e2,stroke:#b91c1c,stroke-width:2px\n");
        return sb.ToString();
    }

    /// <summary>A Graphviz digraph, left to right.</summary>
    public static string Dot(NetworkGraph g)
    {
        var sb = new StringBuilder();
        sb.Append($"digraph \"{Escape(g.Spec.Name)}\" {{\n");
        sb.Append("  rankdir=LR;\n");
        sb.Append("  node [fontname=\"Helvetica\", style=filled];\n");
        sb.Append("  edge [fontname=\"Helvetica\", fontsize=10];\n");
        foreach (var v in g.Values)
        {
            sb.Append("  \"").Append(v.Name).Append("\" ").Append(v.Kind switch
            {
                ValueKind.Data => $"[shape=parallelogram, fillcolor=\"#dbeafe\", label=\"{v.Name}\\ndata {v.Shape}\"];",
                ValueKind.Parameter => $"[shape=cylinder, fillcolor=\"#fef3c7\", label=\"{v.Name}\\nparameter {v.Shape}\"];",
                _ => $"[shape=box, fillcolor=\"{(v.Index == g.BackwardFrom ? "#fee2e2\", penwidth=2" : "#f3f4f6\"")}, label=\"{NodeLabel(g, v, "\\n")}\"];",
            }).Append('\n');
        }
        foreach (var (from, to, slot) in Edges(g))
            sb.Append($"  \"{from}\" -> \"{to}\" [label=\"{slot}\"];\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>"z<br/>linear 1x3" plus attributes such as "lambda = 0.1".</summary>
    internal static string NodeLabel(NetworkGraph g, GraphValue v, string newline)
    {
        var n = g.Nodes[v.Producer];
        var text = $"{v.Name}{newline}{n.Op.Name} {v.Shape}";
        for (int i = 0; i < n.AttributeText.Length; i++)
        {
            string a = n.AttributeText[i], name = n.Op.Attributes[i].Name;
            if (!n.Op.Attributes[i].ShowDefault && n.Op.Attributes[i].IsDefault(n.Attributes[i])) continue;
            text += newline + (a.StartsWith(name + " = ", StringComparison.Ordinal) ? a : $"{name} = {a}");
        }
        return text;
    }

    /// <summary>Every (input value, node, slot name) in node order; list slots repeat their name.</summary>
    internal static IEnumerable<(string From, string To, string Slot)> Edges(NetworkGraph g)
    {
        foreach (var n in g.Nodes)
            for (int i = 0; i < n.Inputs.Length; i++)
            {
                var slot = n.Op.Inputs.Count == 1 && n.Op.Inputs[0].IsList ? n.Op.Inputs[0].Name : n.Op.Inputs[i].Name;
                yield return (g.Values[n.Inputs[i]].Name, n.Name, slot);
            }
    }

    /// <summary>Mermaid ids are prefixed so names like <c>end</c> or <c>graph</c> cannot clash with keywords.</summary>
    private static string Id(string name) => "v_" + name;

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
