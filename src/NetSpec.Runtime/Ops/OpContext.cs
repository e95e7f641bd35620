using System.Numerics;
using NetSpec.Parser.Diagnostics;

namespace NetSpec.Runtime.Ops;

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
        Kernels.GemmOptions gemm = default, string node = "", SourceSpan span = default)
    {
        Gemm = gemm;
        _inputs = inputs;
        _inputGrads = inputGrads;
        Output = output;
        OutputGrad = outputGrad;
        Attributes = attributes;
        Node = node;
        Span = span;
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
