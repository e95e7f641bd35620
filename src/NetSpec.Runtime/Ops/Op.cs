namespace NetSpec.Runtime.Ops;

/// <summary>One named input slot of an op: a single value, or a list of values (<c>inputs: [L, S]</c>).</summary>
/// <param name="Name">The key written in a node, e.g. <c>x</c> or <c>W</c>.</param>
/// <param name="IsList">Whether the slot takes a list of one or more values.</param>
/// <param name="Differentiable">False for targets: no gradient flows into them.</param>
/// <param name="Distribution">Each row must be a probability distribution (cross-entropy targets).</param>
public sealed record InputSlot(string Name, bool IsList = false, bool Differentiable = true, bool Distribution = false);

/// <summary>A numeric attribute of an op, written as a number or a hyperparameter name.</summary>
/// <param name="Name">The key written in a node, e.g. <c>lambda</c>.</param>
/// <param name="Default">Used when the node omits it; null when required.</param>
/// <param name="NonNegative">Negative values are refused before any computation.</param>
public sealed record AttributeSpec(string Name, double? Default = null, bool NonNegative = false);

/// <summary>
/// An op: its schema (input slots and attributes), its shape rule, and its forward and backward
/// maths side by side. Ops are stateless; a node's buffers live in its <see cref="OpContext{T}"/>.
/// Backward accumulates (<c>+=</c>) into input gradients, so a value used twice receives both
/// contributions.
/// </summary>
public abstract class Op
{
    /// <summary>The op's name in YAML, e.g. <c>linear</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Forward formula in the notes' notation, for docs and traces.</summary>
    public abstract string Formula { get; }

    /// <summary>Backward formulas, for docs.</summary>
    public abstract string GradientFormula { get; }

    public abstract IReadOnlyList<InputSlot> Inputs { get; }

    public virtual IReadOnlyList<AttributeSpec> Attributes => [];

    /// <summary>
    /// Whether the op's derivative jumps where an input element crosses zero (relu at 0);
    /// finite-difference checks skip elements whose perturbation moves such an input across 0.
    /// </summary>
    public virtual bool HasKinkAtZero => false;

    /// <summary>
    /// The output shape for the given input shapes (one per input value, list slots flattened
    /// in order), or a message saying what does not fit; <paramref name="names"/> are the input
    /// values' names for that message.
    /// </summary>
    public abstract ShapeResult InferShape(IReadOnlyList<Shape> shapes, IReadOnlyList<string> names);

    /// <summary>
    /// The output shape when it depends on attributes too (gemm's transposes); the attributes
    /// come in the order of <see cref="Attributes"/>. By default the attributes do not matter.
    /// </summary>
    public virtual ShapeResult InferShape(IReadOnlyList<Shape> shapes, IReadOnlyList<string> names, IReadOnlyList<double> attributes) =>
        InferShape(shapes, names);

    public abstract void Forward<T>(OpContext<T> ctx) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

    public abstract void Backward<T>(OpContext<T> ctx) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;
}

/// <summary>An inferred output shape, or why none exists.</summary>
public readonly record struct ShapeResult(Shape? Shape, string? Error)
{
    public static ShapeResult Ok(Shape shape) => new(shape, null);
    public static ShapeResult Fail(string error) => new(null, error);
}
