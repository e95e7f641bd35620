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
/// The values are views of the interpreter's tensors (no copy, no per-element object): read
/// them during <see cref="ITraceSink.Emit"/>, or keep a <see cref="Snapshot"/>.
/// </summary>
/// <param name="Phase">forward, backward or update.</param>
/// <param name="Step">1-based optimizer step.</param>
/// <param name="Name">The value's name.</param>
/// <param name="Op">The op of the node, or "data" / "parameter".</param>
/// <param name="Expression">How it was computed, e.g. "linear(x, W, b)", "dJ/dz", "W - 0.001 · dJ/dW".</param>
/// <param name="Shape">The value's shape.</param>
/// <param name="Values">Forward: the value; backward: the gradient; update: the new value.</param>
public sealed record TraceEvent(TracePhase Phase, int Step, string Name, string Op, string Expression, Shape Shape, TraceValues Values)
{
    /// <summary>Update only: the value before the step.</summary>
    public TraceValues? Old { get; init; }

    /// <summary>Update only: the gradient used.</summary>
    public TraceValues? Gradient { get; init; }

    /// <summary>
    /// Update only: the optimizer's state for the parameter before and after the update (momentum's
    /// velocity, Adam's moments and update count), for explanations; null for plain gradient
    /// descent. Not part of the trace file.
    /// </summary>
    public OptimizerState? State { get; init; }

    /// <summary>
    /// The mode of the pass, "train" or "eval", on the forward and backward events and the epoch
    /// metrics of a graph with an op that depends on it (batch_norm, dropout); null otherwise.
    /// </summary>
    public string? Mode { get; init; }

    /// <summary>The trace's name of a mode: "train" or "eval".</summary>
    public static string ModeName(bool training) => training ? "train" : "eval";

    /// <summary>The event with copies of its values, which later steps do not change.</summary>
    public TraceEvent Snapshot() => this with { Values = Values.Copy(), Old = Old?.Copy(), Gradient = Gradient?.Copy(), State = State?.Copy() };
}

/// <summary>
/// An optimizer's state for one parameter around one update: momentum's velocity v or Adam's
/// first moment m (<paramref name="FirstBefore"/>, <paramref name="FirstAfter"/>), Adam's second
/// moment v, and Adam's update count t (0 for the others).
/// </summary>
public sealed record OptimizerState(TraceValues FirstBefore, TraceValues FirstAfter, TraceValues? SecondBefore, TraceValues? SecondAfter, long Updates)
{
    /// <summary>The state with copies of its values.</summary>
    public OptimizerState Copy() => new(FirstBefore.Copy(), FirstAfter.Copy(), SecondBefore?.Copy(), SecondAfter?.Copy(), Updates);
}

/// <summary>Receives trace events as the interpreter produces them.</summary>
public interface ITraceSink
{
    /// <summary>Takes one event; its values are views valid only during the call.</summary>
    void Emit(TraceEvent e);
}

/// <summary>Collects snapshots of the events in memory (tests, golden traces).</summary>
public sealed class CollectingTraceSink : ITraceSink
{
    public List<TraceEvent> Events { get; } = [];

    public void Emit(TraceEvent e) => Events.Add(e.Snapshot());
}

/// <summary>Sends every event to each of several sinks, in order.</summary>
public sealed class TraceFanOut(params ITraceSink[] sinks) : ITraceSink
{
    public void Emit(TraceEvent e)
    {
        foreach (var s in sinks) s.Emit(e);
    }
}
