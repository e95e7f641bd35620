using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>One named input slot of an op: a single value, or a list of values (<c>inputs: [L, S]</c>).</summary>
/// <param name="Name">The key written in a node, e.g. <c>x</c> or <c>W</c>.</param>
/// <param name="Doc">What the input is, with its shape, e.g. "rows of samples, N x in".</param>
public sealed record InputSlot(string Name, string Doc)
{
    /// <summary>Whether the slot takes a list of one or more values.</summary>
    public bool IsList { get; init; }

    /// <summary>
    /// Whether a node may leave the input out (a convolution's bias, class weights). Optional
    /// slots come after every required one, and a node that gives one gives every optional slot
    /// before it, so the inputs present are always the first ones: <see cref="OpContext{T}.HasInput"/>.
    /// </summary>
    public bool Optional { get; init; }

    /// <summary>False for targets and indices: no gradient flows into them.</summary>
    public bool Differentiable { get; init; } = true;

    /// <summary>Where the values lie: for the gradient check's random inputs, and checked on inline data for distributions.</summary>
    public ValueDomain Domain { get; init; } = ValueDomain.Real;

    /// <summary>Smallest rank the slot takes (checked by <see cref="Op.Setup"/>).</summary>
    public int MinRank { get; init; }

    /// <summary>Largest rank the slot takes.</summary>
    public int MaxRank { get; init; } = Shape.MaxRank;

    /// <summary>
    /// State the op updates in forward, in training mode only (batch_norm's running mean and
    /// variance): the input must name a parameter, which receives no gradient, is not updated by
    /// the optimizer, and is saved and restored with the other parameters by checkpoints and
    /// parameter files. Such a slot is never <see cref="Differentiable"/>.
    /// </summary>
    public bool State { get; init; }

    /// <summary>
    /// How the op updates a <see cref="State"/> input, shown in the trace: <c>{value}</c> stands for
    /// the parameter's name and <c>{node}</c> for the node's, e.g.
    /// "(1 - momentum) · {value} + momentum · {node}.mean".
    /// </summary>
    public string StateRule { get; init; } = "";

    /// <summary>Each line along the op's <see cref="Op.DistributionAxis"/> (the last axis unless the op says otherwise) must be a probability distribution (cross-entropy targets).</summary>
    public bool Distribution => Domain == ValueDomain.Distribution;
}

/// <summary>
/// An op: everything NetSpec knows about it, in one file. Its name, formulas, input slots and
/// typed attributes, shape rule, forward and backward maths side by side, kinks for gradient
/// checks, random gradient-check cases and ONNX forms. The JSON Schema's op rules, the op tables
/// of the docs, <c>netspec ops</c>, the "known ops" lists, the gradient-check tests and the op
/// benchmarks are all generated from these definitions.
/// </summary>
/// <remarks>
/// Ops are stateless; a node's buffers live in its <see cref="OpContext{T}"/>. Backward
/// accumulates (<c>+=</c>) into input gradients, so a value used twice receives both
/// contributions; an op with <see cref="WritesFirstGradient"/> overwrites instead where its node
/// is a gradient's first contributor (<see cref="OpContext{T}.Overwrites"/>), which saves the
/// interpreter clearing that buffer. Before a node runs, the sealed <see cref="Setup"/> checks its input count,
/// attribute values and input ranks, then asks the op's own shape rule; while it runs, any
/// exception is wrapped with the node's name and position (<see cref="RunForward{T}"/>).
/// </remarks>
public abstract class Op
{
    /// <summary>The op's name in YAML, e.g. <c>linear</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The family the docs list it under, e.g. "activation", "loss", "linear algebra".</summary>
    public abstract string Category { get; }

    /// <summary>One sentence: what the op computes.</summary>
    public abstract string Summary { get; }

    /// <summary>Forward formula in the notes' notation, e.g. <c>z = Wx + b</c>.</summary>
    public abstract string Formula { get; }

    /// <summary>Backward formulas, e.g. <c>dJ/dW = dJ/dz x^T; ...</c>.</summary>
    public abstract string GradientFormula { get; }

    /// <summary>The shape rule in words, e.g. "x: ... x in, W: out x in, b: out; z: ... x out".</summary>
    public abstract string ShapeRule { get; }

    /// <summary>The convention followed (PyTorch's, ONNX's or the course notes') and how it differs from others; null when there is nothing to say.</summary>
    public virtual string? Convention => null;

    /// <summary>A node using the op, in YAML flow style, e.g. <c>{op: relu, x: z}</c>.</summary>
    public abstract string Example { get; }

    public abstract IReadOnlyList<InputSlot> Inputs { get; }

    public virtual IReadOnlyList<AttributeSpec> Attributes => [];

    /// <summary>
    /// Whether the op's derivative jumps where an input element crosses zero (relu at 0);
    /// finite-difference checks skip elements whose perturbation moves such an input across 0.
    /// </summary>
    public virtual bool HasKinkAtZero => false;

    /// <summary>
    /// The axis (counted from 0) along which each line of an input whose slot has
    /// <see cref="ValueDomain.Distribution"/> must be a probability distribution, for a node with
    /// <paramref name="attributes"/> and an input of rank <paramref name="rank"/>: the class axis of
    /// the cross-entropy losses (their <c>axis</c> attribute); the last axis unless an op says otherwise.
    /// </summary>
    public virtual int DistributionAxis(AttributeValues attributes, int rank) => rank - 1;

    /// <summary>
    /// Whether the op computes differently in training and evaluation mode
    /// (<see cref="OpContext{T}.Training"/>): batch_norm's batch or running statistics, dropout's
    /// mask or identity. The trace of a graph with such an op shows the mode of every pass.
    /// </summary>
    public virtual bool DependsOnMode => false;

    /// <summary>
    /// Whether the op's backward honours <see cref="OpContext{T}.Overwrites"/>: where the context
    /// says the node is the first contributor to an input's gradient in the pass, the op writes
    /// its contribution as 0 + contribution (so that signed zeros come out as accumulating into a
    /// cleared buffer does) over the buffer's old contents, and the interpreter does not clear
    /// that buffer first. False (the default): the op always accumulates into cleared buffers.
    /// </summary>
    public virtual bool WritesFirstGradient => false;

    /// <summary>
    /// Where the values of input <paramref name="index"/> lie for a node whose inputs have
    /// <paramref name="shapes"/>: the slot's <see cref="InputSlot.Domain"/>, unless what an input
    /// means depends on its shape (softmax_cross_entropy's targets are distributions of the
    /// scores' shape, or class indices without the class axis). Read by the checks of inline
    /// targets and by the gradient check's random inputs.
    /// </summary>
    public virtual ValueDomain InputDomain(int index, IReadOnlyList<Shape> shapes, AttributeValues attributes)
    {
        var slots = Inputs;
        return slots[Math.Min(index, slots.Count - 1)].Domain;
    }

    /// <summary>
    /// What the op needs of its input shapes in training mode that evaluation mode does not need,
    /// or null when they fit (batch_norm: more than one value per channel). The graph builder
    /// reports it at the node for a spec whose steps run in training mode.
    /// </summary>
    public virtual string? TrainingModeError(IReadOnlyList<Shape> inputShapes) => null;

    /// <summary>The op's ONNX forms (see <see cref="OnnxForm"/>); empty when it has none.</summary>
    public virtual IReadOnlyList<OnnxForm> OnnxForms => [];

    /// <summary>
    /// Whether the op exports as a chain of ONNX nodes written by <see cref="WriteOnnx"/>
    /// instead of by its first <see cref="OnnxForms"/> entry.
    /// </summary>
    public virtual bool WritesOwnOnnx => false;

    /// <summary>Writes the op's ONNX chain (only for <see cref="WritesOwnOnnx"/>).</summary>
    public virtual void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node) =>
        throw new NotSupportedException($"op '{Name}' has no ONNX chain of its own");

    /// <summary>
    /// The node's forward as PyTorch code (see <see cref="TorchForm"/>, <see cref="TorchNode"/>), whose
    /// autograd gives the op's backward; a refusal with the reason when the op has no faithful torch form.
    /// </summary>
    public virtual TorchForm ToTorch(TorchNode node) => TorchForm.Refuse($"op '{Name}' has no PyTorch form");

    /// <summary>
    /// The random-input cases of the finite-difference gradient check at batch size
    /// <paramref name="batch"/>: at least one, at ranks above 2 where the op takes them.
    /// </summary>
    public abstract IEnumerable<GradientCase> GradientCases(int batch);

    /// <summary>
    /// The node's FLOPs (see <see cref="OpCost"/> for the convention) for inputs of
    /// <paramref name="inputs"/> shapes (list slots flattened), output <paramref name="output"/>
    /// and <paramref name="attributes"/>. The default fits an element-wise op: with n the elements
    /// of the output (or of the largest input, when that is larger: a reduction reads every
    /// element), n forward, and 2n backward for each differentiable input (the chain-rule product
    /// dJ/dy ⊙ dy/dx and its accumulation into dJ/dx), 0 for the others. Ops whose work is not
    /// one operation per element (products, convolutions, pools, softmax, norms, losses, data
    /// movement) override it.
    /// </summary>
    public virtual OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double n = output.Length;
        foreach (var s in inputs) n = Math.Max(n, s.Length);
        var backward = new double[inputs.Count];
        var slots = Inputs;
        bool list = slots.Count == 1 && slots[0].IsList;
        for (int i = 0; i < inputs.Count; i++)
        {
            var slot = list ? slots[0] : slots[Math.Min(i, slots.Count - 1)];
            backward[i] = slot.Differentiable && !slot.State ? 2 * n : 0;
        }
        return new OpCost(n, backward);
    }

    /// <summary>The index of the attribute named <paramref name="name"/>, or -1.</summary>
    public int AttributeIndex(string name)
    {
        var attrs = Attributes;
        for (int i = 0; i < attrs.Count; i++)
            if (attrs[i].Name == name) return i;
        return -1;
    }

    /// <summary>
    /// The sealed setup step, run for every node before anything computes: the number of input
    /// values, each attribute against its type and range, each input's rank against its slot;
    /// then the op's own shape rule. Returns the output shape or what does not fit.
    /// </summary>
    /// <param name="shapes">One shape per input value (list slots flattened in order).</param>
    /// <param name="names">The input values' names, for messages.</param>
    /// <param name="attributes">The node's attribute values, in the order of <see cref="Attributes"/>.</param>
    public ShapeResult Setup(IReadOnlyList<Shape> shapes, IReadOnlyList<string> names, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(attributes);
        var slots = Inputs;
        bool list = slots.Count == 1 && slots[0].IsList;
        int required = RequiredInputs;
        if (list ? shapes.Count < 1 : shapes.Count < required || shapes.Count > slots.Count)
            return ShapeResult.Fail($"{Name} takes {(list ? "at least one input" : InputCountText(required, slots.Count))}, not {shapes.Count}");
        if (names.Count != shapes.Count) return ShapeResult.Fail($"{shapes.Count} input shapes but {names.Count} names");
        if (attributes.Count != Attributes.Count)
            return ShapeResult.Fail($"{Name} has {Attributes.Count} attribute{(Attributes.Count == 1 ? "" : "s")}, not {attributes.Count}");
        for (int i = 0; i < Attributes.Count; i++)
            if (Attributes[i].Check(attributes[i]) is { } must)
                return ShapeResult.Fail($"attribute '{Attributes[i].Name}' must be {must}, not {attributes[i]}");
        for (int i = 0; i < shapes.Count; i++)
        {
            var slot = list ? slots[0] : slots[i];
            int r = shapes[i].Rank;
            if (r < slot.MinRank || r > slot.MaxRank)
                return ShapeResult.Fail($"input {slot.Name} ({names[i]}) is {shapes[i]}, but {Name} takes {RankText(slot)} there");
        }
        return InferShape(new ShapeQuery(shapes, names, attributes));
    }

    /// <summary>The number of input slots a node must give (the slots before the first optional one).</summary>
    public int RequiredInputs
    {
        get
        {
            var slots = Inputs;
            int n = 0;
            while (n < slots.Count && !slots[n].Optional) n++;
            return n;
        }
    }

    private static string InputCountText(int required, int all) =>
        required == all ? $"{all} input{(all == 1 ? "" : "s")}" : $"{required} to {all} inputs";

    private static string RankText(InputSlot s) =>
        s.MinRank == s.MaxRank ? (s.MinRank switch { 0 => "a scalar", 1 => "a vector", 2 => "a matrix", _ => $"rank {s.MinRank}" })
        : s.MaxRank >= Shape.MaxRank ? $"rank {s.MinRank} or more"
        : $"rank {s.MinRank} to {s.MaxRank}";

    /// <summary>The op's own shape rule, after <see cref="Setup"/>'s checks passed.</summary>
    protected abstract ShapeResult InferShape(ShapeQuery q);

    /// <summary>Runs the forward pass of one node; an exception is wrapped with the node's name and position.</summary>
    public void RunForward<T>(OpContext<T> ctx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(ctx);
        try
        {
            Dispatch(ctx, backward: false);
        }
        catch (Exception e) when (e is not OpRunException)
        {
            throw new OpRunException(ctx.Node, ctx.Span, Name, "forward", e);
        }
    }

    /// <summary>Runs the backward pass of one node; an exception is wrapped with the node's name and position.</summary>
    public void RunBackward<T>(OpContext<T> ctx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(ctx);
        try
        {
            Dispatch(ctx, backward: true);
        }
        catch (Exception e) when (e is not OpRunException)
        {
            throw new OpRunException(ctx.Node, ctx.Span, Name, "backward", e);
        }
    }

    private void Dispatch<T>(OpContext<T> ctx, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) Run((OpContext<float>)(object)ctx, backward);
        else if (typeof(T) == typeof(double)) Run((OpContext<double>)(object)ctx, backward);
        else throw new NotSupportedException($"op '{Name}' runs over float and double, not {typeof(T).Name}");
    }

    /// <summary>
    /// Runs the node's forward pass over float32 (computes its output from its inputs) or, with
    /// <paramref name="backward"/>, its backward pass (adds its contribution to each input gradient
    /// that is not null). Each op implements both overloads with one line that calls its own
    /// generic <c>Forward&lt;T&gt;</c> and <c>Backward&lt;T&gt;</c>: a direct call, so ReadyToRun
    /// precompiles the maths of every op for both types (the instantiations of a generic virtual
    /// method it does not precompile, and the JIT would compile them at start).
    /// </summary>
    protected abstract void Run(OpContext<float> c, bool backward);

    /// <summary>The forward or backward pass over float64 (see the float32 overload).</summary>
    protected abstract void Run(OpContext<double> c, bool backward);

    // Explanation: the arithmetic a student writes by hand, beside the maths it explains.

    /// <summary>
    /// Writes the node's forward computation with its numbers (<c>netspec run --explain</c>, the
    /// report, worksheets): per sample, each output entry as the notes write it, e.g.
    /// <c>z_1 = (1)(10) + (2)(5) + 4 = 24</c>. The default writes the op's formula, then each
    /// output entry as op(inputs) = value; ops override it with their arithmetic.
    /// </summary>
    public virtual void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var call = Explain.M.Call(Name, [.. Enumerable.Range(0, e.InputCount).Select(i => (Explain.MathExpr)new Explain.MathSymbol(e.Input(i).Name))]);
        e.Note(Formula);
        e.ForEachSample(() =>
        {
            var y = e.Output;
            foreach (int i in e.Entries(y)) e.Entry(y, i, call);
        });
    }

    /// <summary>
    /// Writes the node's backward computation: each input's gradient (this node's share of it) with
    /// its numbers, e.g. <c>dJ/dW_11 = (dJ/dz_1)(x_1) = (2)(10) = 20</c>. The default writes the
    /// values of each share after the op's gradient formula; ops override it with their arithmetic.
    /// </summary>
    public virtual void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        for (int i = 0; i < e.InputCount; i++)
        {
            if (e.Contribution(i) is not { } g) continue;
            void Write()
            {
                foreach (int k in e.Entries(g)) e.Entry(g, k);
            }
            if (g.Batched) e.ForEachSample(Write);
            else Write();
        }
    }
}

/// <summary>What an op's shape rule is asked about: the input shapes, their names and the attributes.</summary>
public sealed class ShapeQuery(IReadOnlyList<Shape> shapes, IReadOnlyList<string> names, AttributeValues attributes)
{
    public IReadOnlyList<Shape> Shapes { get; } = shapes;
    public IReadOnlyList<string> Names { get; } = names;
    public AttributeValues Attributes { get; } = attributes;
    public int Count => Shapes.Count;
    public Shape this[int i] => Shapes[i];
    public string Name(int i) => Names[i];
}

/// <summary>An inferred output shape, or why none exists.</summary>
public readonly record struct ShapeResult(Shape? Shape, string? Error)
{
    public static ShapeResult Ok(Shape shape) => new(shape, null);
    public static ShapeResult Fail(string error) => new(null, error);
}

/// <summary>An op failed while running a node: a bug in NetSpec, reported with the node and where the spec declares it.</summary>
public sealed class OpRunException(string node, Parser.Diagnostics.SourceSpan span, string op, string phase, Exception inner)
    : Exception($"{span}: node '{node}' ({op}) failed in its {phase} pass: {inner.Message}", inner)
{
    public string Node { get; } = node;
    public Parser.Diagnostics.SourceSpan Span { get; } = span;
}
