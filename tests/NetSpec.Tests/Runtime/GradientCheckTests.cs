using NetSpec.Runtime.Checks;
using NetSpec.Runtime.Execution;

namespace NetSpec.Tests.Runtime;

/// <summary>
/// Every op's backward against central differences in float64, at random inputs and batch
/// sizes above one, through <see cref="GradientChecker"/>.
/// </summary>
[TestClass]
public sealed class GradientCheckTests
{
    private const double Threshold = 1e-6;

    public static IEnumerable<object[]> Cases()
    {
        foreach (int batch in new[] { 2, 5 })
            foreach (int seed in new[] { 1, 2 })
                foreach (var op in new[] { "linear", "relu", "l2_regularization", "sum", "l2_loss", "softmax", "cross_entropy", "softmax_cross_entropy", "network",
                    "gemm", "gemm_transposed", "gemm_scalar_bias", "matmul", "add", "sub", "mul", "softmax_cross_entropy_rows", "reduce_sum" })
                    yield return [op, batch, seed];
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Backward_matches_central_differences(string op, int batch, int seed)
    {
        var graph = SpecText.Load(Spec(op, batch, seed)).Graph!;
        var results = GradientChecker.Check(graph);
        Assert.IsNotEmpty(results);
        foreach (var r in results)
        {
            Assert.IsGreaterThan(0, r.Checked, $"{r.Name}: nothing was checked");
            Assert.IsLessThan(Threshold, r.MaxRelativeError,
                $"{op} batch {batch} seed {seed}: d/d{r.Name}[{r.WorstIndex}] analytic {r.Analytic:R}, numeric {r.Numeric:R}");
        }
    }

    [TestMethod]
    public void Elements_at_a_relu_kink_are_skipped_not_failed()
    {
        var graph = SpecText.Load("""
            network: {h: {op: relu, x: v}}
            data: {v: [[0, 1e-9, -2, 3]]}
            backward: {from: h, grad: [[1, 1, 1, 1]]}
            """).Graph!;
        var r = GradientChecker.Check(graph).Single();
        Assert.AreEqual(2, r.SkippedAtKinks);
        Assert.AreEqual(2, r.Checked);
        Assert.IsLessThan(Threshold, r.MaxRelativeError);
    }

    /// <summary>A spec exercising one op at random inputs; non-scalar outputs get a random assumed gradient.</summary>
    internal static string Spec(string op, int batch, int seed)
    {
        var rng = new Random(seed * 1000 + batch);
        string R(int rows, int cols, double scale = 1, double away = 0) => SpecText.Matrix(SpecText.Random(rng, rows, cols, scale, away));
        string Dist(int rows, int cols)
        {
            var m = SpecText.Random(rng, rows, cols);
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int c = 0; c < cols; c++) sum += m[r, c] = Math.Abs(m[r, c]) + 0.05;
                for (int c = 0; c < cols; c++) m[r, c] /= sum;
            }
            return SpecText.Matrix(m);
        }
        return op switch
        {
            "linear" => $"network: {{z: {{op: linear, x: x, W: W, b: b}}}}\ndata: {{x: {R(batch, 4)}}}\nparameters: {{W: {R(3, 4)}, b: {SpecText.Vector([.. Enumerable.Range(0, 3).Select(_ => rng.NextDouble())])}}}\nbackward: {{from: z, grad: {R(batch, 3)}}}\n",
            "relu" => $"network: {{h: {{op: relu, x: v}}}}\ndata: {{v: {R(batch, 6, 1, 0.01)}}}\nbackward: {{from: h, grad: {R(batch, 6)}}}\n",
            "l2_regularization" => $"network: {{S: {{op: l2_regularization, weights: [W1, W2], lambda: 0.3}}}}\nparameters: {{W1: {R(3, 4)}, W2: {R(2, 3)}}}\nbackward: {{from: S}}\n",
            "sum" => $"network: {{K: {{op: sum, inputs: [a, b, a]}}}}\ndata: {{a: {R(batch, 3)}, b: {R(batch, 3)}}}\nbackward: {{from: K, grad: {R(batch, 3)}}}\n",
            "l2_loss" => $"network: {{L: {{op: l2_loss, o: o, y: y}}}}\ndata: {{o: {R(batch, 3)}, y: {R(batch, 3)}}}\nbackward: {{from: L}}\n",
            "softmax" => $"network: {{o: {{op: softmax, x: x}}}}\ndata: {{x: {R(batch, 4, 3)}}}\nbackward: {{from: o, grad: {R(batch, 4)}}}\n",
            "cross_entropy" => $"network: {{L: {{op: cross_entropy, o: o, y: y}}}}\ndata: {{o: {Dist(batch, 4)}, y: {Dist(batch, 4)}}}\nbackward: {{from: L}}\n",
            "softmax_cross_entropy" => $"network: {{L: {{op: softmax_cross_entropy, x: x, y: y}}}}\ndata: {{x: {R(batch, 4, 3)}, y: {Dist(batch, 4)}}}\nbackward: {{from: L}}\n",
            "gemm" => $"network: {{Y: {{op: gemm, a: A, b: B, c: C, alpha: 0.7, beta: 1.3}}}}\ndata: {{A: {R(batch, 4)}}}\nparameters: {{B: {R(4, 3)}, C: {SpecText.Vector([.. Enumerable.Range(0, 3).Select(_ => rng.NextDouble())])}}}\nbackward: {{from: Y, grad: {R(batch, 3)}}}\n",
            "gemm_transposed" => $"network: {{Y: {{op: gemm, a: A, b: B, c: C, alpha: -0.4, beta: 0.6, trans_a: 1, trans_b: 1}}}}\ndata: {{A: {R(4, batch)}}}\nparameters: {{B: {R(3, 4)}, C: {R(batch, 1)}}}\nbackward: {{from: Y, grad: {R(batch, 3)}}}\n",
            "gemm_scalar_bias" => $"network: {{Y: {{op: gemm, a: A, b: B, c: C, trans_b: 1}}}}\ndata: {{A: {R(batch, 4)}}}\nparameters: {{B: {R(3, 4)}, C: 0.25}}\nbackward: {{from: Y, grad: {R(batch, 3)}}}\n",
            "matmul" => $"network: {{Y: {{op: matmul, a: A, b: B}}}}\ndata: {{A: {R(batch, 4)}}}\nparameters: {{B: {R(4, 3)}}}\nbackward: {{from: Y, grad: {R(batch, 3)}}}\n",
            "add" => $"network: {{Y: {{op: add, a: A, b: B}}}}\ndata: {{A: {R(batch, 3)}}}\nparameters: {{B: {SpecText.Vector([.. Enumerable.Range(0, 3).Select(_ => rng.NextDouble())])}}}\nbackward: {{from: Y, grad: {R(batch, 3)}}}\n",
            "sub" => $"network: {{Y: {{op: sub, a: A, b: B}}}}\ndata: {{A: {R(batch, 1)}}}\nparameters: {{B: {R(1, 3)}}}\nbackward: {{from: Y, grad: {R(batch, 3)}}}\n",
            "mul" => $"network: {{Y: {{op: mul, a: A, b: B}}, Z: {{op: mul, a: Y, b: s}}}}\ndata: {{A: {R(batch, 3)}}}\nparameters: {{B: {R(batch, 1)}, s: 0.75}}\nbackward: {{from: Z, grad: {R(batch, 3)}}}\n",
            "softmax_cross_entropy_rows" => $"network: {{L: {{op: softmax_cross_entropy_rows, x: x, y: y}}}}\ndata: {{x: {R(batch, 4, 3)}, y: {Dist(batch, 4)}}}\nbackward: {{from: L, grad: {SpecText.Vector([.. Enumerable.Range(0, batch).Select(_ => rng.NextDouble())])}}}\n",
            "reduce_sum" => $"network: {{s: {{op: reduce_sum, x: x}}}}\ndata: {{x: {R(batch, 3)}}}\nbackward: {{from: s}}\n",
            "network" => $$"""
                network:
                  z: {op: linear, x: x, W: W, b: b}
                  h: {op: relu, x: z}
                  o: {op: linear, x: h, W: M, b: c}
                  L: {op: softmax_cross_entropy, x: o, y: y}
                  S: {op: l2_regularization, weights: [W, M], lambda: 0.1}
                  J: {op: sum, inputs: [L, S]}
                data: {x: {{R(batch, 3)}}, y: {{Dist(batch, 2)}}}
                parameters: {W: {{R(4, 3)}}, b: [0.1, -0.2, 0.3, 0.05], M: {{R(2, 4)}}, c: [0.2, -0.1]}
                backward: {from: J}

                """,
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }
}
