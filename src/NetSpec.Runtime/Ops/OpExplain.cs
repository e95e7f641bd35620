using NetSpec.Runtime.Explain;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Small pieces the ops' explanations share: indexing a tensor by its full (batch-including)
/// index, summing a list of terms as the notes write it, and writing each entry of a gradient
/// as the sum of the terms an op scatters into it. Every number comes from the
/// <see cref="ExplainTensor"/> values (the trace's); nothing here rounds.
/// </summary>
internal static class OpExplain
{
    /// <summary>The most terms written out in one sum; a longer sum is said to be left out.</summary>
    public const int MaxTerms = 32;

    /// <summary>Runs <paramref name="body"/> once per sample when <paramref name="t"/> is batched, else once.</summary>
    public static void Each(Explanation e, ExplainTensor t, Action body)
    {
        if (t.Batched) e.ForEachSample(body);
        else body();
    }

    /// <summary>The full index (the batch axis first when batched) of entry <paramref name="local"/> of the current sample.</summary>
    public static int[] Full(Explanation e, ExplainTensor t, int local)
    {
        var idx = t.Unflatten(local);
        return t.Batched ? [e.Sample, .. idx] : idx;
    }

    /// <summary>The row-major flat index of <paramref name="index"/> in <paramref name="shape"/>.</summary>
    public static int Flat(Shape shape, ReadOnlySpan<int> index)
    {
        int f = 0;
        for (int k = 0; k < index.Length; k++) f = f * shape[k] + index[k];
        return f;
    }

    /// <summary>The index of <paramref name="shape"/>'s entry that a broadcast output entry <paramref name="full"/> reads (aligned on the right, size-1 axes repeated).</summary>
    public static int[] Broadcast(int[] full, Shape shape)
    {
        var r = new int[shape.Rank];
        int off = full.Length - shape.Rank;
        for (int k = 0; k < shape.Rank; k++) r[k] = shape[k] == 1 ? 0 : full[off + k];
        return r;
    }

    /// <summary>The value at a full index.</summary>
    public static double At(ExplainTensor t, int[] full) => t.Values[Flat(t.Shape, full)];

    /// <summary>The number at a full index, in the run's precision.</summary>
    public static MathNumber Num(ExplainTensor t, int[] full) => new(At(t, full), t.Single);

    /// <summary>The number at a full flat index.</summary>
    public static MathNumber NumFlat(ExplainTensor t, int flat) => new(t.Values[flat], t.Single);

    /// <summary>The symbol of the entry at a full index (the sample's own subscripts when batched).</summary>
    public static MathExpr Sym(ExplainTensor t, int[] full) => t.Batched ? t.Sym(full[1..]) : t.Sym(full);

    /// <summary>The full multi-index of a full flat index.</summary>
    public static int[] Unflatten(Shape shape, int flat) => ExplainTarget.Unflatten(shape, flat);

    /// <summary>The terms as a sum (one term as itself, none as 0).</summary>
    public static MathExpr Sum(IReadOnlyList<MathExpr> terms) => terms.Count switch
    {
        0 => new MathNumber(0),
        1 => terms[0],
        _ => new MathSum(terms),
    };

    /// <summary>(1/n)(sum) as the notes average: the sum's terms written out.</summary>
    public static MathExpr Mean(IReadOnlyList<MathExpr> terms, int n) =>
        n == 1 ? Sum(terms) : new MathProduct([new MathFraction(new MathNumber(1), new MathNumber(n)), Sum(terms)]);

    /// <summary>
    /// Writes each entry of <paramref name="g"/> (sample by sample when batched) as the sum of the
    /// terms in <paramref name="terms"/> (keyed by the entry's full flat index); an entry with no
    /// term is 0. A sum longer than <see cref="MaxTerms"/> is written as its value, said so.
    /// </summary>
    public static void Scatter(Explanation e, ExplainTensor g, Dictionary<int, List<MathExpr>> terms, Func<MathExpr, MathExpr>? wrap = null)
    {
        bool noted = false;
        Each(e, g, () =>
        {
            foreach (int k in e.Entries(g))
            {
                int full = Flat(g.Shape, Full(e, g, k));
                var list = terms.GetValueOrDefault(full) ?? [];
                if (list.Count > MaxTerms)
                {
                    if (!noted) e.Note($"a sum of more than {MaxTerms} terms is written as its value");
                    noted = true;
                    e.Entry(g, k);
                }
                else e.Entry(g, k, wrap is null ? Sum(list) : wrap(Sum(list)));
            }
        });
    }

    /// <summary>Adds <paramref name="term"/> to the list of entry <paramref name="key"/>.</summary>
    public static void Add(Dictionary<int, List<MathExpr>> terms, int key, MathExpr term)
    {
        if (!terms.TryGetValue(key, out var list)) terms[key] = list = [];
        list.Add(term);
    }

    /// <summary>A product written as the notes do: a factor 1 left out when another remains.</summary>
    public static MathExpr Times(MathExpr a, MathExpr b)
    {
        if (a is MathNumber { Value: 1 }) return b;
        if (b is MathNumber { Value: 1 }) return a;
        return new MathProduct([a, b]);
    }

    /// <summary>
    /// A bilinear op's forward: each output entry y[Out] = α Σ a[A] b[B] (+ its bias term), the
    /// products of <paramref name="pairs"/> (full flat indices) written out: (1)(10) + (2)(5) + 4.
    /// </summary>
    public static void BilinearForward(Explanation e, ExplainTensor a, ExplainTensor b, ExplainTensor y, IEnumerable<(int Out, int A, int B)> pairs,
        Func<int[], MathExpr?>? bias = null, double alpha = 1)
    {
        var terms = new Dictionary<int, List<MathExpr>>();
        foreach (var (o, ia, ib) in pairs) Add(terms, o, new MathProduct([NumFlat(a, ia), NumFlat(b, ib)]));
        bool noted = false;
        Each(e, y, () =>
        {
            foreach (int k in e.Entries(y))
            {
                var full = Full(e, y, k);
                var list = terms.GetValueOrDefault(Flat(y.Shape, full)) ?? [];
                if (list.Count > MaxTerms)
                {
                    if (!noted) e.Note($"a sum of more than {MaxTerms} products is written as its value");
                    noted = true;
                    e.Entry(y, k);
                    continue;
                }
                var c0 = bias?.Invoke(full);
                if (list.Count == 0 && c0 is null)
                {
                    e.Entry(y, k);
                    continue;
                }
                MathExpr product = alpha == 1 ? Sum(list) : new MathProduct([e.N(alpha), Sum(list)]);
                e.Entry(y, k, c0 is { } c ? (product is MathSum s ? new MathSum([.. s.Terms, c]) : new MathSum([product, c])) : product);
            }
        });
    }

    /// <summary>
    /// A bilinear op's backward: dJ/da[A] = α Σ (dJ/dy[Out])(b[B]) and dJ/db[B] = α Σ (a[A])(dJ/dy[Out])
    /// over the pairs, each entry's products written out.
    /// </summary>
    public static void BilinearBackward(Explanation e, int ia, int ib, IReadOnlyList<(int Out, int A, int B)> pairs, double alpha = 1)
    {
        ExplainTensor a = e.Input(ia), b = e.Input(ib), g = e.OutputGrad!;
        MathExpr Scale(MathExpr s) => alpha == 1 ? s : new MathProduct([e.N(alpha), s]);
        if (e.Contribution(ia) is { } da)
        {
            var terms = new Dictionary<int, List<MathExpr>>();
            foreach (var (o, x, w) in pairs) Add(terms, x, new MathProduct([NumFlat(g, o), NumFlat(b, w)]));
            Scatter(e, da, terms, Scale);
        }
        if (e.Contribution(ib) is { } db)
        {
            var terms = new Dictionary<int, List<MathExpr>>();
            foreach (var (o, x, w) in pairs) Add(terms, w, new MathProduct([NumFlat(a, x), NumFlat(g, o)]));
            Scatter(e, db, terms, Scale);
        }
    }

    /// <summary>
    /// dJ/d(bias) of a bias broadcast into the output: each entry the sum of dJ/dy over the output
    /// entries that read it, times <paramref name="beta"/>.
    /// </summary>
    public static void BiasBackward(Explanation e, int input, Func<int[], int[]> biasIndexOf, double beta = 1)
    {
        if (e.Contribution(input) is not { } dc) return;
        ExplainTensor c = e.Input(input), g = e.OutputGrad!;
        var terms = new Dictionary<int, List<MathExpr>>();
        for (int f = 0; f < g.Shape.Length; f++) Add(terms, Flat(c.Shape, biasIndexOf(Unflatten(g.Shape, f))), NumFlat(g, f));
        Scatter(e, dc, terms, beta == 1 ? null : s => new MathProduct([e.N(beta), s]));
    }

    /// <summary>The full flat indices of line <paramref name="p"/> along <paramref name="axis"/> (positions in row-major order of the other axes).</summary>
    public static int[] Line(Shape shape, int axis, int p)
    {
        var (_, size, inner) = Axes.Split(shape, axis);
        int o = p / inner, i = p % inner, start = o * size * inner + i;
        return [.. Enumerable.Range(0, size).Select(j => start + j * inner)];
    }

    /// <summary>The position (line number) along <paramref name="axis"/> of a full flat index, and its place in the line.</summary>
    public static (int Position, int Class) PositionOf(Shape shape, int axis, int flat)
    {
        var (_, size, inner) = Axes.Split(shape, axis);
        int o = flat / (size * inner), j = flat / inner % size, i = flat % inner;
        return (o * inner + i, j);
    }

    /// <summary>The largest value of a line (the shift the stable softmax subtracts).</summary>
    public static double Max(ExplainTensor x, int[] line) => line.Max(f => x.Values[f]);

    /// <summary>softmax of entry <paramref name="j"/> of a line, computed from the values: e^(x_j - m) / Σ_k e^(x_k - m).</summary>
    public static double Softmax(ExplainTensor x, int[] line, int j)
    {
        double m = Max(x, line);
        return Math.Exp(x.Values[line[j]] - m) / line.Sum(f => Math.Exp(x.Values[f] - m));
    }

    /// <summary>e^(x_k - m), the numbers substituted.</summary>
    public static MathExpr ShiftedExp(ExplainTensor x, int flat, double m) =>
        M.Exp(new MathDifference(NumFlat(x, flat), new MathNumber(m, x.Single)));

    /// <summary>The softmax written out: e^(10 - 10) / (e^(10 - 10) + e^(5 - 10)).</summary>
    public static MathExpr SoftmaxExpr(ExplainTensor x, int[] line, int j)
    {
        double m = Max(x, line);
        return new MathFraction(ShiftedExp(x, line[j], m), Sum([.. line.Select(f => ShiftedExp(x, f, m))]));
    }

    /// <summary>
    /// A shape op's explanation: each output entry names the input entry it moves from (or the
    /// padding), y_12 = x_21 = 5; backward each dJ/dx entry is the dJ/dy
    /// entry it moved to. <paramref name="source"/> maps an output full flat index to (input, its
    /// full flat index), or input -1 for padding (the pad value).
    /// </summary>
    public static void Moves(Explanation e, bool backward, Func<int, (int Input, int Flat)> source)
    {
        var y = e.Output;
        if (!backward)
        {
            Each(e, y, () =>
            {
                foreach (int k in e.Entries(y))
                {
                    var (i, f) = source(Flat(y.Shape, Full(e, y, k)));
                    if (i < 0) e.Entry(y, k, new MathText("padding"));
                    else e.Entry(y, k, Sym(e.Input(i), Unflatten(e.Input(i).Shape, f)));
                }
            });
            return;
        }
        var g = e.OutputGrad!;
        var target = new Dictionary<(int, int), int>();
        for (int o = 0; o < y.Shape.Length; o++)
        {
            var (i, f) = source(o);
            if (i >= 0) target[(i, f)] = o;
        }
        for (int i = 0; i < e.InputCount; i++)
        {
            if (e.Contribution(i) is not { } d) continue;
            int input = i;
            Each(e, d, () =>
            {
                foreach (int k in e.Entries(d))
                {
                    int f = Flat(d.Shape, Full(e, d, k));
                    if (target.TryGetValue((input, f), out int o)) e.Entry(d, k, Sym(g, Unflatten(g.Shape, o)));
                    else e.Entry(d, k, new MathText("cropped"));
                }
            });
        }
    }

    /// <summary>
    /// The taps of output window (o0, o1, o2) (spatial positions, padded to 3 axes as <see cref="Windows"/> is):
    /// for each tap inside the input, its flat index within one input plane and within the kernel.
    /// </summary>
    internal static IEnumerable<(int Input, int Kernel)> Taps(Windows w, int o0, int o1, int o2)
    {
        for (int t0 = 0; t0 < w.Kernel[0]; t0++)
        {
            int i0 = o0 * w.Stride[0] - w.PadBegin[0] + t0 * w.Dilation[0];
            if (i0 < 0 || i0 >= w.In[0]) continue;
            for (int t1 = 0; t1 < w.Kernel[1]; t1++)
            {
                int i1 = o1 * w.Stride[1] - w.PadBegin[1] + t1 * w.Dilation[1];
                if (i1 < 0 || i1 >= w.In[1]) continue;
                for (int t2 = 0; t2 < w.Kernel[2]; t2++)
                {
                    int i2 = o2 * w.Stride[2] - w.PadBegin[2] + t2 * w.Dilation[2];
                    if (i2 < 0 || i2 >= w.In[2]) continue;
                    yield return ((i0 * w.In[1] + i1) * w.In[2] + i2, (t0 * w.Kernel[1] + t1) * w.Kernel[2] + t2);
                }
            }
        }
    }

    /// <summary>Every output position of one plane as (flat, o0, o1, o2).</summary>
    internal static IEnumerable<(int Flat, int O0, int O1, int O2)> Positions(Windows w)
    {
        for (int a = 0; a < w.Out[0]; a++)
            for (int b = 0; b < w.Out[1]; b++)
                for (int c = 0; c < w.Out[2]; c++)
                    yield return ((a * w.Out[1] + b) * w.Out[2] + c, a, b, c);
    }

    /// <summary>
    /// A normalization's arithmetic (batch_norm per channel, layer_norm per row): for each group
    /// its mean μ and biased variance σ² written out (or, <paramref name="computed"/> false, taken
    /// as given), then each output entry y = (γ)((x - μ) / √(σ² + ε)) + β. Backward: dJ/dγ and dJ/dβ
    /// as sums over the entries they scale, and dJ/dx = (h - mean(h) - (x̂)(mean(h x̂))) / √(σ² + ε),
    /// h = γ dJ/dy, the means over the group (through the statistics when computed), or
    /// (γ)(dJ/dy) / √(σ² + ε) with given statistics.
    /// </summary>
    /// <param name="e">The explanation written to.</param>
    /// <param name="backward">Backward (gradients) or forward.</param>
    /// <param name="group">The group (channel, row) of each element of x.</param>
    /// <param name="param">The index into γ and β of each element of x.</param>
    /// <param name="groups">The number of groups.</param>
    /// <param name="groupName">What a group is called: channel, row.</param>
    /// <param name="gamma">The scale γ, or null.</param>
    /// <param name="beta">The shift β, or null.</param>
    /// <param name="eps">ε, added to the variance.</param>
    /// <param name="computed">Whether the statistics are computed from x (else given: evaluation mode).</param>
    /// <param name="mean">Each group's mean and its number (a traced value when there is one).</param>
    /// <param name="variance">Each group's variance and its number.</param>
    public static void Normalization(Explanation e, bool backward, int[] group, int[] param, int groups, string groupName,
        ExplainTensor? gamma, ExplainTensor? beta, double eps, bool computed, Func<int, MathNumber> mean, Func<int, MathNumber> variance)
    {
        ExplainTensor x = e.Input(0), y = e.Output;
        var members = new List<int>[groups];
        for (int g = 0; g < groups; g++) members[g] = [];
        for (int f = 0; f < group.Length; f++) members[group[f]].Add(f);
        var epsNum = new MathNumber(eps, x.Single);
        MathExpr Denominator(int g) => new MathRoot(new MathSum([variance(g), epsNum]));
        double Hat(int f) => (x.Values[f] - mean(group[f]).Value) / Math.Sqrt(variance(group[f]).Value + eps);
        MathSymbol Mu(int g) => new("mu", [g + 1]);
        MathSymbol Var(int g) => new("sigma", [g + 1]) { Superscript = "2" };
        if (!backward)
        {
            int shown = Math.Min(groups, e.Options.MaxEntries);
            if (shown < groups) e.Note($"the statistics of the first {shown} of {groups} {groupName}s are written out");
            for (int g = 0; g < shown; g++)
            {
                var xs = members[g];
                if (!computed)
                {
                    e.Line(Mu(g), mean(g));
                    e.Line(Var(g), variance(g));
                    continue;
                }
                if (xs.Count <= MaxTerms)
                {
                    e.Line(Mu(g), Mean([.. xs.Select(f => (MathExpr)NumFlat(x, f))], xs.Count), mean(g));
                    e.Line(Var(g), Mean([.. xs.Select(f => (MathExpr)new MathPower(new MathGroup(new MathDifference(NumFlat(x, f), mean(g))), new MathNumber(2)))], xs.Count), variance(g));
                }
                else
                {
                    e.Line(Mu(g), Mean([new MathNumber(xs.Sum(f => x.Values[f]), x.Single)], xs.Count), mean(g));
                    e.Line(Var(g), variance(g));
                }
            }
            Each(e, y, () =>
            {
                foreach (int k in e.Entries(y))
                {
                    int f = Flat(y.Shape, Full(e, y, k)), g = group[f];
                    MathExpr hat = new MathFraction(new MathDifference(NumFlat(x, f), mean(g)), Denominator(g));
                    MathExpr scaled = gamma is null ? hat : new MathProduct([NumFlat(gamma, param[f]), hat]);
                    e.Entry(y, k, beta is null ? scaled : new MathSum([scaled, NumFlat(beta, param[f])]));
                }
            });
            return;
        }
        var dy = e.OutputGrad!;
        double H(int f) => (gamma is null ? 1 : gamma.Values[param[f]]) * dy.Values[f];
        for (int i = 1; i <= 2; i++)
        {
            var t = i == 1 ? gamma : beta;
            if (t is null || i >= e.InputCount || e.Contribution(i) is not { } d) continue;
            var terms = new Dictionary<int, List<MathExpr>>();
            for (int f = 0; f < group.Length; f++)
                Add(terms, param[f], i == 1 ? new MathProduct([NumFlat(dy, f), new MathNumber(Hat(f))]) : NumFlat(dy, f));
            e.Note(i == 1 ? $"dJ/d{t.Name}: the sum of (dJ/dy)(x̂) over the entries it scales, x̂ = (x - μ) / √(σ² + ε)" : $"dJ/d{t.Name}: the sum of dJ/dy over the entries it shifts");
            Scatter(e, d, terms);
        }
        if (e.Contribution(0) is not { } dx) return;
        var mh = new double[groups];
        var mhx = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            mh[g] = members[g].Average(H);
            mhx[g] = members[g].Average(f => H(f) * Hat(f));
        }
        e.Note(computed
            ? "dJ/dx = (h - mean(h) - (x̂)(mean(h x̂))) / √(σ² + ε), h = γ dJ/dy, the means over the " + groupName + " (x̂ and the means computed from the values shown)"
            : "dJ/dx = (γ)(dJ/dy) / √(σ² + ε): the statistics are given, so no gradient flows through them");
        Each(e, dx, () =>
        {
            foreach (int k in e.Entries(dx))
            {
                int f = Flat(x.Shape, Full(e, dx, k)), g = group[f];
                if (!computed)
                {
                    MathExpr num = gamma is null ? NumFlat(dy, f) : new MathProduct([NumFlat(gamma, param[f]), NumFlat(dy, f)]);
                    e.Entry(dx, k, new MathFraction(num, Denominator(g)));
                    continue;
                }
                var inner = new MathDifference(new MathDifference(new MathNumber(H(f)), new MathNumber(mh[g])), new MathProduct([new MathNumber(Hat(f)), new MathNumber(mhx[g])]));
                e.Entry(dx, k, new MathFraction(inner, Denominator(g)));
            }
        });
    }
}
