using System.Text;
using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// Renders trace events for people, laid out the way the notes lay them out: a heading per
/// phase and step, then one entry per value (matrices in rows, higher ranks as labelled 2-D
/// slices). As a sink it writes each event to its writer in one piece, formatted straight from
/// the tensor's data. A node reads as its op applied to its inputs and the attributes the spec
/// sets or that differ from their default ("elu(z, alpha = 0.5)", not "dropout(z, p = 0.5, seed = 0)"
/// for a dropout that sets neither); the JSON trace keeps the graph's full expression.
/// </summary>
public sealed class TraceTextWriter : ITraceSink
{
    private const int MaxLabelWidth = 56;
    private readonly int _labelWidth;
    private readonly NetworkGraph _graph;
    private readonly int _fullLimit;
    private readonly TextWriter _output;
    private readonly StringBuilder _sb = new();
    private readonly string[] _expressions; // per node, as the text trace writes it
    private (TracePhase Phase, int Step)? _section;

    /// <summary>A writer whose <see cref="Emit"/> writes to <paramref name="output"/> (none: only <see cref="Write"/> writes).</summary>
    public TraceTextWriter(NetworkGraph graph, int fullLimit, TextWriter? output = null)
    {
        _graph = graph;
        _fullLimit = fullLimit;
        _output = output ?? TextWriter.Null;
        var decls = new Dictionary<string, Parser.Model.NodeDecl>(StringComparer.Ordinal);
        foreach (var d in graph.Spec.Network) decls.TryAdd(d.Name, d);
        _expressions = [.. graph.Nodes.Select(n => decls.TryGetValue(n.Name, out var d) ? Expression(graph, n, d) : n.Expression)];
        int widest = graph.Values.Max(v => v.Kind == ValueKind.Node
            ? v.Name.Length + 3 + _expressions[v.Producer].Length
            : v.Name.Length + 12);
        _labelWidth = Math.Min(MaxLabelWidth, widest + 4);
    }

    /// <summary>Writes one event to the writer given at construction.</summary>
    public void Emit(TraceEvent e) => Write(e, _output);

    /// <summary>Writes one event; a heading first when the phase or step changes.</summary>
    public void Write(TraceEvent e, TextWriter output)
    {
        var sb = _sb.Clear();
        if (_section != (e.Phase, e.Step))
        {
            _section = (e.Phase, e.Step);
            sb.AppendLine();
            sb.AppendLine(Heading(e));
        }
        switch (e.Phase)
        {
            case TracePhase.Forward:
                string label = e.Op is "data" or "parameter" ? $"{e.Name} ({e.Op})" : $"{e.Name} = {NodeExpression(e)}";
                Entry(label, e.Shape, e.Values);
                break;
            case TracePhase.Backward:
                Entry(e.Expression, e.Shape, e.Values);
                break;
            case TracePhase.Update:
                sb.Append("  ").Append(e.Name).Append("* = ").AppendLine(e.Expression);
                TraceValues old = e.Old!.Value, grad = e.Gradient!.Value;
                string? oldText = null, gradText = null, newText = null;
                if (old.Length > _fullLimit && grad.Length > _fullLimit && e.Values.Length > _fullLimit)
                {
                    // The three summaries computed together (one interleaved pass), written as each would be alone.
                    Span<(double, double, double, int, int)> numbers = stackalloc (double, double, double, int, int)[3];
                    Summary.Numbers(old, grad, e.Values, numbers);
                    (oldText, gradText, newText) = (Summary.Stats(old, 6, numbers[0]), Summary.Stats(grad, 6, numbers[1]), Summary.Stats(e.Values, 6, numbers[2]));
                }
                Entry($"    {e.Name}", e.Shape, old, indentLabel: false, oldText);
                Entry($"    dJ/d{e.Name}", e.Shape, grad, indentLabel: false, gradText);
                Entry($"    {e.Name}*", e.Shape, e.Values, indentLabel: false, newText);
                break;
            case TracePhase.Epoch:
                Entry(e.Mode is null ? $"{e.Name} ({e.Expression})" : $"{e.Name} ({e.Expression}; {ModeText(e.Mode)})", e.Shape, e.Values);
                break;
        }
        output.Write(sb);
    }

    /// <summary>The node's expression as the text trace writes it, when the event is the node's output; else the event's own.</summary>
    private string NodeExpression(TraceEvent e) =>
        _graph.Find(e.Name) is { Kind: ValueKind.Node, Producer: >= 0 } v && _graph.Nodes[v.Producer].Expression == e.Expression
            ? _expressions[v.Producer] : e.Expression;

    /// <summary>"op(inputs, attributes)" with only the attributes <paramref name="decl"/> writes or whose value is not the default.</summary>
    private static string Expression(NetworkGraph graph, GraphNode n, Parser.Model.NodeDecl decl)
    {
        var args = new List<string>(n.Inputs.Length + n.AttributeText.Length);
        foreach (var i in n.Inputs) args.Add(graph.Values[i].Name);
        for (int k = 0; k < n.AttributeText.Length; k++)
        {
            var a = n.Op.Attributes[k];
            if (a.IsDefault(n.Attributes[k]) && !decl.Args.Any(x => x.Key == a.Name)) continue;
            string text = n.AttributeText[k];
            args.Add(text.StartsWith(a.Name + " = ", StringComparison.Ordinal) ? text : $"{a.Name} = {text}");
        }
        return $"{n.Op.Name}({string.Join(", ", args)})";
    }

    private static string ModeText(string mode) => mode == "eval" ? "evaluation mode" : "training mode";

    private string Heading(TraceEvent e) =>
        e.Mode is { } m && e.Phase is TracePhase.Forward or TracePhase.Backward ? $"{HeadingText(e)} ({ModeText(m)})" : HeadingText(e);

    private string HeadingText(TraceEvent e) => e.Phase switch
    {
        TracePhase.Forward => $"step {e.Step} · forward",
        TracePhase.Backward => _graph.SeedGradient is null
            ? $"step {e.Step} · backward from {_graph.Values[_graph.BackwardFrom].Name} (dJ/d{_graph.Values[_graph.BackwardFrom].Name} = 1)"
            : $"step {e.Step} · backward from {_graph.Values[_graph.BackwardFrom].Name} (assumed dJ/d{_graph.Values[_graph.BackwardFrom].Name})",
        TracePhase.Epoch => $"epoch {e.Step} · summary",
        _ => $"step {e.Step} · update: {(_graph.Optimizer?.Type.Name == "adam" ? "Adam" : "gradient descent")}, learning rate {_graph.Optimizer?.LearningRate}",
    };

    /// <summary>One value's line(s); <paramref name="summary"/>, when given, is its summary already computed.</summary>
    private void Entry(string label, Shape shape, TraceValues values, bool indentLabel = true, string? summary = null)
    {
        var sb = _sb;
        int start = sb.Length;
        if (indentLabel) sb.Append("  ");
        sb.Append(label);
        int left = sb.Length - start;
        sb.Append(' ', Math.Max(left + 1, _labelWidth) - left);
        string shapeText = shape.ToString();
        sb.Append(shapeText);
        if (shapeText.Length < 8) sb.Append(' ', 8 - shapeText.Length);
        sb.Append(' ');
        if (summary is not null) sb.Append(summary);
        else TensorText.Append(sb, shape, values, sb.Length - start, _fullLimit, shapeShown: true);
        sb.AppendLine();
    }
}
