namespace NetSpec.Runtime.Trace;

/// <summary>The three phases of a step.</summary>
public enum TracePhase
{
    Forward,
    Backward,
    Update,

    /// <summary>A training run's per-epoch summary: one metric per event, the step is the epoch.</summary>
    Epoch,
}

/// <summary>
/// One traced value. Forward: the value of a data input, parameter or node. Backward: dJ/d of a
/// node, input or parameter. Update: a parameter's old value, its gradient and its new value.
/// </summary>
/// <param name="Phase">forward, backward or update.</param>
/// <param name="Step">1-based optimizer step.</param>
/// <param name="Name">The value's name.</param>
/// <param name="Op">The op of the node, or "data" / "parameter".</param>
/// <param name="Expression">How it was computed, e.g. "linear(x, W, b)", "dJ/dz", "W - 0.001 · dJ/dW".</param>
/// <param name="Shape">The value's shape.</param>
/// <param name="Values">Forward: the value; backward: the gradient; update: the new value.</param>
public sealed record TraceEvent(TracePhase Phase, int Step, string Name, string Op, string Expression, Shape Shape, double[] Values)
{
    /// <summary>Update only: the value before the step.</summary>
    public double[]? Old { get; init; }

    /// <summary>Update only: the gradient used.</summary>
    public double[]? Gradient { get; init; }
}

/// <summary>Receives trace events as the interpreter produces them.</summary>
public interface ITraceSink
{
    void Emit(TraceEvent e);
}

/// <summary>Collects events in memory (tests, golden traces).</summary>
public sealed class CollectingTraceSink : ITraceSink
{
    public List<TraceEvent> Events { get; } = [];

    public void Emit(TraceEvent e) => Events.Add(e);
}
