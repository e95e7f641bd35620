using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The class axis of the cross-entropy losses (<c>cross_entropy</c>, <c>softmax_cross_entropy</c>,
/// <c>softmax_cross_entropy_rows</c>): its attribute, its documentation, the shape check shared by
/// the three, and the split of a tensor into Outer x Classes x Inner around it. Every position
/// other than the class axis, (o, i) of the split, is one sample: there are Outer · Inner of them.
/// </summary>
internal static class ClassAxis
{
    /// <summary>The <c>axis</c> attribute: the last axis by default, as N x classes rows are.</summary>
    public static AttributeSpec Attribute { get; } =
        AttributeSpec.Integer("axis", "the class axis, along which each target is a distribution; negative counts from the end (-1, the default: the last; 1 for PyTorch's N x C x d1 x ... layout)",
            -1, -Shape.MaxRank, Shape.MaxRank - 1) with { ShowDefault = false };

    /// <summary>The inputs of the two fused losses: logits x and target distributions y of one shape.</summary>
    public static IReadOnlyList<InputSlot> LogitsAndTargets { get; } =
    [
        new("x", "logits, N x classes (or classes along axis)") { MinRank = 1 },
        new("y", "target distributions along the class axis, the shape of x (no gradient)") { Differentiable = false, Domain = ValueDomain.Distribution },
    ];

    /// <summary>What the three losses say about their class axis and reduction.</summary>
    public const string Convention =
        "The class axis is the last by default (rows of samples, N x classes, as the course notes write them). PyTorch's " +
        "CrossEntropyLoss and ONNX SoftmaxCrossEntropyLoss put the classes on axis 1 of N x C x d1 x ... inputs: a spec writes " +
        "axis: 1 to get that layout (the two agree for N x C). Every position other than the class axis (N x d1 x ...) is a " +
        "sample, as torch does for K-dimensional inputs with probability targets. Targets are probability distributions along " +
        "the class axis (torch's probability targets); softmax_cross_entropy also takes class-index labels, class weights, " +
        "ignore_index and label smoothing.";

    /// <summary>The class axis counted from 0 for an input of rank <paramref name="rank"/>, or null when outside it.</summary>
    public static int? Of(AttributeValues attributes, int rank) => Axes.Normalize(attributes.Integer(0), rank);

    /// <summary>Null when the two inputs fit (same shape, the axis inside it), else the message; <paramref name="what"/> names the first input ("logits").</summary>
    public static string? Check(ShapeQuery q, string what)
    {
        Shape x = q[0], y = q[1];
        if (Of(q.Attributes, x.Rank) is null) return $"{what} {q.Name(0)} are {x}: {Axes.OutOfRange(q.Attributes.Integer(0), x.Rank)}";
        return x.Equals(y) ? null : $"{what} {q.Name(0)} are {x} but target {q.Name(1)} is {y}";
    }

    /// <summary>The first input seen around the class axis: Outer x Classes x Inner.</summary>
    public static (int Outer, int Size, int Inner) Split<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = c.Input(0).Shape;
        return Axes.Split(s, Of(c.Attributes, s.Rank)!.Value);
    }
}
