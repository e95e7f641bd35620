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
                MathExpr product = alpha == 1 ? Sum(list) : new MathProduct([e.N(alpha), Sum(list)]);
                e.Entry(y, k, bias?.Invoke(full) is { } c ? (product is MathSum s ? new MathSum([.. s.Terms, c]) : new MathSum([product, c])) : product);
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
}
