using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Class-index labels (nll_loss, softmax_cross_entropy): whole numbers 0..C-1 stored in a float
/// tensor, one per sample, shaped as the scores without their class axis; the ignore_index
/// attribute; the shape rule; and how one label is read.
/// </summary>
internal static class ClassLabels
{
    /// <summary>The <c>ignore_index</c> attribute, torch's default -100.</summary>
    public static AttributeSpec IgnoreIndex { get; } =
        AttributeSpec.Integer("ignore_index", "a label value whose samples count for nothing: loss 0, no gradient, left out of the mean's denominator (torch's default -100; it may be a class, 0..C-1)", -100)
            with { ShowDefault = false };

    /// <summary>What the class-index labels are, for the docs.</summary>
    public const string Convention =
        "Class-index labels are whole numbers 0..C-1 stored as floats (NetSpec's tensors are float), one per sample: the " +
        "scores' shape without the class axis (N for N x C, N x d1 x ... for N x C x d1 x ...). A data vector of N labels, " +
        "which data reads as a batch of one (1 x N), is taken as the N labels of N x C scores. A label equal to " +
        "ignore_index (default -100, as torch's) contributes nothing: loss 0, no gradient, weight 0 in the mean. Inline " +
        "labels that are neither a class nor ignore_index are refused before running (NS0506); a label computed by a " +
        "node that is neither gives NaN, which stops the run at this node (torch raises an error).";

    /// <summary>Whether <paramref name="y"/> is shaped as class indices for scores <paramref name="x"/> with classes along <paramref name="axis"/>.</summary>
    public static bool Fits(Shape x, int axis, Shape y) =>
        y.Equals(Axes.Reduce(x, [axis], keep: false))
        // A data vector of N labels is read as 1 x N; for N x C scores it is the N labels.
        || x.Rank == 2 && axis == 1 && y.Rank == 2 && y[0] == 1 && y[1] == x[0];

    /// <summary>"N x d1 (the scores' shape without axis 1)": the labels' shape for a message.</summary>
    public static string Expected(Shape x, int axis)
    {
        var s = Axes.Reduce(x, [axis], keep: false);
        return s.Rank == 0 ? "a scalar" : s.ToString();
    }

    /// <summary>Label value <paramref name="v"/> as a class 0..C-1, <see cref="Ignored"/> for ignore_index, <see cref="Invalid"/> otherwise.</summary>
    public static int Of<T>(T v, int classes, int ignore) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double d = double.CreateTruncating(v);
        if (d == ignore) return Ignored;
        return d >= 0 && d < classes && d == Math.Floor(d) ? (int)d : Invalid;
    }

    /// <summary>Whether a label value (as written in a spec) is a class 0..C-1 or the ignore index.</summary>
    public static bool Valid(double d, int classes, int ignore) => d == ignore || d >= 0 && d < classes && d == Math.Floor(d);

    public const int Ignored = -1;
    public const int Invalid = -2;
}
