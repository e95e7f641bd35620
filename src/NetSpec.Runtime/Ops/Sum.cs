using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Sum of any number of same-shape inputs: K = s_1 + s_2 + ... .
/// Backward: dJ/ds_i = dJ/dK for every input.
/// </summary>
public sealed class Sum : Op
{
    public override string Name => "sum";
    public override string Formula => "K = s_1 + s_2 + ...";
    public override string GradientFormula => "dJ/ds_i = dJ/dK";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("inputs", IsList: true)];

    public override ShapeResult InferShape(IReadOnlyList<Shape> s, IReadOnlyList<string> n)
    {
        for (int i = 1; i < s.Count; i++)
            if (!s[i].Equals(s[0]))
                return ShapeResult.Fail($"input {n[i]} is {s[i]} but input {n[0]} is {s[0]}: sum adds values of one shape");
        return ShapeResult.Ok(s[0]);
    }

    public override void Forward<T>(OpContext<T> c)
    {
        var y = c.Output.Span;
        c.Input(0).Span.CopyTo(y);
        for (int i = 1; i < c.InputCount; i++) Vec.AddInPlace<T>(c.Input(i).Data, y);
    }

    public override void Backward<T>(OpContext<T> c)
    {
        for (int i = 0; i < c.InputCount; i++)
            if (c.InputGrad(i) is { } dx) Vec.AddInPlace<T>(c.OutputGrad!.Data, dx.Data);
    }
}
