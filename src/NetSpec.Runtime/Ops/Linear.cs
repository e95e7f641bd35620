using System.Numerics;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Runtime.Ops;

/// <summary>
/// Linear layer over the last axis, as torch.nn.Linear. Per sample z = Wx + b with W out x in;
/// for samples X of shape ... x in, viewed as a matrix of R = (product of the leading axes) rows,
/// Z = X W^T + b (... x out), one matrix product. A vector x (in) is one sample; z is then out.
/// Backward, with X and dZ viewed as R x in and R x out: dJ/dW = dJ/dz x^T summed over every
/// sample, dZ^T X (out x in); dJ/db = dJ/dz summed over every sample; dJ/dx = W^T dJ/dz, for
/// all samples dZ W (R x in).
/// </summary>
public sealed class Linear : Op
{
    public override string Name => "linear";
    public override string Category => "linear algebra";
    public override string Summary => "A fully connected layer over the last axis: each sample times the transposed weight, plus the bias.";
    public override string Formula => "z = Wx + b; for samples X (... x in): Z = X Wᵀ + b";
    public override string GradientFormula => "dJ/dW = Σ_samples dJ/dz xᵀ = dZᵀ X; dJ/db = Σ_samples dJ/dz; dJ/dx = Wᵀ dJ/dz, for all samples dZ W (X and dZ viewed as R x in and R x out, R = product of the leading axes)";
    public override string ShapeRule => "x: ... x in (rank 1 or more; a vector is one sample), W: out x in, b: out (or 1 x out); z: ... x out (x's leading axes kept)";
    public override string Convention =>
        "PyTorch's torch.nn.Linear and the course notes: W is out x in and the layer applies over x's last axis, every leading axis " +
        "(batch, sequence, ...) being a sample; a rank-1 x is one sample and gives a vector z. ONNX writes this as Gemm with " +
        "transB = 1 when x is a matrix, and as MatMul with Wᵀ plus Add otherwise.";
    public override string Example => "{op: linear, x: x, W: W, b: b}";
    public override bool WritesFirstGradient => true;

    public override IReadOnlyList<InputSlot> Inputs { get; } =
    [
        new("x", "samples along the last axis: N x in, or any shape ... x in (a vector of in features is one sample)") { MinRank = 1 },
        new("W", "the weight, out x in"),
        new("b", "the bias, out values (a vector, or 1 x out)"),
    ];

    public override IEnumerable<GradientCase> GradientCases(int batch) =>
    [
        new("batch", [[batch, 4], [3, 4], [3]]),
        new("rank 3, batch x 2 samples each", [[batch, 2, 4], [3, 4], [3]]),
        new("one sample (a vector), 1 x out bias", [[4], [3, 4], [1, 3]]),
    ];

    /// <summary>FLOPs (see <see cref="OpCost"/>): 2 R in out + R out forward (the product X Wᵀ and the bias), R the samples; backward 2 R in out for dJ/dx, 2 R in out for dJ/dW, R out for dJ/db.</summary>
    public override OpCost Cost(IReadOnlyList<Shape> inputs, Shape output, AttributeValues attributes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        double rows = inputs[0].Rows, inF = inputs[1][1], outF = inputs[1][0], product = 2 * rows * inF * outF;
        return new OpCost(product + rows * outF, [product, product, rows * outF]);
    }

    protected override ShapeResult InferShape(ShapeQuery q)
    {
        Shape x = q[0], w = q[1], b = q[2];
        if (w.Rank != 2) return ShapeResult.Fail($"weight {q.Name(1)} is {w}, but a weight is a matrix, out x in");
        if (x.Cols != w[1])
            return ShapeResult.Fail($"weight {q.Name(1)} is {w} but its input {q.Name(0)} has {x.Cols} feature{(x.Cols == 1 ? "" : "s")}");
        if (!(b.Rank == 1 && b[0] == w[0]) && !(b.Rank == 2 && b[0] == 1 && b[1] == w[0]))
            return ShapeResult.Fail($"bias {q.Name(2)} is {b} but weight {q.Name(1)} has {w[0]} output{(w[0] == 1 ? "" : "s")}: the bias needs {w[0]} values");
        var z = x.ToArray();
        z[^1] = w[0];
        return ShapeResult.Ok(new Shape(z));
    }

    protected override void Run(OpContext<float> c, bool backward) { if (backward) Backward(c); else Forward(c); }
    protected override void Run(OpContext<double> c, bool backward) { if (backward) Backward(c); else Forward(c); }

    // x.Shape.Rows is the product of every axis but the last: the number of samples R (1 for a vector).
    private void Forward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0);
        var w = c.Input(1);
        var b = c.Input(2);
        int n = x.Shape.Rows, inF = w.Shape[1], outF = w.Shape[0];
        Gemm.Multiply(false, true, n, outF, inF, T.One, x.Data, inF, w.Data, inF, T.Zero, c.Output.Data, outF, c.Gemm);
        Vec.AddRowToEachRow<T>(c.Output.Data, n, outF, b.Data);
    }

    private void Backward<T>(OpContext<T> c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = c.Input(0);
        var w = c.Input(1);
        var dz = c.OutputGrad!;
        int n = x.Shape.Rows, inF = w.Shape[1], outF = w.Shape[0];
        // The first contributor to a gradient overwrites it (beta 0: the product's accumulators start
        // at +0, so its sums are never -0 and 0 + sum is the sum itself).
        if (c.InputGrad(0) is { } dx)
            Gemm.Multiply(false, false, n, inF, outF, T.One, dz.Data, outF, w.Data, inF, c.Overwrites(0) ? T.Zero : T.One, dx.Data, inF, c.Gemm);
        if (c.InputGrad(1) is { } dw)
            Gemm.Multiply(true, false, outF, inF, n, T.One, dz.Data, outF, x.Data, inF, c.Overwrites(1) ? T.Zero : T.One, dw.Data, inF, c.Gemm);
        if (c.InputGrad(2) is { } db)
            Vec.ColumnSums<T>(dz.Data, n, outF, db.Data, c.Overwrites(2));
    }

    // Explanation: z_i = (W_i1)(x_1) + ... + (W_in)(x_n) + b_i per sample, as the notes write it.

    public override void ExplainForward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (x, w, b, z) = (e.Input(0), e.Input(1), e.Input(2), e.Output);
        int inF = w.Shape[1], outF = w.Shape[0];
        e.Formula(new Explain.MathSymbol(z.Name), Explain.M.Product(new Explain.MathSymbol(w.Name), new Explain.MathSymbol(x.Name)) + new Explain.MathSymbol(b.Name));
        e.ForEachSample(() =>
        {
            int rows = z.LocalLength / outF;
            Explain.MathExpr RowSum(int r, int i) =>
                Explain.M.Sum([.. Enumerable.Range(0, inF).Select(k => (Explain.MathExpr)Explain.M.Product(w.NumFlat(i * inF + k), x.NumFlat(r * inF + k))), b.NumFlat(i)]);
            // The whole product for a small sample, as the notes write it: z = W x + b with every entry.
            if (rows == 1 && w.Small && x.Small && z.Small)
                e.Line(z.WholeSym,
                    Explain.M.Product(w.Matrix()!, x.Matrix()!) + b.Matrix(i => b.NumFlat(i))!,
                    new Explain.MathMatrix([.. Enumerable.Range(0, outF).Select(i => (IReadOnlyList<Explain.MathExpr>)[RowSum(0, i)])]),
                    z.Matrix()!);
            foreach (int i in e.Entries(z))
                e.Entry(z, i, RowSum(i / outF, i % outF));
        });
    }

    public override void ExplainBackward(Explain.Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (x, w, dz) = (e.Input(0), e.Input(1), e.OutputGrad!);
        int inF = w.Shape[1], outF = w.Shape[0];
        // Every row of every sample: the parameters' gradients add them all up.
        int allRows = x.Values.Length / inF;
        double Dz(int r, int i) => dz.Values[r * outF + i];
        double X(int r, int k) => x.Values[r * inF + k];
        var dzSym = new Explain.MathGradient(new Explain.MathSymbol(e.Output.Name));
        if (e.Contribution(0) is { } dx)
        {
            e.Formula(dx.WholeSym, Explain.M.Product(new Explain.MathTranspose(new Explain.MathSymbol(w.Name)), dzSym));
            e.ForEachSample(() =>
            {
                foreach (int k in e.Entries(dx))
                {
                    int r = k / inF, col = k % inF;
                    e.Entry(dx, k, Explain.M.Sum([.. Enumerable.Range(0, outF).Select(i => (Explain.MathExpr)Explain.M.Product(w.NumFlat(i * inF + col), dz.NumFlat(r * outF + i)))]));
                }
            });
        }
        if (e.Contribution(1) is { } dw)
        {
            e.Formula(dw.WholeSym, Explain.M.Product(dzSym, new Explain.MathTranspose(new Explain.MathSymbol(x.Name))));
            if (allRows > 1) e.Note($"summed over the {allRows} samples{(x.Shape.Rank > 2 ? " and positions" : "")}: one product per sample");
            foreach (int f in e.Entries(dw))
            {
                int i = f / inF, k = f % inF;
                e.Entry(dw, f, Explain.M.Sum([.. Enumerable.Range(0, allRows).Select(r => (Explain.MathExpr)Explain.M.Product(e.N(Dz(r, i)), e.N(X(r, k))))]));
            }
        }
        if (e.Contribution(2) is { } db)
        {
            e.Formula(db.WholeSym, allRows > 1 ? new Explain.MathSigma("n", Explain.M.Num(1), Explain.M.Num(allRows), dzSym) : dzSym);
            foreach (int i in e.Entries(db))
                e.Entry(db, i, allRows > 1
                    ? Explain.M.Sum([.. Enumerable.Range(0, allRows).Select(r => (Explain.MathExpr)e.N(Dz(r, i)))])
                    : new Explain.MathGradient(new Explain.MathSymbol(e.Output.Name, [i + 1])));
        }
    }

    // ONNX: how the op is written in ONNX and read back from it (one table, both directions; see OnnxForm).

    /// <summary>ONNX Gemm with transB = 1 (W is out x in) and its other attributes at their defaults: Z = X W^T + b.</summary>
    public override IReadOnlyList<OnnxForm> OnnxForms { get; } =
    [
        new("Gemm")
        {
            MinOpset = 7,
            Fixed =
            [
                new("transB", AttributeValue.Of(1L)),
                new("transA", AttributeValue.Of(0L)) { IsOnnxDefault = true },
                new("alpha", AttributeValue.Of(1.0)) { IsOnnxDefault = true },
                new("beta", AttributeValue.Of(1.0)) { IsOnnxDefault = true },
            ],
        },
    ];

    // PyTorch: the node's forward as torch code (see TorchForm); autograd gives the backward above.

    /// <summary>F.linear(x, W, b), a 1 x out bias as the vector it is.</summary>
    public override TorchForm ToTorch(TorchNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return TorchForm.Of($"F.linear({node[0]}, {node[1]}, {TorchForms.Vector(node, 2)})");
    }
}
