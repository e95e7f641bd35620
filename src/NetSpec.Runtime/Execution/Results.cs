using NetSpec.Parser.Diagnostics;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Runtime.Execution;

/// <summary>What one expectation found.</summary>
/// <param name="Expectation">The expectation and the value it names.</param>
/// <param name="Passed">Whether every element is within tolerance.</param>
/// <param name="Actual">The computed values.</param>
/// <param name="WorstIndex">Index of the element farthest outside its allowance (or the largest error when it passed).</param>
/// <param name="WorstError">|actual - expected| at that element.</param>
public sealed record ExpectationResult(BoundExpectation Expectation, bool Passed, double[] Actual, int WorstIndex, double WorstError)
{
    /// <summary>|actual - expected| / |expected| at the worst element (infinite when expected is 0 and they differ).</summary>
    public double WorstRelativeError
    {
        get
        {
            double e = Expectation.Spec.Value.Values[WorstIndex];
            return WorstError == 0 ? 0 : WorstError / Math.Abs(e);
        }
    }
}

/// <summary>The first NaN or infinity produced: where, and the op's inputs at that moment.</summary>
public sealed record NumericFault(TracePhase Phase, int Step, string Node, string Op, string What, SourceSpan Span, IReadOnlyList<string> InputSummaries);

/// <summary>How the interpreter runs.</summary>
public sealed record InterpreterOptions
{
    /// <summary>Compute gradients of data inputs too (the trace shows dJ/dx); training turns this off.</summary>
    public bool DataGradients { get; init; } = true;

    /// <summary>Stop at the first NaN or infinity (the default), or carry on.</summary>
    public bool StopOnNonFinite { get; init; } = true;

    /// <summary>
    /// Most threads a matrix product may use (1: the calling thread only). Results are
    /// bit-identical whatever the count.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Let the first contributor to a gradient overwrite its buffer instead of clearing it and
    /// accumulating (for ops with <see cref="Ops.Op.WritesFirstGradient"/>): the same numbers, bit
    /// for bit, without a pass that clears the buffer. Off, every gradient buffer is cleared before
    /// each backward pass and every op accumulates (the tests compare the two).
    /// </summary>
    internal bool FirstWriterOverwrites { get; init; } = true;

    /// <summary>
    /// Run fused passes where an op or the interpreter has them (e.g. the softmax cross-entropy's
    /// exponentials of every row in one call, a linear layer's bias with the relu after it): the
    /// same numbers, bit for bit, in fewer passes over the buffers. Off, every op runs its plain
    /// passes (the tests compare the two).
    /// </summary>
    internal bool FusedPasses { get; init; } = true;
}
