using System.Numerics;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The <c>reduction</c> attribute of the losses that follow torch.nn's (mse_loss, the binary
/// cross-entropies, nll_loss, softmax_cross_entropy): mean (the default), sum or none, and the
/// ONNX nodes that reduce a chain's per-element losses.
/// </summary>
internal static class LossReduction
{
    public const string Mean = "mean";
    public const string Sum = "sum";
    public const string None = "none";

    /// <summary>The attribute, as torch.nn's losses and ONNX's take it (mean by default).</summary>
    public static AttributeSpec Attribute(string mean) =>
        AttributeSpec.Enum("reduction", $"mean: {mean}; sum: their sum; none: the losses, not reduced", Mean, Mean, Sum, None) with { ShowDefault = false };

    /// <summary>The node's reduction word, attribute <paramref name="index"/>.</summary>
    public static string Of(AttributeValues attributes, int index) => attributes.Choice(index);

    /// <summary>The output shape: a scalar for mean and sum, <paramref name="perElement"/> for none.</summary>
    public static Shape Output(AttributeValues attributes, int index, Shape perElement) =>
        Of(attributes, index) == None ? perElement : Shape.Scalar;

    /// <summary>
    /// Writes the ONNX node that reduces <paramref name="losses"/> into the node's output: ReduceMean
    /// or ReduceSum over every axis (no axes, keepdims 0: the same form from opset 13 to 18), or
    /// Identity for none.
    /// </summary>
    public static void WriteOnnx(IOnnxWriter writer, string name, string losses, string reduction)
    {
        switch (reduction)
        {
            case Mean: writer.Node("ReduceMean", $"{name}/mean", [losses], name, ("keepdims", 0L)); break;
            case Sum: writer.Node("ReduceSum", $"{name}/sum", [losses], name, ("keepdims", 0L)); break;
            default: writer.Node("Identity", $"{name}/none", [losses], name); break;
        }
    }
}

/// <summary>
/// The shared frame of element-wise losses of a prediction and a target of one shape (mse_loss,
/// binary_cross_entropy, binary_cross_entropy_with_logits): l_i = f(x_i, y_i) element by element,
/// then reduced by the <c>reduction</c> attribute: the mean over every element (the default, as
/// torch.nn's losses), their sum, or none (the losses, x's shape). Backward:
/// dJ/dx_i += g_i ∂f/∂x_i(x_i, y_i), with g_i = dJ/dL / n (mean, n elements), dJ/dL (sum) or
/// dJ/dL_i (none). The target gets no gradient (NetSpec's targets are data). An op may take a
/// third, optional input w, a vector along the last axis (binary_cross_entropy_with_logits'
/// pos_weight): f and its derivative get w_j of element i's last-axis position j, 1 without it.
/// </summary>
public abstract class ElementwiseLoss : Op
{
    public override string Category => "loss";

    public override string ShapeRule => "x and y: the same shape, any rank (0 to 8); L: a scalar (mean, sum), or x's shape (none)";

    public override IReadOnlyList<AttributeSpec> Attributes { get; } = [LossReduction.Attribute("the mean over every element")];

    /// <summary>Ranks 2, 3 and 4 under each reduction, a vector and a scalar.</summary>
    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("rank 2, mean", [[batch, 3], [batch, 3]]),
        new("rank 3, sum", [[batch, 2, 3], [batch, 2, 3]]) { Attributes = [("reduction", "sum")] },
        new("rank 4, none", [[batch, 2, 1, 3], [batch, 2, 1, 3]]) { Attributes = [("reduction", "none")] },
        new("rank 3, none", [[batch, 3, 2], [batch, 3, 2]]) { Attributes = [("reduction", "none")] },
        new("vector, mean", [[4], [4]]),
        new("scalar, sum", [[], []]) { Attributes = [("reduction", "sum")] },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 3 per element forward (the element's loss, about 2, and the reduction's add); backward 3 per element of the prediction (its derivative, times the upstream gradient, accumulate); none to inputs without a gradient.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var backward = new double[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) backward[i] = i < Inputs.Count && Inputs[i].Differentiable ? 3.0 * inputs[0].Length : 0;
        return new OpCost(3.0 * inputs[0].Length, backward);
    }

    protected sealed override ShapeResult InferShape(ShapeQuery q)
    {
        if (!q[0].Equals(q[1]))
            return ShapeResult.Fail($"input {Inputs[0].Name} ({q.Name(0)}) is {q[0]} but the target {Inputs[1].Name} ({q.Name(1)}) is {q[1]}: {Name} takes them of one shape");
        if (q.Count > 2 && (q[0].Rank == 0 || q[2].Length != q[0][q[0].Rank - 1]))
            return ShapeResult.Fail($"{Inputs[2].Name} {q.Name(2)} is {q[2]}, but {Name} takes a vector of {Inputs[0].Name}'s last axis ({(q[0].Rank == 0 ? "a scalar has none" : q[0][q[0].Rank - 1].ToString(System.Globalization.CultureInfo.InvariantCulture))})");
        return ShapeResult.Ok(LossReduction.Output(q.Attributes, 0, q[0]));
    }

    /// <summary>The loss of one element in double, for the explanation (the op's f).</summary>
    private protected abstract double Loss(double x, double y, double w);

    /// <summary>Exported as a chain of ONNX element-wise nodes (ONNX has no op for the loss), then ReduceMean, ReduceSum or Identity.</summary>
    /// <summary>One element's loss from its numbers (x_i, y_i and w_i, null without a third input): (0.5 - 1)^2; null: the generic explanation.</summary>
    protected virtual Explain.MathExpr? ExplainTerm(Explain.MathNumber x, Explain.MathNumber y, Explain.MathNumber? w) => null;

    /// <summary>The factors of one element's derivative dl_i/dx_i: [2, (x - y)] for mse.</summary>
    protected virtual IReadOnlyList<Explain.MathExpr>? ExplainDerivative(Explain.MathNumber x, Explain.MathNumber y, Explain.MathNumber? w) => null;

    private static Explain.MathNumber? WeightOf(Explain.Explanation e, int i) =>
        e.InputCount > 2 ? OpExplain.NumFlat(e.Input(2), i % e.Input(2).Shape.Length) : null;

    /// <summary>
    /// Each element's loss written out, then the reduction: L = (1/n)(l_1 + ... + l_n) for the mean
    /// (the averaging over the batch written out), their sum, or the losses entry by entry (none).
    /// </summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), y = e.Input(1), l = e.Output;
        int n = x.Shape.Length;
        Explain.MathExpr? Term(int i) => ExplainTerm(OpExplain.NumFlat(x, i), OpExplain.NumFlat(y, i), WeightOf(e, i));
        if (n == 0 || Term(0) is null)
        {
            base.ExplainForward(e);
            return;
        }
        e.Note(Formula);
        string reduction = LossReduction.Of(e.Attributes, 0);
        if (reduction == LossReduction.None)
        {
            OpExplain.Each(e, l, () =>
            {
                foreach (int k in e.Entries(l)) e.Entry(l, k, Term(OpExplain.Flat(l.Shape, OpExplain.Full(e, l, k)))!);
            });
            return;
        }
        bool mean = reduction == LossReduction.Mean;
        if (n <= 4)
        {
            var terms = Enumerable.Range(0, n).Select(i => Term(i)!).ToList();
            e.Entry(l, 0, mean ? OpExplain.Mean(terms, n) : OpExplain.Sum(terms));
            return;
        }
        // More elements: each loss on its line (the first ones when many), then their mean or sum.
        int shown = Math.Min(n, e.Options.MaxEntries);
        if (shown < n) e.Note($"{x.Name} has {n} elements: the losses of the first {shown} are written out, then the {(mean ? "mean" : "sum")} of all {n}");
        var losses = new double[n];
        for (int i = 0; i < n; i++)
        {
            losses[i] = Loss(x.Values[i], y.Values[i], e.InputCount > 2 ? e.Input(2).Values[i % e.Input(2).Shape.Length] : 1.0) + 0.0;
            if (i < shown) e.Line(new Explain.MathSymbol("l", [i + 1]), Term(i)!, new Explain.MathNumber(losses[i], x.Single));
        }
        List<Explain.MathExpr> parts = n <= OpExplain.MaxTerms ? [.. losses.Select(v => (Explain.MathExpr)new Explain.MathNumber(v, x.Single))] : [new Explain.MathNumber(losses.Sum(), x.Single)];
        e.Entry(l, 0, mean ? OpExplain.Mean(parts, n) : OpExplain.Sum(parts));
    }

    /// <summary>dJ/dx_i = g dl_i/dx_i entry by entry, g = dJ/dL / n (mean), dJ/dL (sum) or dJ/dl_i (none).</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor x = e.Input(0), y = e.Input(1), g = e.OutputGrad!;
        IReadOnlyList<Explain.MathExpr>? Factors(int i) => ExplainDerivative(OpExplain.NumFlat(x, i), OpExplain.NumFlat(y, i), WeightOf(e, i));
        if (x.Shape.Length == 0 || Factors(0) is null || e.Contribution(0) is not { } dx)
        {
            base.ExplainBackward(e);
            return;
        }
        e.Note(GradientFormula);
        string reduction = LossReduction.Of(e.Attributes, 0);
        int n = x.Shape.Length;
        OpExplain.Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int i = OpExplain.Flat(x.Shape, OpExplain.Full(e, dx, k));
                var d = Factors(i)!;
                if (reduction == LossReduction.None) e.Entry(dx, k, new Explain.MathProduct([OpExplain.NumFlat(g, i), .. d]));
                else
                {
                    Explain.MathExpr chain = new Explain.MathProduct([OpExplain.NumFlat(g, 0), .. d]);
                    e.Entry(dx, k, reduction == LossReduction.Mean && n > 1 ? new Explain.MathFraction(chain, new Explain.MathNumber(n)) : chain);
                }
            }
        });
    }

    public override bool WritesOwnOnnx => true;

    public sealed override void WriteOnnx(IOnnxWriter writer, OnnxNodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        string losses = WriteLosses(writer, node.Name, node.Inputs[0], node.Inputs[1], node.Inputs.Count > 2 ? node.Inputs[2] : null);
        LossReduction.WriteOnnx(writer, node.Name, losses, LossReduction.Of(node.Attributes, 0));
    }

    /// <summary>Writes the ONNX nodes of the element-wise losses of <paramref name="x"/> and <paramref name="y"/> (and the weights <paramref name="w"/>, when given) and returns the name of their output.</summary>
    protected abstract string WriteLosses(IOnnxWriter writer, string name, string x, string y, string? w);
}

/// <summary>
/// The loss of one element and its derivative, as static members of a struct: called directly
/// (no generic virtual call per element) and precompiled by the ReadyToRun build (see
/// <see cref="IUnaryFunction{TSelf}"/>).
/// </summary>
public interface IElementLoss<TSelf> where TSelf : struct, IElementLoss<TSelf>
{
    /// <summary>The loss of one element, prediction x and target y, with the element's weight w (1 unless the op takes a third input).</summary>
    static abstract T F<T>(T x, T y, T w) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>∂f/∂x at (x, y, w).</summary>
    static abstract T Dfdx<T>(T x, T y, T w) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// An element-wise loss over its element function <typeparamref name="TF"/> (see
/// <see cref="ElementwiseLoss"/>); the op file's two <c>Run</c> lines call <see cref="Step{T}"/>
/// (see <see cref="ElementwiseUnary{TF}"/> for why they are the op's own).
/// </summary>
/// <typeparam name="TF">The op's f and ∂f/∂x (a struct, so that every call is direct).</typeparam>
public abstract class ElementwiseLoss<TF> : ElementwiseLoss where TF : struct, IElementLoss<TF>
{
    private protected sealed override double Loss(double x, double y, double w) => TF.F(x, y, w);

    /// <summary>The third argument of f for element <paramref name="i"/>: input 2 at i's position along the last axis, or 1.</summary>
    private static T W<T>(OpContext<T> c, int i) where T : unmanaged, IFloatingPointIeee754<T> =>
        c.HasInput(2) ? c.Input(2)[i % c.Input(2).Length] : T.One;

    /// <summary>The forward (the losses, reduced) or the backward pass (dJ/dx) of one node.</summary>
    protected static void Step<T>(OpContext<T> c, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(c);
        if (backward) Backward(c);
        else Forward(c);
    }

    private static void Forward<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = c.Input(0).Span;
        var y = c.Input(1).Span;
        var o = c.Output.Span;
        if (LossReduction.Of(c.Attributes, 0) == LossReduction.None)
        {
            for (int i = 0; i < x.Length; i++) o[i] = TF.F(x[i], y[i], W(c, i));
            return;
        }
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) sum += TF.F(x[i], y[i], W(c, i));
        o[0] = LossReduction.Of(c.Attributes, 0) == LossReduction.Mean ? sum / T.CreateChecked(x.Length) : sum;
    }

    private static void Backward<T>(OpContext<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c.InputGrad(0) is not { } dxt) return;
        var x = c.Input(0).Span;
        var y = c.Input(1).Span;
        var g = c.OutputGrad!.Span;
        var dx = dxt.Span;
        switch (LossReduction.Of(c.Attributes, 0))
        {
            case LossReduction.None:
                for (int i = 0; i < x.Length; i++) dx[i] += g[i] * TF.Dfdx(x[i], y[i], W(c, i));
                break;
            default:
                T scale = LossReduction.Of(c.Attributes, 0) == LossReduction.Mean ? g[0] / T.CreateChecked(x.Length) : g[0];
                for (int i = 0; i < x.Length; i++) dx[i] += scale * TF.Dfdx(x[i], y[i], W(c, i));
                break;
        }
    }
}
