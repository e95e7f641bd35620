using System.Numerics;
using NetSpec.Parser.Diagnostics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The mode and step of the pass an interpreter is running, shared by all of its nodes' contexts
/// (one object, set once per pass, not once per node).
/// </summary>
public sealed class RunState
{
    /// <summary>Training mode (batch statistics, dropout masks, state updates) or evaluation mode.</summary>
    public bool Training { get; set; } = true;

    /// <summary>The 1-based optimizer step of the pass (0 for an evaluation pass of a training run).</summary>
    public long Step { get; set; }

    /// <summary>
    /// Whether ops may run their fused passes (several element-wise passes in one, the same bits:
    /// <see cref="Execution.InterpreterOptions.FusedPasses"/>); off, each runs its plain passes.
    /// </summary>
    internal bool FusedPasses { get; set; } = true;
}

/// <summary>A value an op shows in the trace besides its output (dropout's mask, batch_norm's batch mean).</summary>
/// <param name="Label">Its name after the node's, e.g. <c>mask</c> for <c>d1.mask</c>.</param>
/// <param name="Expression">How it is computed, for the trace (fixed per node: the step is in the trace's heading).</param>
/// <param name="Value">The tensor, owned by the node's context and reused every pass.</param>
public sealed record SideValue<T>(string Label, string Expression, Tensor<T> Value) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether the op wrote it in the current pass (only those are traced).</summary>
    public bool Written { get; internal set; }
}

/// <summary>
/// What an op sees when it runs for one node: its input values, its output buffer, the
/// gradient arriving at its output and the gradient buffers of its inputs (null where no
/// gradient is needed), and its attributes. Built once per node when the graph is planned and
/// reused every step.
/// </summary>
public sealed class OpContext<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>[] _inputs;
    private readonly Tensor<T>?[] _inputGrads;

    internal OpContext(Tensor<T>[] inputs, Tensor<T>?[] inputGrads, Tensor<T> output, Tensor<T>? outputGrad, AttributeValues attributes,
        Kernels.GemmOptions gemm = default, string node = "", SourceSpan span = default, RunState? run = null)
    {
        _run = run ?? new RunState();
        Gemm = gemm;
        _inputs = inputs;
        _inputGrads = inputGrads;
        Output = output;
        OutputGrad = outputGrad;
        Attributes = attributes;
        Node = node;
        Span = span;
    }

    private readonly RunState _run;
    private readonly List<SideValue<T>> _sides = [];
    private ulong? _nodeKey;

    /// <summary>
    /// Whether the pass runs in training mode (torch's module.training): batch_norm normalizes
    /// with the batch statistics and updates its running statistics, dropout draws a mask. In
    /// evaluation mode batch_norm uses the running statistics and dropout is the identity.
    /// </summary>
    public bool Training => _run.Training;

    /// <summary>The 1-based step of the pass; with <see cref="NodeKey"/>, what a random mask is a function of.</summary>
    public long Step => _run.Step;

    /// <summary>Whether the op may run its fused passes (<see cref="RunState.FusedPasses"/>).</summary>
    internal bool FusedPasses => _run.FusedPasses;

    /// <summary>The node's key for random numbers: FNV-1a (64-bit) of its name (<see cref="Kernels.CounterRandom.NameKey"/>).</summary>
    public ulong NodeKey => _nodeKey ??= Kernels.CounterRandom.NameKey(Node);

    /// <summary>
    /// A value the node shows in the trace this pass, allocated on first use and reused: the op
    /// fills it and the interpreter traces it after the node's output as <c>node.label</c>.
    /// <paramref name="expression"/> is read on first use only (it is fixed per node).
    /// </summary>
    public Tensor<T> Side(string label, Shape shape, Func<OpContext<T>, string> expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        foreach (var s in _sides)
            if (s.Label == label)
            {
                s.Written = true;
                return s.Value;
            }
        var side = new SideValue<T>(label, expression(this), new Tensor<T>(shape)) { Written = true };
        _sides.Add(side);
        return side.Value;
    }

    /// <summary>Side value <paramref name="label"/> as the forward pass wrote it (for backward), or null.</summary>
    public Tensor<T>? WrittenSide(string label)
    {
        foreach (var s in _sides)
            if (s.Label == label) return s.Value;
        return null;
    }

    /// <summary>The node's side values; those with <see cref="SideValue{T}.Written"/> were written in the current pass.</summary>
    public IReadOnlyList<SideValue<T>> Sides => _sides;

    /// <summary>Marks every side value unwritten before a pass.</summary>
    internal void ClearSides()
    {
        foreach (var s in _sides) s.Written = false;
    }

    /// <summary>The node's name, for messages.</summary>
    public string Node { get; }

    /// <summary>Where the spec declares the node.</summary>
    public SourceSpan Span { get; }

    /// <summary>How this node's matrix products run (threads).</summary>
    public Kernels.GemmOptions Gemm { get; }

    /// <summary>The number of inputs the node gives: every required slot and the optional ones it does not leave out.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>Whether the node gives input <paramref name="i"/> (false for an optional slot it leaves out).</summary>
    public bool HasInput(int i) => i < _inputs.Length;
    public Tensor<T> Input(int i) => _inputs[i];

    /// <summary>The gradient buffer of input <paramref name="i"/> to accumulate into, or null.</summary>
    public Tensor<T>? InputGrad(int i) => _inputGrads[i];

    private bool[]? _overwrites;

    /// <summary>
    /// Whether this node is the first contributor to input <paramref name="i"/>'s gradient in the
    /// backward pass, so that an op with <see cref="Op.WritesFirstGradient"/> writes 0 + its
    /// contribution over the buffer (which the interpreter has not cleared) instead of adding to
    /// it. Always false for an op without <see cref="Op.WritesFirstGradient"/>, for a context not
    /// made by an interpreter, and for an input whose gradient buffer is also another input's of
    /// this node (a value listed twice accumulates both contributions into a cleared buffer).
    /// </summary>
    public bool Overwrites(int i) => _overwrites is { } o && o[i];

    /// <summary>Set by the interpreter when it plans the backward pass (see <see cref="Overwrites"/>).</summary>
    internal void SetOverwrites(bool[]? overwrites) => _overwrites = overwrites;

    public Tensor<T> Output { get; }

    /// <summary>dJ/d(output); present during backward for nodes the objective depends on.</summary>
    public Tensor<T>? OutputGrad { get; }

    /// <summary>The node's attribute values, in the order of <see cref="Op.Attributes"/>.</summary>
    public AttributeValues Attributes { get; }

    /// <summary>Attribute <paramref name="i"/> as a number in the element type.</summary>
    public T Number(int i) => T.CreateChecked(Attributes.Number(i));

    private T[]? _scratch;

    /// <summary>A buffer of at least <paramref name="length"/> elements owned by this node, reused every step.</summary>
    public Span<T> Scratch(int length)
    {
        if (_scratch is null || _scratch.Length < length) _scratch = new T[length];
        return _scratch.AsSpan(0, length);
    }

    private object? _state;

    /// <summary>
    /// Per-node state an op computes once from the (fixed) shapes and attributes and reuses every
    /// step, such as broadcast index maps.
    /// </summary>
    public TState State<TState>(Func<OpContext<T>, TState> create) where TState : class
    {
        ArgumentNullException.ThrowIfNull(create);
        return _state as TState ?? (TState)(_state = create(this));
    }
}
