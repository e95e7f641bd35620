using NetSpec.Parser;
using NetSpec.Parser.Diagnostics;
using NetSpec.Parser.Model;

namespace NetSpec.Runtime.Graph;

/// <summary>
/// Where backward starts (<see cref="From"/>, -1 for a forward-only spec), the gradient it
/// starts with (<see cref="Seed"/>; null means dJ/dJ = 1) and which values a gradient flows to.
/// </summary>
internal sealed record BackwardPlan(int From, double[]? Seed)
{
    /// <summary>
    /// Binds the spec's <c>backward</c> section: the value it names, and its assumed gradient's
    /// shape (a non-scalar objective needs one). Also reports an optimizer without a backward section.
    /// </summary>
    public static BackwardPlan Bind(SpecDocument spec, ValueTable values, Shape?[] shapes, DiagnosticBag d)
    {
        var plan = BindFrom(spec, values, shapes, d);
        if (spec.Optimizer is { } opt && spec.Backward is null && !spec.Unread("backward"))
            d.Error(Codes.NoBackward, opt.Span, "the optimizer needs gradients, but the spec has no 'backward' section saying where backward starts");
        return plan;
    }

    private static BackwardPlan BindFrom(SpecDocument spec, ValueTable values, Shape?[] shapes, DiagnosticBag d)
    {
        if (spec.Backward is not { } bw) return new(-1, null);
        if (!values.TryFind(bw.From.Name, out var vi))
        {
            if (spec.IsReported(bw.From.Name)) return new(-1, null);
            d.Error(Codes.UnknownReference, bw.From.Span, $"backward starts from '{GraphBuilder.Clip(bw.From.Name)}', which is not a value of the spec{Suggest.DidYouMean(bw.From.Name, values.Names)}");
            return new(-1, null);
        }
        if (shapes[vi] is not { } shape) return new(vi, null);
        if (bw.Grad is null)
        {
            if (shape.Length != 1)
                d.Error(Codes.ObjectiveNotScalar, bw.From.Span,
                    $"the objective '{bw.From.Name}' is {shape}, not a scalar; backward from a non-scalar node needs an assumed gradient 'grad:' of shape {shape}");
            return new(vi, null);
        }
        if (!LiteralShapes.Fits(bw.Grad, shape))
        {
            d.Error(Codes.GradShape, bw.Grad.Span, $"the assumed gradient is {LiteralShapes.Describe(bw.Grad)} but '{bw.From.Name}' is {shape}");
            return new(vi, null);
        }
        return new(vi, bw.Grad.Values);
    }

    /// <summary>
    /// The values the backward root depends on through differentiable inputs, by value index: one
    /// pass over the nodes in reverse order. Data values are included (a caller that wants no
    /// data gradients leaves them out: data is never a node's output, so no other value depends
    /// on it).
    /// </summary>
    public static bool[] NeedsGradient(int from, int valueCount, IReadOnlyList<GraphNode> nodes)
    {
        var needs = new bool[valueCount];
        if (from < 0) return needs;
        needs[from] = true;
        for (int k = nodes.Count - 1; k >= 0; k--)
        {
            var n = nodes[k];
            if (!needs[n.Output]) continue;
            for (int i = 0; i < n.Inputs.Length; i++)
                if (n.IsDifferentiable(i)) needs[n.Inputs[i]] = true;
        }
        return needs;
    }
}
