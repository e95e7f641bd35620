using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Explaining;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Cli.Worksheets;

/// <summary>
/// One run of a spec with its explanation and its trace: the values a worksheet's key shows and
/// <c>check-answers</c> grades against are the trace's, and each value's working is the
/// explanation's line for it (nothing is recomputed here).
/// </summary>
internal sealed class ExplainedRun
{
    private ExplainedRun(NetworkGraph graph, ExplainDocument document, IReadOnlyList<TraceEvent> events, RunResult result)
    {
        Graph = graph;
        Document = document;
        Events = events;
        Result = result;
    }

    public NetworkGraph Graph { get; }
    public ExplainDocument Document { get; }
    public IReadOnlyList<TraceEvent> Events { get; }
    public RunResult Result { get; }

    /// <summary>Runs every step of <paramref name="graph"/> (not a training spec) with the explainer and a collecting sink.</summary>
    public static ExplainedRun Of(NetworkGraph graph, ExplainOptions options)
    {
        var explainer = new Explainer(graph, options);
        var collect = new CollectingTraceSink();
        var result = NetSpecEngine.Run(graph, new InterpreterOptions { StopOnNonFinite = true }, new TraceFanOut(collect, explainer));
        return new ExplainedRun(graph, explainer.Finish(), collect.Events, result);
    }

    /// <summary>The traced values of <paramref name="name"/> of this kind in <paramref name="step"/>, or null when the run has none.</summary>
    public TraceEvent? Find(int step, ExplainKind kind, string name) => Find(Events, step, kind, name);

    public static TraceEvent? Find(IEnumerable<TraceEvent> events, int step, ExplainKind kind, string name)
    {
        var phase = kind switch { ExplainKind.Forward => TracePhase.Forward, ExplainKind.Gradient => TracePhase.Backward, _ => TracePhase.Update };
        // A state parameter is traced twice in forward: its value at the start of the pass comes first.
        return events.FirstOrDefault(e => e.Step == step && e.Phase == phase && e.Name == name);
    }

    /// <summary>The steps the run traced.</summary>
    public IReadOnlyList<int> Steps => [.. Events.Where(e => e.Phase != TracePhase.Epoch).Select(e => e.Step).Distinct()];

    /// <summary>The line of the explanation that computes <paramref name="target"/> in <paramref name="step"/>: its own line, else the line writing the whole value out.</summary>
    public ExplainEquation? Working(int step, ExplainTarget target)
    {
        var s = Document.Steps.FirstOrDefault(x => x.Step == step);
        if (s is null) return null;
        ExplainEquation? whole = null;
        foreach (var b in s.Blocks)
            foreach (var item in b.Items)
                if (item is ExplainEquation eq && !eq.IsFormula)
                {
                    if (eq.Target == target) return eq;
                    if (eq.Target is null && whole is null && Blanks.KindOf(b.Phase) == target.Kind && Blanks.FirstName(eq) == target.Value) whole = eq;
                }
        return whole;
    }
}
