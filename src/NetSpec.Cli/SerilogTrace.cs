using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace NetSpec.Cli;

/// <summary>
/// The Serilog adapter at the edge (<c>netspec run --trace-serilog</c>): sends each trace event
/// through Serilog as a structured event (Phase, Step, Node, Op, Expression, Shape, Values; Old
/// and Gradient in the update), so any Serilog sink can take them. NetSpec's own sinks
/// (<see cref="TraceTextWriter"/>, <see cref="TraceJson"/>) write without it and much faster:
/// this adapter copies every element into a Serilog value.
/// </summary>
internal sealed class SerilogTraceSink(ILogger logger) : ITraceSink
{
    private static readonly MessageTemplate Template =
        new MessageTemplateParser().Parse("{Phase} step {Step}: {Node} = {Expression} {Shape}");

    public void Emit(TraceEvent e)
    {
        // Serilog sinks may render later (batched, in the background): the event keeps its own copy.
        var kept = e.Snapshot();
        var props = new List<LogEventProperty>(10)
        {
            new("Phase", new ScalarValue(TraceJson.PhaseName(e.Phase))),
            new("Step", new ScalarValue(e.Step)),
            new("Node", new ScalarValue(e.Name)),
            new("Op", new ScalarValue(e.Op)),
            new("Expression", new ScalarValue(e.Expression)),
            new("Shape", new ScalarValue(e.Shape.ToString())),
            new("Values", Sequence(kept.Values)),
            new(EventProperty, new ScalarValue(kept)),
        };
        if (kept.Old is { } old) props.Add(new("Old", Sequence(old)));
        if (kept.Gradient is { } grad) props.Add(new("Gradient", Sequence(grad)));
        logger.Write(new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, Template, props));
    }

    /// <summary>The property holding the original event, for NetSpec's own formatters.</summary>
    public const string EventProperty = "TraceEvent";

    private static SequenceValue Sequence(TraceValues values)
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
