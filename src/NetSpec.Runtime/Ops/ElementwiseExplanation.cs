using NetSpec.Runtime.Explain;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// The explanation every element-wise activation shares: forward y_1 = f(x_1) = working = value
/// per entry (the whole vector first when it is small), backward
/// dJ/dx_1 = (dJ/dy_1)(f'(x_1)) = (dJ/dy_1)(value of f') = value.
/// </summary>
internal static class ElementwiseExplanation
{
    /// <param name="e">The explanation being written.</param>
    /// <param name="name">The function's name, as written: relu, leaky_relu, elu.</param>
    /// <param name="working">The working between f(x) and its value for one entry (null: none).</param>
    public static void Forward(Explanation e, string name, Func<MathNumber, MathExpr?> working)
    {
        var (x, y) = (e.Input(0), e.Output);
        e.ForEachSample(() =>
        {
            if (x.Small && x.LocalLength > 1)
                e.Line(y.WholeSym, M.Call(name, x.Matrix()!), y.Matrix()!);
            foreach (int i in e.Entries(y))
                e.Entry(y, i, working(x.NumFlat(i)) is { } w ? [M.Call(name, x.NumFlat(i)), w] : [M.Call(name, x.NumFlat(i))]);
        });
    }

    /// <param name="e">The explanation being written.</param>
    /// <param name="name">The function's name.</param>
    /// <param name="derivative">
    /// f'(x) for an entry given x and y = f(x), or null to read it off the node's own backward
    /// (its share of dJ/dx divided by dJ/dy, where dJ/dy is not 0).
    /// </param>
    public static void Backward(Explanation e, string name, Func<double, double, double>? derivative)
    {
        if (e.Contribution(0) is not { } dx) return;
        var (x, y, dy) = (e.Input(0), e.Output, e.OutputGrad!);
        e.Formula(dx.WholeSym, M.Hadamard(dy.WholeSym, M.Call(name + "'", new MathSymbol(x.Name))));
        e.ForEachSample(() =>
        {
            foreach (int i in e.Entries(dx))
            {
                var first = M.Product(dy.NumFlat(i), M.Call(name + "'", x.NumFlat(i)));
                double? d = derivative is not null ? derivative(x.AtFlat(i), y.AtFlat(i)) : dy.AtFlat(i) != 0 ? dx.AtFlat(i) / dy.AtFlat(i) : null;
                if (d is { } value) e.Entry(dx, i, first, M.Product(dy.NumFlat(i), e.N(value)));
                else e.Entry(dx, i, first);
            }
        });
    }
}
