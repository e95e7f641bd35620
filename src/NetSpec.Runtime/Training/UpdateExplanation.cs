using NetSpec.Runtime.Explain;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;

namespace NetSpec.Runtime.Training;

/// <summary>
/// The written-out arithmetic of each parameter update, rule by rule as <see cref="Optimizer{T}"/>
/// computes it: W*_11 = 1 - (0.001)(20.1) = 0.9799 for sgd; the velocity first for momentum and
/// Nesterov; m, v, their bias corrections and the step for Adam. The state before and after each
/// update (v, m, t) is the optimizer's own, handed over in the update event
/// (<see cref="TraceEvent.State"/>), and the updated values shown are the trace's: nothing is
/// carried or recomputed here but the bias corrections.
/// </summary>
internal sealed class UpdateExplainer
{
    private readonly NetworkGraph _g;
    private readonly ExplainOptions _o;
    private readonly Optimizer<double>? _rates;

    public UpdateExplainer(NetworkGraph graph, ExplainOptions options)
    {
        _g = graph;
        _o = options;
        if (graph.Optimizer is { } decl) _rates = new Optimizer<double>(graph, decl);
    }

    public ExplainBlock Explain(TraceEvent u, bool single)
    {
        var decl = _g.Optimizer!;
        var s = decl.Settings;
        double lr = _rates!.LearningRate(u.Step - 1);
        var old = u.Old!.Value;
        var grad = u.Gradient!.Value;
        var updated = u.Values;
        string name = u.Name;
        int n = updated.Length;
        var items = new List<ExplainItem>();
        MathNumber N(double v) => new(v, single);
        if (_g.Find(name) is { Trainable: false })
        {
            // A frozen parameter keeps its value: its gradient is computed, the optimizer leaves it.
            items.Add(new ExplainNote($"{name} is trainable: false: the optimizer leaves it as it is (its gradient is still computed)."));
            for (int i = 0; i < Math.Min(u.Values.Length, _o.MaxEntries); i++)
            {
                int[]? at = u.Shape.Rank == 0 ? null : [.. ExplainTarget.Unflatten(u.Shape, i).Select(x => x + 1)];
                items.Add(new ExplainEquation(new MathEquation([new MathSymbol(name, at) { Updated = true }, new MathSymbol(name, at), N(u.Values[i])]))
                {
                    Target = new ExplainTarget(name, ExplainKind.Updated, i),
                    Value = u.Values[i],
                });
            }
            return new ExplainBlock(ExplainPhase.Update, name, decl.Type.Name, $"{name}* = {name} (trainable: false)", items);
        }
        MathSymbol P(int[]? idx, bool star = false) => new(name, idx) { Updated = star };
        MathGradient G(int[]? idx) => new(new MathSymbol(name, idx));
        MathSymbol V(string sym, int[]? idx, bool hat = false) => new(sym, idx) { Hat = hat };
        var alpha = new MathSymbol("alpha");
        bool adam = decl.Type.Name == "adam";
        bool momentum = !adam && s.Momentum > 0;
        // The optimizer's own state before and after this update, handed over in the event.
        var state = momentum || adam ? u.State ?? throw new InvalidOperationException($"the update of {name} carries no optimizer state") : null;
        long t = state?.Updates ?? 0;
        double c1 = adam ? 1 - Math.Pow(s.Beta1, t) : 0, c2 = adam ? 1 - Math.Pow(s.Beta2, t) : 0;

        if (adam)
        {
            items.Add(Formula(V("m", null), M.Sum([M.Product(new MathSymbol("beta1"), V("m", null)), M.Product(M.Group(M.Num(1) - new MathSymbol("beta1")), G(null))])));
            items.Add(Formula(V("v", null), M.Sum([M.Product(new MathSymbol("beta2"), V("v", null)), M.Product(M.Group(M.Num(1) - new MathSymbol("beta2")), M.Pow(G(null), M.Num(2)))])));
            items.Add(Formula(P(null, true), P(null) - M.Product(alpha, new MathFraction(V("m", null, true), new MathRoot(V("v", null, true)) + new MathSymbol("epsilon")))));
            items.Add(new ExplainNote($"Adam, update t = {t}: m̂ = m / (1 - beta1^t), v̂ = v / (1 - beta2^t); alpha = {NumberText.Of(lr, 17).Mantissa}, beta1 = {s.Beta1}, beta2 = {s.Beta2}, epsilon = {s.Epsilon}."));
        }
        else if (momentum)
        {
            items.Add(Formula(V("v", null), M.Sum([M.Product(new MathSymbol("mu"), V("v", null)), G(null)])));
            items.Add(s.Nesterov
                ? Formula(P(null, true), P(null) - M.Product(alpha, M.Group(M.Sum([G(null), M.Product(new MathSymbol("mu"), V("v", null))]))))
                : Formula(P(null, true), P(null) - M.Product(alpha, V("v", null))));
        }
        else items.Add(Formula(P(null, true), P(null) - M.Product(alpha, G(null))));

        int shown = Math.Min(n, _o.MaxEntries);
        for (int i = 0; i < shown; i++)
        {
            double g = grad[i];
            int[]? idx = u.Shape.Rank == 0 ? null : [.. ExplainTarget.Unflatten(u.Shape, i).Select(x => x + 1)];
            if (adam)
            {
                double mOld = state!.FirstBefore[i], mNew = state.FirstAfter[i], vOld = state.SecondBefore!.Value[i], vNew = state.SecondAfter!.Value[i];
                double mHat = mNew / c1, vHat = vNew / c2;
                items.Add(Line(V("m", idx), M.Sum([M.Product(N(s.Beta1), N(mOld)), M.Product(N(1 - s.Beta1), N(g))]), N(mNew)));
                items.Add(Line(V("v", idx), M.Sum([M.Product(N(s.Beta2), N(vOld)), M.Product(N(1 - s.Beta2), M.Pow(N(g), M.Num(2)))]), N(vNew)));
                items.Add(Line(V("m", idx, true), new MathFraction(N(mNew), N(c1)), N(mHat)));
                items.Add(Line(V("v", idx, true), new MathFraction(N(vNew), N(c2)), N(vHat)));
                items.Add(Updated(idx, i, N(old[i]) - M.Product(N(lr), new MathFraction(N(mHat), new MathRoot(N(vHat)) + N(s.Epsilon))), updated[i], single));
            }
            else if (momentum)
            {
                double vOld = state!.FirstBefore[i], vNew = state.FirstAfter[i];
                items.Add(Line(V("v", idx), M.Sum([M.Product(N(s.Momentum), N(vOld)), N(g)]), N(vNew)));
                MathExpr step = s.Nesterov ? M.Product(N(lr), M.Group(M.Sum([N(g), M.Product(N(s.Momentum), N(vNew))]))) : M.Product(N(lr), N(vNew));
                items.Add(Updated(idx, i, N(old[i]) - step, updated[i], single));
            }
            else items.Add(Updated(idx, i, N(old[i]) - M.Product(N(lr), N(g)), updated[i], single));
        }
        if (shown < n) items.Add(new ExplainNote($"{name} has {n} entries: the first {shown} are written out (--explain-entries N for more)."));
        return new ExplainBlock(ExplainPhase.Update, name, decl.Type.Name, $"{name}* = {u.Expression}", items);

        ExplainEquation Updated(int[]? idx, int i, MathExpr working, double value, bool single) =>
            new(new MathEquation([P(idx, true), working, new MathNumber(value, single)])) { Target = new ExplainTarget(name, ExplainKind.Updated, i), Value = value };
    }

    private static ExplainEquation Formula(MathExpr lhs, MathExpr rhs) => new(new MathEquation([lhs, rhs])) { IsFormula = true };

    private static ExplainEquation Line(params MathExpr[] sides) => new(new MathEquation(sides));
}
