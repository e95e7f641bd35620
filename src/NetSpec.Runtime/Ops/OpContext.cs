using System.Numerics;

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
    private readonly double[] _attributes;

    internal OpContext(Tensor<T>[] inputs, Tensor<T>?[] inputGrads, Tensor<T> output, Tensor<T>? outputGrad, double[] attributes,
        Kernels.GemmOptions gemm = default)
    {
        Gemm = gemm;
        _inputs = inputs;
        _inputGrads = inputGrads;
        Output = output;
        OutputGrad = outputGrad;
        _attributes = attributes;
    }

    /// <summary>How this node's matrix products run (threads).</summary>
    public Kernels.GemmOptions Gemm { get; }

    public int InputCount => _inputs.Length;
    public Tensor<T> Input(int i) => _inputs[i];

    /// <summary>The gradient buffer of input <paramref name="i"/> to accumulate into, or null.</summary>
    public Tensor<T>? InputGrad(int i) => _inputGrads[i];

    public Tensor<T> Output { get; }

    /// <summary>dJ/d(output); present during backward for nodes the objective depends on.</summary>
    public Tensor<T>? OutputGrad { get; }

    private T[]? _scratch;

    /// <summary>A buffer of at least <paramref name="length"/> elements owned by this node, reused every step.</summary>
    public Span<T> Scratch(int length)
    {
        if (_scratch is null || _scratch.Length < length) _scratch = new T[length];
        return _scratch.AsSpan(0, length);
    }

    /// <summary>Attribute <paramref name="i"/> in the order of <see cref="Op.Attributes"/>.</summary>
    public T Attribute(int i) => T.CreateChecked(_attributes[i]);
}
