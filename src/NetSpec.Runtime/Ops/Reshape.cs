using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The same elements in row-major order under another shape: y = x read as shape (ONNX Reshape
/// with allowzero = 0: an entry 0 copies x's size on that axis, one entry -1 is inferred from the
/// element count). Backward: dJ/dx = dJ/dy read back as x's shape.
/// </summary>
/// <remarks>
/// Training builds the graph again for other batch sizes (the last, partial batch; validation
/// and test), so a spec that reshapes its batch writes 0 or -1 in the batch position
/// (<c>shape: [0, 1, 8, 8]</c> or <c>[-1, 1, 8, 8]</c>), never the batch size itself.
/// </remarks>
public sealed class Reshape : Op
{
    public override string Name => "reshape";
    public override string Category => "shape";
    public override string Summary => "The same elements in row-major order under another shape (0 copies an axis, -1 infers one).";
    public override string Formula => "y = x read in row-major order as shape (y_i = x_i for every flat index i)";
    public override string GradientFormula => "dJ/dx = dJ/dy read back as x's shape";
    public override string ShapeRule =>
        "x: any shape; y: shape, where an entry 0 is x's size on the same axis and one entry -1 is the element count divided by the other entries; y has as many elements as x";
    public override string Convention =>
        "ONNX Reshape with allowzero = 0 (its default) and torch.reshape: the elements keep their row-major order. An entry 0 copies " +
        "x's size on the same axis (ONNX's rule; torch has no 0 entry), and at most one entry is -1, inferred so that the element " +
        "counts match (torch's -1). ONNX's allowzero = 1 (0 means an empty axis) has no NetSpec form: tensors hold at least one value. " +
        "Write 0 or -1 in the batch position (shape: [0, 1, 8, 8] or [-1, 1, 8, 8] for N x 64 rows read as N x 1 x 8 x 8 images): " +
        "training runs the graph at other batch sizes too, and the ONNX export then serves any batch. torch's x.view(n, -1) is " +
        "shape: [0, -1] here.";
    public override string Example => "{op: reshape, x: x, shape: [0, 1, 8, 8]}";

    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("x", "any tensor, rank 0 to 8")];

    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Integers("shape", "the output's sizes, at most 8: each >= 1, or 0 to copy x's size on that axis, or -1 (once) to infer it from the element count", null, -1),
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2 to rank 3, 0 keeps the batch", [[batch, 6]]) { Attributes = [("shape", "[0, 2, 3]")] },
        new("rank 3 to a vector", [[batch, 2, 3]]) { Attributes = [("shape", "[-1]")] },
        new("a vector to rank 2", [[6]]) { Attributes = [("shape", "[3, 2]")] },
        new("a scalar to 1 x 1", [[]]) { Attributes = [("shape", "[1, 1]")] },
        new("1 x 1 to a scalar", [[1, 1]]) { Attributes = [("shape", "[]")] },
        new("rank 4 to rank 2, -1 infers the rest", [[batch, 2, 3, 2]]) { Attributes = [("shape", "[0, -1]")] },
        new("rank 2 to rank 4, -1 in the batch position", [[batch, 12]]) { Attributes = [("shape", "[-1, 3, 2, 2]")] },
        new("rank 5 to rank 3", [[batch, 2, 1, 3, 2]]) { Attributes = [("shape", "[0, 0, -1]")] },
        new("rank 3 to rank 5", [[batch, 4, 3]]) { Attributes = [("shape", "[0, 2, 1, 2, 3]")] },
    ];

    /// <summary>
    /// The output dims for an input of shape <paramref name="x"/> and the attribute
    /// <paramref name="shape"/>, or why none exist.
    /// </summary>
    internal static (int[]? Dims, string? Error) Resolve(Shape x, string name, IReadOnlyList<int> shape)
    {
        string Text() => "[" + string.Join(", ", shape) + "]";
        if (shape.Count > Shape.MaxRank) return (null, $"shape {Text()} has {shape.Count} entries; NetSpec tensors have at most {Shape.MaxRank} axes");
        var dims = new int[shape.Count];
        int infer = -1;
        long known = 1;
        for (int k = 0; k < shape.Count; k++)
        {
            int s = shape[k];
            if (s == -1)
            {
                if (infer >= 0) return (null, $"shape {Text()} has -1 at axes {infer} and {k}; at most one axis is inferred");
                infer = k;
                continue;
            }
            if (s == 0)
            {
                if (k >= x.Rank) return (null, $"shape {Text()} has 0 at axis {k}, which copies {name}'s size there, but {name} is {Describe(x)}, with no axis {k}");
                s = x[k];
            }
            dims[k] = s;
            known *= s;
            if (known > int.MaxValue) return (null, $"shape {Text()} has more than {int.MaxValue} elements");
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Length % known != 0)
                return (null, $"shape {Text()} cannot take the {x.Length} elements of {name} ({Describe(x)}): the other entries give {known} per step of the -1 axis, which does not divide {x.Length}");
            dims[infer] = (int)(x.Length / known);
        }
        else if (known != x.Length)
            return (null, $"shape {Text()} holds {known} elements, but {name} ({Describe(x)}) has {x.Length}");
        return (dims, null);
    }

    private static string Describe(Shape s) => s.Rank == 0 ? "a scalar" : s.ToString();

    /// <summary>FLOPs (see <see cref="OpCost"/>): none forward (it moves data); backward one add per element of each input (accumulating its part of dJ/dy).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost(0, [.. inputs.Select(s => (double)s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var (dims, error) = Resolve(q[0], q.Name(0), q.Attributes.Integers(0));
        return dims is null ? ShapeResult.Fail(error!) : ShapeResult.Ok(new Shape(dims));
    }

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(Formula);
        OpExplain.Moves(e, backward: false, f => (0, f));
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        OpExplain.Moves(e, backward: true, f => (0, f));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => c.Input(0).Span.CopyTo(c.Output.Span);

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is { } dx) Vec.AddInPlace<T>(c.OutputGrad!.Data, dx.Span);
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>
    /// ONNX Reshape: from opset 5 the shape is a constant int64 input (before 5 an attribute).
    /// allowzero (opset 14) = 1 is taken only when the shape has no 0 entry, where it means what
    /// allowzero = 0 does. The export is written by <see cref="WriteOnnx"/>.
    /// </summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Reshape")
        {
            MinOpset = 5,
            ImportOnly = true,
            Note = "allowzero = 1 only where shape has no 0",
            Inputs = ["x", "@shape"],
            CheckedAttributes = ["allowzero"],
            ImportCheck = q => q.Attribute("allowzero")?.Number == 1 && q.Constant(1) is { } s && s.Contains(0)
                ? $"allowzero = 1 with a 0 in shape [{string.Join(", ", s)}] asks for an axis of size 0, and NetSpec tensors hold at least one value"
                : null,
        },
        new("Reshape")
        {
            MaxOpset = 4,
            ImportOnly = true,
            Attributes = [new OnnxAttribute("shape", "shape")],
            CheckedAttributes = ["consumed_inputs"],
        },
    ];

    /// <summary>
    /// Writes ONNX Reshape with a shape that holds at any batch size: a first entry that is a
    /// fixed size becomes 0 when the output keeps x's first axis (the batch), else -1 when no
    /// other entry is -1. Both give the same shape at the exported batch size, and follow the
    /// batch when the model's batch dimension is symbolic.
    /// </summary>
    public override bool WritesOwnOnnx => true;

    public override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        long[] shape = [.. node.Attributes[0].Integers];
        if (shape.Length > 0 && shape[0] > 0)
        {
            if (node.InputShapes[0].Rank > 0 && node.InputShapes[0][0] == node.Output[0]) shape[0] = 0;
            else if (!shape.Contains(-1)) shape[0] = -1;
        }
        writer.Node("Reshape", node.Name, [node.Inputs[0], writer.Int64s($"{node.Name}/shape", shape)], node.Name);
    }

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>x.reshape(...) with an entry 0 as x.shape[k] at run time (so any batch size fits) and -1 as torch's.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var dims = node.Attributes.Integers(0).Select((s, k) => s == 0 ? $"{node[0]}.shape[{k}]" : Py.Int(s)).ToList();
        return TorchForm.Of($"{node[0]}.reshape({(dims.Count == 0 ? "()" : string.Join(", ", dims))})");
    }
}
