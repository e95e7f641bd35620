using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Matrix product with NumPy's matmul rules (ONNX MatMul, torch.matmul): Y = A B with A M x K and
/// B K x N. Operands of rank above 2 are stacks of matrices over their leading (batch) axes, which
/// broadcast against each other; a vector a (K) is taken as 1 x K and a vector b (K) as K x 1, and
/// the added axis is removed from the result. Each batch matrix is one matrix product; when b is
/// one matrix (no batch axes) the whole of a is one (batch·M) x K matrix and the product is a single call.
/// Backward, with G = dJ/dY per batch matrix: dJ/dA = G B^T, dJ/dB = A^T G, each summed over the
/// batch axes its operand was broadcast along (a repeated matrix receives every contribution).
/// </summary>
public sealed class MatMul : Op
{
    public override string Name => "matmul";
    public override string Category => "linear algebra";
    public override string Summary => "The matrix product, batched over leading axes that broadcast (ONNX MatMul, numpy.matmul).";
    public override string Formula => "Y = A B, per batch matrix: Y[i] = A[i] B[i] with the batch index i broadcast";
    public override string GradientFormula => "dJ/dA = G Bᵀ; dJ/dB = Aᵀ G; each summed over the batch axes along which its operand was broadcast";
    public override string ShapeRule =>
        "a: ... x M x K, b: ... x K x N; Y: (a's and b's batch axes broadcast) x M x N. " +
        "A vector a (K) is 1 x K and a vector b (K) is K x 1, the added axis being removed from Y (two vectors give a scalar)";
    public override string Convention =>
        "ONNX MatMul, numpy.matmul and torch.matmul: the last two axes are the matrices, every leading axis is a batch axis " +
        "broadcast NumPy-style (sizes equal or 1, missing leading axes count as 1); rank-1 operands are promoted and the added " +
        "axis removed. There is no transpose attribute (see gemm, or linear for x Wᵀ).";
    public override string Example => "{op: matmul, a: A, b: B}";

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("a", "A: M x K, a stack of them (... x M x K), or a vector of K") { MinRank = 1 },
        new("b", "B: K x N, a stack of them (... x K x N), or a vector of K") { MinRank = 1 },
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4], [4, 3]]),
        new("stack times a matrix (one product)", [[batch, 2, 3, 4], [4, 5]]),
        new("stack times a stack of one (one product)", [[batch, 3, 4], [1, 4, 2]]),
        new("batch axes broadcast both ways", [[2, 1, 3, 4], [batch, 4, 2]]),
        new("matrix times a stack", [[3, 4], [batch, 4, 2]]),
        new("vector times a stack", [[4], [batch, 4, 2]]),
        new("stack times a vector", [[batch, 3, 4], [4]]),
        new("two vectors", [[4], [4]]),
        new("same value on both sides", [[4, 4], [4, 4]]) { Shared = [[0, 1]] },
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 2 K per output element forward (K = A's last axis); the same for each of dJ/dA and dJ/dB.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double product = 2.0 * output.Length * inputs[0][inputs[0].Rank - 1];
        return new OpCost(product, [product, product]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        Shape a = q[0], b = q[1];
        var (m, k, kb, n) = Sizes(a, b);
        if (k != kb) return ShapeResult.Fail($"{q.Name(0)} is {a} but {q.Name(1)} is {b}: inner sizes differ ({k} and {kb})");
        Shape aBatch = BatchOf(a), bBatch = BatchOf(b);
        if (Broadcast.Of(aBatch, bBatch) is not { } batch)
            return ShapeResult.Fail($"{q.Name(0)} is {a} and {q.Name(1)} is {b}: their batch axes ({aBatch} and {bBatch}) do not broadcast");
        var dims = new List<int>(batch.ToArray());
        if (a.Rank > 1) dims.Add(m);
        if (b.Rank > 1) dims.Add(n);
        return ShapeResult.Ok(new Shape([.. dims]));
    }

    /// <summary>M and K of a, K and N of b, after promoting a vector.</summary>
    private static (int M, int K, int Kb, int N) Sizes(Shape a, Shape b) =>
        (a.Rank == 1 ? 1 : a[a.Rank - 2], a[a.Rank - 1], b.Rank == 1 ? b[0] : b[b.Rank - 2], b.Rank == 1 ? 1 : b[b.Rank - 1]);

    private static Shape BatchOf(Shape s) => new(s.Dims[..Math.Max(0, s.Rank - 2)].ToArray());

    /// <summary>
    /// The per-node plan: matrix sizes, the number of output batch matrices, and for each the
    /// batch matrix of a and of b it reads. Flat when b is one matrix (no batch axes, or all of
    /// size 1) and a's batch axes are the result's: a is then one (Count·M) x K matrix and each
    /// pass is one product.
    /// </summary>
    private sealed record Plan(int M, int K, int N, int Count, int[] A, int[] B, bool Flat);

    private static Plan MakePlan(Shape a, Shape b)
    {
        var (m, k, _, n) = Sizes(a, b);
        Shape aBatch = BatchOf(a), bBatch = BatchOf(b);
        var batch = Broadcast.Of(aBatch, bBatch)!;
        int count = batch.Length;
        int[]? ma = Broadcast.IndexMap(aBatch, batch);
        int[] ia = ma ?? [.. Enumerable.Range(0, count)];
        int[] ib = Broadcast.IndexMap(bBatch, batch) ?? [.. Enumerable.Range(0, count)];
        return new Plan(m, k, n, count, ia, ib, Flat: ma is null && bBatch.Length == 1);
    }

    private static List<(int Out, int A, int B)> Pairs(Shape a, Shape b)
    {
        var p = MakePlan(a, b);
        int m = p.M, k = p.K, n = p.N;
        var pairs = new List<(int, int, int)>(p.Count * m * n * k);
        for (int q = 0; q < p.Count; q++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int t = 0; t < k; t++)
                        pairs.Add((q * m * n + i * n + j, p.A[q] * m * k + i * k + t, p.B[q] * k * n + t * n + j));
        return pairs;
    }

    /// <summary>Each entry of Y as the sum of a row of A times a column of B: Y_12 = (a_11)(b_12) + (a_12)(b_22).</summary>
    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Explain.ExplainTensor a = e.Input(0), b = e.Input(1), y = e.Output;
        e.Formula(y.WholeSym, new Explain.MathProduct([new Explain.MathSymbol(a.Name), new Explain.MathSymbol(b.Name)]));
        e.Note($"each entry of {y.Name} sums the products of a row of {a.Name} and a column of {b.Name}{(a.Shape.Rank > 2 || b.Shape.Rank > 2 ? ", in the batch matrix it belongs to" : "")}");
        OpExplain.BilinearForward(e, a, b, y, Pairs(a.Shape, b.Shape));
    }

    /// <summary>dJ/dA = G Bᵀ and dJ/dB = Aᵀ G entry by entry, summed over broadcast batch matrices.</summary>
    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        e.Note(GradientFormula);
        OpExplain.BilinearBackward(e, 0, 1, Pairs(e.Input(0).Shape, e.Input(1).Shape));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = c.Input(0).Data;
        var b = c.Input(1).Data;
        var y = c.Output.Data;
        var p = c.State(x => MakePlan(x.Input(0).Shape, x.Input(1).Shape));
        int m = p.M, k = p.K, n = p.N;
        if (p.Flat)
        {
            Gemm.Multiply(false, false, p.Count * m, n, k, T.One, a, k, b, n, T.Zero, y, n, c.Gemm);
            return;
        }
        for (int i = 0; i < p.Count; i++)
            Gemm.Multiply(false, false, m, n, k, T.One, a.AsSpan(p.A[i] * m * k, m * k), k, b.AsSpan(p.B[i] * k * n, k * n), n,
                T.Zero, y.AsSpan(i * m * n, m * n), n, c.Gemm);
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = c.Input(0).Data;
        var b = c.Input(1).Data;
        var g = c.OutputGrad!.Data;
        var p = c.State(x => MakePlan(x.Input(0).Shape, x.Input(1).Shape));
        int m = p.M, k = p.K, n = p.N;
        var da = c.InputGrad(0);
        var db = c.InputGrad(1);
        if (p.Flat)
        {
            int rows = p.Count * m;
            if (da is not null) Gemm.Multiply(false, true, rows, k, n, T.One, g, n, b, n, T.One, da.Data, k, c.Gemm);    // dA = G Bᵀ
            if (db is not null) Gemm.Multiply(true, false, k, n, rows, T.One, a, k, g, n, T.One, db.Data, n, c.Gemm);    // dB = Aᵀ G, summed over the batch
            return;
        }
        for (int i = 0; i < p.Count; i++)
        {
            var gi = g.AsSpan(i * m * n, m * n);
            if (da is not null)
                Gemm.Multiply(false, true, m, k, n, T.One, gi, n, b.AsSpan(p.B[i] * k * n, k * n), n, T.One, da.Span.Slice(p.A[i] * m * k, m * k), k, c.Gemm);
            if (db is not null)
                Gemm.Multiply(true, false, k, n, m, T.One, a.AsSpan(p.A[i] * m * k, m * k), k, gi, n, T.One, db.Span.Slice(p.B[i] * k * n, k * n), n, c.Gemm);
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX MatMul.</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } = [new("MatMul")];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above, broadcast batch matrices summed.

    /// <summary>torch.matmul(a, b): the same batching, broadcasting and vector promotion.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"torch.matmul({node[0]}, {node[1]})");
    }
}
