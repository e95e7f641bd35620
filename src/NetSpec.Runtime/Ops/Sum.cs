using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum of any number of same-shape inputs, any rank: K = s_1 + s_2 + ... .
/// Backward: dJ/ds_i += dJ/dK for every input (a name listed twice receives it twice).
/// </summary>
public sealed class Sum : Op
{
    public override string Name => "sum";
    public override string Category => "element-wise";
    public override string Summary => "The element-wise sum of one or more tensors of one shape, e.g. an objective J = L + S.";
    public override string Formula => "K = s_1 + s_2 + ...";
    public override string GradientFormula => "dJ/ds_i = dJ/dK for every input i";
    public override string ShapeRule => "every input the same shape (any rank); K: that shape";
    public override string Convention =>
        "ONNX Sum without broadcasting: every input has one shape (use add to broadcast). A name listed twice counts twice, in the value and in its gradient.";
    public override string Example => "{op: sum, inputs: [L, S]}";
    public override bool WritesFirstGradient => true;
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("inputs", "one or more tensors of one shape") { IsList = true }];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("three inputs", [[batch, 3], [batch, 3], [batch, 3]]),
        new("one input", [[batch, 4]]),
        new("scalars", [[], []]),
        new("rank 3", [[batch, 2, 3], [batch, 2, 3]]),
        new("rank 4", [[batch, 2, 1, 3], [batch, 2, 1, 3], [batch, 2, 1, 3]]),
        new("a value listed twice", [[batch, 3], [batch, 3], [batch, 3]]) { Shared = [[0, 2]] },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): k - 1 adds per element forward for k inputs; backward one add per element of each input (accumulating dJ/dK).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new OpCost((inputs.Count - 1.0) * output.Length, [.. inputs.Select(s => (double)s.Length)]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        for (int i = 1; i < q.Count; i++)
            if (!q[i].Equals(q[0]))
                return ShapeResult.Fail($"input {q.Name(i)} is {q[i]} but input {q.Name(0)} is {q[0]}: sum adds values of one shape");
        return ShapeResult.Ok(q[0]);
    }

    // Explanation: K_1 = 50 + 5 = 55; backward dJ/ds_1 = dJ/dK = 1.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var k = e.Output;
        e.ForEachSample(() =>
        {
            foreach (int i in e.Entries(k))
                e.Entry(k, i, Explain.M.Sum([.. Enumerable.Range(0, e.InputCount).Select(j => (Explain.MathExpr)e.Input(j).NumFlat(i))]));
        });
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var dk = e.OutputGrad!;
        for (int j = 0; j < e.InputCount; j++)
        {
            if (e.Contribution(j) is not { } ds) continue;
            e.ForEachSample(() =>
            {
                foreach (int i in e.Entries(ds))
                    e.Entry(ds, i, dk.SymFlat(i));
            });
        }
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var y = c.Output.Span;
        c.Input(0).Span.CopyTo(y);
        for (int i = 1; i < c.InputCount; i++) Vec.AddInPlace<T>(c.Input(i).Data, y);
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int i = 0; i < c.InputCount; i++)
            if (c.InputGrad(i) is { } dx)
            {
                if (c.Overwrites(i)) Vec.CopyAsSum<T>(c.OutputGrad!.Data, dx.Data);
                else Vec.AddInPlace<T>(c.OutputGrad!.Data, dx.Data);
            }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Sum (from opset 8 ONNX broadcasts; NetSpec's shape rule takes inputs of one shape only).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("Sum") { MinOpset = 6 }];

    // PyTorch: the node's forward as torch code (see TorchForm); a value listed twice counts twice in autograd too.

    /// <summary>s_1 + s_2 + ... (one input: a copy of it, a tensor of its own).</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of(node.Count == 1 ? $"{node[0]}.clone()" : Py.Sum(node.Inputs));
    }
}
