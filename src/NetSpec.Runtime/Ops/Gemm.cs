using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// ONNX's general matrix product: Y = alpha op(A) op(B) + beta C, where op(A) is A or A^T
/// (trans_a = 1), op(A) is M x K, op(B) is K x N, and C broadcasts to M x N (a scalar, a
/// vector of N, 1 x N, M x 1 or M x N).
/// Backward, with G = dJ/dY: dJ/dop(A) = alpha G op(B)^T, dJ/dop(B) = alpha op(A)^T G (transposed
/// back where op transposes), dJ/dC = beta G summed over the axes C was broadcast along.
/// </summary>
public sealed class GemmOp : Op
{
    public override string Name => "gemm";
    public override string Category => "linear algebra";
    public override string Summary => "ONNX's general matrix product with optional transposes and a broadcast bias.";
    public override string ShapeRule => "a: M x K (K x M when trans_a), b: K x N (N x K when trans_b), c: broadcasts one way to M x N (a scalar, N, 1 x N, M x 1 or M x N); Y: M x N";
    public override string Convention =>
        "ONNX Gemm (opset 13): matrices only (rank 2; for stacks of matrices use matmul), C broadcast unidirectionally to " +
        "M x N by NumPy's rules (aligned on the right, sizes equal or 1). torch.addmm(C, A, B, beta=beta, alpha=alpha) " +
        "computes the same without the transposes; linear is gemm with trans_b = 1 and the bias as C.";
    public override string Example => "{op: gemm, a: A, b: B, c: C, trans_b: 1}";
    public override IEnumerable<GradientCase> GradientCases(int batch) => [new("plain", [[batch, 4], [4, 3], [3]]) { Attributes = [("alpha", "0.7"), ("beta", "1.3")] }, new("transposed", [[4, batch], [3, 4], [batch, 1]]) { Attributes = [("alpha", "-0.4"), ("beta", "0.6"), ("trans_a", "1"), ("trans_b", "1")] }, new("scalar bias", [[batch, 4], [3, 4], []]) { Attributes = [("trans_b", "1")] }, new("1 x N bias", [[batch, 4], [4, 3], [1, 3]]), new("M x N bias, trans_a", [[4, batch], [4, 3], [batch, 3]]) { Attributes = [("trans_a", "1")] }];
    public override string Formula => "Y = alpha op(A) op(B) + beta C";
    public override string GradientFormula => "dJ/dop(A) = alpha G op(B)^T; dJ/dop(B) = alpha op(A)^T G; dJ/dC = beta Σ_broadcast G";
    public override IReadOnlyList<InputSlot> Inputs { get; } = [new("a", "A, M x K (K x M when trans_a)") { MinRank = 2, MaxRank = 2 }, new("b", "B, K x N (N x K when trans_b)") { MinRank = 2, MaxRank = 2 }, new("c", "the bias C, broadcast one way to M x N: a scalar, a vector of N, 1 x N, M x 1 or M x N") { MaxRank = 2 }];
    public override IReadOnlyList<AttributeSpec> Attributes { get; } =
    [
        AttributeSpec.Number("alpha", "α, the scale of the product op(A) op(B)", 1.0),
        AttributeSpec.Number("beta", "β, the scale of the bias C", 1.0),
        AttributeSpec.Flag("trans_a", "use Aᵀ: a is stored K x M", false),
        AttributeSpec.Flag("trans_b", "use Bᵀ: b is stored N x K (as linear's weight is)", false),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 2 M N K forward for the product, plus M N for C; backward 2 M N K for each of A and B, M N for C (alpha and beta scalings not counted).</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double mn = output.Length, k = inputs[0].Length / (double)output[0], product = 2 * mn * k;
        return inputs.Count > 2 ? new OpCost(product + mn, [product, product, mn]) : new OpCost(product, [product, product]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        var s = q.Shapes;
        var n = q.Names;
        Shape a = s[0], b = s[1], c = s[2];
        if (a.Rank != 2) return ShapeResult.Fail($"a {n[0]} is {a}, but gemm multiplies matrices");
        if (b.Rank != 2) return ShapeResult.Fail($"b {n[1]} is {b}, but gemm multiplies matrices");
        bool ta = q.Attributes.Flag(2), tb = q.Attributes.Flag(3);
        int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
        if (k != kb) return ShapeResult.Fail($"op(a) {n[0]} is {m}x{k} but op(b) {n[1]} is {kb}x{nn}: inner sizes differ");
        var y = new Shape(m, nn);
        if (!Broadcast.To(c, y)) return ShapeResult.Fail($"c {n[2]} is {c}, which does not broadcast to the product's {y}");
        return ShapeResult.Ok(y);
    }

    private static (bool Ta, bool Tb, int M, int N, int K) Dims<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        bool ta = c.Attributes.Flag(2), tb = c.Attributes.Flag(3);
        var a = c.Input(0).Shape;
        var b = c.Input(1).Shape;
        return (ta, tb, ta ? a[1] : a[0], tb ? b[0] : b[1], ta ? a[0] : a[1]);
    }

    private static List<(int Out, int A, int B)> Pairs(Shape a, Shape b, bool ta, bool tb)
    {
        int m = ta ? a[1] : a[0], n = tb ? b[0] : b[1], k = ta ? a[0] : a[1];
        var pairs = new List<(int, int, int)>(m * n * k);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
                for (int t = 0; t < k; t++)
                    pairs.Add((r * n + j, ta ? t * m + r : r * k + t, tb ? j * k + t : t * n + j));
        return pairs;
    }

    /// <summary>Each entry of Y as the notes write a product: Y_11 = (a_11)(b_11) + (a_12)(b_21) + c_1, with α and β when not 1.</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        bool ta = e.Attributes.Flag(2), tb = e.Attributes.Flag(3);
        double alpha = e.Attributes.Number(0), beta = e.Attributes.Number(1);
        Explain.ExplainTensor a = e.Input(0), b = e.Input(1), c = e.Input(2), y = e.Output;
        Explain.MathExpr A = ta ? new Explain.MathTranspose(new Explain.MathSymbol(a.Name)) : new Explain.MathSymbol(a.Name);
        Explain.MathExpr B = tb ? new Explain.MathTranspose(new Explain.MathSymbol(b.Name)) : new Explain.MathSymbol(b.Name);
        Explain.MathExpr C = new Explain.MathSymbol(c.Name);
        e.Formula(y.WholeSym, new Explain.MathSum([OpExplain.Times(e.N(alpha), new Explain.MathProduct([A, B])), OpExplain.Times(e.N(beta), C)]));
        e.Note($"each entry of {y.Name} sums the products of a row of {(ta ? a.Name + "ᵀ" : a.Name)} and a column of {(tb ? b.Name + "ᵀ" : b.Name)}, then adds {(beta == 1 ? "" : "β times ")}{c.Name}'s entry{(c.Shape.Equals(y.Shape) ? "" : " broadcast to it")}");
        OpExplain.BilinearForward(e, a, b, y, Pairs(a.Shape, b.Shape, ta, tb),
            full => OpExplain.Times(e.N(beta), OpExplain.Num(c, OpExplain.Broadcast(full, c.Shape))), alpha);
    }

    /// <summary>dJ/dA, dJ/dB entry by entry as sums of products with dJ/dY; dJ/dC as the sum of dJ/dY over what it was broadcast to.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        bool ta = e.Attributes.Flag(2), tb = e.Attributes.Flag(3);
        OpExplain.BilinearBackward(e, 0, 1, Pairs(e.Input(0).Shape, e.Input(1).Shape, ta, tb), e.Attributes.Number(0));
        var cs = e.Input(2).Shape;
        OpExplain.BiasBackward(e, 2, full => OpExplain.Broadcast(full, cs), e.Attributes.Number(1));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (ta, tb, m, n, k) = Dims(c);
        T alpha = c.Number(0), beta = c.Number(1);
        var y = c.Output.Data;
        Gemm.Multiply(ta, tb, m, n, k, alpha, c.Input(0).Data, ta ? m : k, c.Input(1).Data, tb ? k : n, T.Zero, y, n);
        var bias = c.Input(2);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++) y[r * n + j] += beta * bias[Broadcast.Index(bias.Shape, r, j)];
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (ta, tb, m, n, k) = Dims(c);
        T alpha = c.Number(0), beta = c.Number(1);
        var g = c.OutputGrad!.Data;
        var a = c.Input(0).Data;
        var b = c.Input(1).Data;
        if (c.InputGrad(0) is { } da)
        {
            if (!ta) Gemm.Multiply(false, !tb, m, k, n, alpha, g, n, b, tb ? k : n, T.One, da.Data, k);   // dA = alpha G op(B)^T
            else Gemm.Multiply(tb, true, k, m, n, alpha, b, tb ? k : n, g, n, T.One, da.Data, m);        // dA = alpha op(B) G^T
        }
        if (c.InputGrad(1) is { } db)
        {
            if (!tb) Gemm.Multiply(!ta, false, k, n, m, alpha, a, ta ? m : k, g, n, T.One, db.Data, n);  // dB = alpha op(A)^T G
            else Gemm.Multiply(true, ta, n, k, m, alpha, g, n, a, ta ? m : k, T.One, db.Data, k);        // dB = alpha G^T op(A)
        }
        if (c.InputGrad(2) is { } dc)
            for (int r = 0; r < m; r++)
                for (int j = 0; j < n; j++) dc[Broadcast.Index(dc.Shape, r, j)] += beta * g[r * n + j];
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Gemm with its four attributes (ONNX's defaults are NetSpec's); C may be left out from opset 11 (a zero bias).</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Gemm")
        {
            MinOpset = 7,
            OptionalInputs = ["c"],
            Attributes = [new("alpha", "alpha"), new("beta", "beta"), new("transA", "trans_a"), new("transB", "trans_b")],
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, C's broadcast summed.

    /// <summary>torch.addmm(C, op(A), op(B), beta=β, alpha=α), op(A) = A.T when trans_a.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attributes;
        string opA = a.Flag(2) ? $"{node[0]}.T" : node[0], opB = a.Flag(3) ? $"{node[1]}.T" : node[1];
        return TorchForm.Of($"torch.addmm({node[2]}, {opA}, {opB}, beta={Py.Num(a.Number(1))}, alpha={Py.Num(a.Number(0))})");
    }
}
