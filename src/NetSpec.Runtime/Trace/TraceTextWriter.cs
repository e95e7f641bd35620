using NetSpec.Runtime.Graph;

namespace NetSpec.Runtime.Trace;

/// <summary>
/// Renders trace events for people, laid out the way the notes lay them out: a heading per
/// phase and step, then one entry per value (matrices in rows).
/// </summary>
public sealed class TraceTextWriter
{
    private const int MaxLabelWidth = 56;
    private readonly int _labelWidth;
    private readonly NetworkGraph _graph;
    private readonly int _fullLimit;
    private (TracePhase Phase, int Step)? _section;

    private TextWriter _out = TextWriter.Null;

    public TraceTextWriter(NetworkGraph graph, int fullLimit)
    {
        _graph = graph;
        _fullLimit = fullLimit;
        int widest = graph.Values.Max(v => v.Kind == ValueKind.Node
            ? v.Name.Length + 3 + graph.Nodes[v.Producer].Expression.Length
            : v.Name.Length + 12);
        _labelWidth = Math.Min(MaxLabelWidth, widest + 4);
    }

    /// <summary>Writes one event; a heading first when the phase or step changes.</summary>
    public void Write(TraceEvent e, TextWriter output)
    {
        _out = output;
        if (_section != (e.Phase, e.Step))
        {
            _section = (e.Phase, e.Step);
            _out.WriteLine();
            _out.WriteLine(Heading(e));
        }
        switch (e.Phase)
        {
            case TracePhase.Forward:
                string label = e.Op is "data" or "parameter" ? $"{e.Name} ({e.Op})" : $"{e.Name} = {e.Expression}";
                Entry(label, e.Shape, e.Values);
                break;
            case TracePhase.Backward:
                Entry(e.Expression, e.Shape, e.Values);
                break;
            case TracePhase.Update:
                _out.WriteLine($"  {e.Name}* = {e.Expression}");
                Entry($"    {e.Name}", e.Shape, e.Old!, indentLabel: false);
                Entry($"    dJ/d{e.Name}", e.Shape, e.Gradient!, indentLabel: false);
                Entry($"    {e.Name}*", e.Shape, e.Values, indentLabel: false);
                break;
            case TracePhase.Epoch:
                Entry($"{e.Name} ({e.Expression})", e.Shape, e.Values);
                break;
        }
    }

    private string Heading(TraceEvent e) => e.Phase switch
    {
        TracePhase.Forward => $"step {e.Step} · forward",
        TracePhase.Backward => _graph.SeedGradient is null
            ? $"step {e.Step} · backward from {_graph.Values[_graph.BackwardFrom].Name} (dJ/d{_graph.Values[_graph.BackwardFrom].Name} = 1)"
            : $"step {e.Step} · backward from {_graph.Values[_graph.BackwardFrom].Name} (assumed dJ/d{_graph.Values[_graph.BackwardFrom].Name})",
        TracePhase.Epoch => $"epoch {e.Step} · summary",
        _ => $"step {e.Step} · update: {(_graph.Optimizer?.Type.Name == "adam" ? "Adam" : "gradient descent")}, learning rate {_graph.Optimizer?.LearningRate}",
    };

    private void Entry(string label, Shape shape, double[] values, bool indentLabel = true)
    {
        string left = (indentLabel ? "  " : "") + label;
        string shapeText = shape.ToString();
        int pad = Math.Max(left.Length + 1, _labelWidth);
        string head = left.PadRight(pad) + shapeText.PadRight(8) + " ";
        _out.WriteLine(head + TensorText.Format(shape, values, head.Length, _fullLimit));
    }
}
