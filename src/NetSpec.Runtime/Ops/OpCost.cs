namespace NetSpec.Runtime.Ops;

/// <summary>
/// What one node costs in floating-point operations (FLOPs), as <see cref="Op.Cost"/> counts
/// them: <see cref="Forward"/> for computing the output, and for each input value (list slots
/// flattened, in order) the FLOPs of its gradient's contribution in backward, 0 for an input that
/// takes no gradient. The model summary (<c>netspec summary</c>) adds the backward parts of the
/// inputs the graph actually needs gradients of.
/// </summary>
/// <remarks>
/// The convention, the same for every op: a multiply-add counts 2 FLOPs (a multiply and an add),
/// as torch.utils.flop_counter and TensorFlow's profiler count a matrix product (2 m n k);
/// fvcore and ptflops report multiply-accumulates (MACs), half of these figures for products.
/// A comparison, a division, a square root and a transcendental function (exp, log, tanh, erf)
/// count 1 each; moving or copying data (reshape, transpose, pad, concat) counts 0.
/// Accumulating a gradient (<c>+=</c>) counts 1 per element. Figures are exact counts of the
/// formulas, not of a particular kernel's instructions.
/// </remarks>
public sealed record OpCost(double Forward, IReadOnlyList<double> Backward)
{
    /// <summary>The backward FLOPs of every input together (as if each took a gradient).</summary>
    public double BackwardTotal => Backward.Sum();

    /// <summary>An op that computes nothing: it moves data (reshape, transpose, concat).</summary>
    public static OpCost Free(int inputs) => new(0, new double[inputs]);
}
