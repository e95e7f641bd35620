namespace NetSpec.Runtime.Ops;

/// <summary>
/// One random-input case of an op's finite-difference gradient check: the shapes of its inputs
/// (list slots take several) and the attributes, written as in a spec. The check builds a spec of
/// one node over random data of these shapes (drawn in each slot's <see cref="ValueDomain"/>),
/// seeds backward with a random upstream gradient, and compares every input gradient with
/// central differences; it also runs the node twice on the same inputs, summed, so that each
/// input receives two contributions (accumulation).
/// </summary>
/// <param name="Label">What the case covers, e.g. "rank 3, broadcast over the batch".</param>
/// <param name="InputShapes">One shape per input value, in slot order (a list slot's values in a row).</param>
public sealed record GradientCase(string Label, IReadOnlyList<int[]> InputShapes)
{
    /// <summary>Attributes as written in a spec node, e.g. <c>("axis", "1")</c>.</summary>
    public IReadOnlyList<(string Name, string Yaml)> Attributes { get; init; } = [];

    /// <summary>The mode the check runs in, "train" or "eval"; null: the default of a spec with backward (train).</summary>
    public string? Mode { get; init; }

    /// <summary>Input positions that take the same value (a: A, b: A): the case checks accumulation within one node.</summary>
    public IReadOnlyList<int[]> Shared { get; init; } = [];
}

/// <summary>Where the random inputs of a gradient check are drawn for a slot.</summary>
public enum ValueDomain
{
    /// <summary>Uniform in [-1, 1] (away from 0 for ops with a kink at 0).</summary>
    Real,

    /// <summary>Uniform in [0.2, 2] (log, sqrt, divisors).</summary>
    Positive,

    /// <summary>Each line along the op's <see cref="Op.DistributionAxis"/> (the last axis by default) a probability distribution (cross-entropy targets).</summary>
    Distribution,

    /// <summary>Uniform in [0.05, 0.95] (binary targets and probabilities).</summary>
    Probability,

    /// <summary>
    /// Class indices, whole numbers in [0, C) stored as floats, C the size of the op's first
    /// input (the scores) along its <see cref="Op.DistributionAxis"/>; when the case sets the op's
    /// <c>ignore_index</c> attribute, about a third of them (never the first) are that value.
    /// </summary>
    ClassIndex,
}
