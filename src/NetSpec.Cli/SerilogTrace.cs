using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace NetSpec.Cli;

/// <summary>
/// Sends the interpreter's trace events through Serilog as structured events (Phase, Step, Node,
/// Op, Expression, Shape, Values; Old and Gradient in the update), so any Serilog sink can take
/// them. The two formatters below render them for people and for machines.
/// </summary>
internal sealed class SerilogTraceSink(ILogger logger) : ITraceSink
{
    private static readonly MessageTemplate Template =
        new MessageTemplateParser().Parse("{Phase} step {Step}: {Node} = {Expression} {Shape}");

    public void Emit(TraceEvent e)
    {
        var props = new List<LogEventProperty>(9)
        {
            new("Phase", new ScalarValue(TraceJson.PhaseName(e.Phase))),
            new("Step", new ScalarValue(e.Step)),
            new("Node", new ScalarValue(e.Name)),
            new("Op", new ScalarValue(e.Op)),
            new("Expression", new ScalarValue(e.Expression)),
            new("Shape", new ScalarValue(e.Shape.ToString())),
            new("Values", Sequence(e.Values)),
            new(EventProperty, new ScalarValue(e)),
        };
        if (e.Old is { } old) props.Add(new("Old", Sequence(old)));
        if (e.Gradient is { } grad) props.Add(new("Gradient", Sequence(grad)));
        logger.Write(new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, Template, props));
    }

    /// <summary>The property holding the original event, for NetSpec's own formatters.</summary>
    public const string EventProperty = "TraceEvent";

    private static SequenceValue Sequence(double[] values)
    {
        var items = new ScalarValue[values.Length];
        for (int i = 0; i < values.Length; i++) items[i] = new ScalarValue(values[i]);
        return new SequenceValue(items);
    }

    public static TraceEvent? Original(LogEvent e) =>
        e.Properties.TryGetValue(EventProperty, out var v) && v is ScalarValue { Value: TraceEvent t } ? t : null;
}

/// <summary>Renders trace events as the human-readable layout of <see cref="TraceTextWriter"/>.</summary>
internal sealed class TraceConsoleFormatter(NetworkGraph graph, int fullLimit) : ITextFormatter
{
    private readonly TraceTextWriter _writer = new(graph, fullLimit);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        if (SerilogTraceSink.Original(logEvent) is { } e) _writer.Write(e, output);
    }
}

/// <summary>Renders trace events as deterministic JSON lines (<see cref="TraceJson"/>).</summary>
internal sealed class TraceJsonFormatter : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        if (SerilogTraceSink.Original(logEvent) is not { } e) return;
        output.Write(TraceJson.Line(e));
        output.Write('\n');
    }
}
