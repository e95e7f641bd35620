using BenchmarkDotNet.Attributes;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;

namespace NetSpec.Bench;

/// <summary>
/// Each op's forward and backward at the digits MLP's sizes (batch 32), float32 and float64:
/// one node on random inputs, run through the interpreter as a spec would run it.
/// <c>dotnet run -c Release --project tools/bench/NetSpec.Bench -- --filter '*OpBenchmarks*'</c>
/// </summary>
public class OpBenchmarks
{
    /// <summary>Every op of the registry, each with a one-node spec.</summary>
    public static IEnumerable<string> Ops => Specs.Keys;

    [ParamsSource(nameof(Ops))]
    public string Op { get; set; } = "linear";

    [Params("float32", "float64")]
    public string DType { get; set; } = "float32";

    private Interpreter<float>? f;
    private Interpreter<double>? d;

    [GlobalSetup]
    public void Setup()
    {
        var loaded = NetSpecEngine.LoadText($"{Op}.yaml", Specs[Op]);
        if (!loaded.Ok) throw new InvalidOperationException(string.Join("\n", loaded.Diagnostics.Items));
        if (DType == "float32")
        {
            f = new Interpreter<float>(loaded.Graph!);
            f.Forward(1);
            f.Backward(1);
        }
        else
        {
            d = new Interpreter<double>(loaded.Graph!);
            d.Forward(1);
            d.Backward(1);
        }
    }

    [Benchmark]
    public bool Forward() => f?.Forward(1) ?? d!.Forward(1);

    [Benchmark]
    public bool Backward() => f?.Backward(1) ?? d!.Backward(1);

    private static string Random(int rows, int cols, int seed, bool distribution = false)
    {
        var rng = new Rng((ulong)seed);
        var rowsText = new List<string>();
        for (int r = 0; r < rows; r++)
        {
            var v = Enumerable.Range(0, cols).Select(_ => distribution ? 0.05 + rng.NextDouble() : 2 * rng.NextDouble() - 1).ToArray();
            if (distribution)
            {
                double sum = v.Sum();
                for (int j = 0; j < cols; j++) v[j] /= sum;
            }
            rowsText.Add("[" + string.Join(", ", v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]");
        }
        return "[" + string.Join(", ", rowsText) + "]";
    }

    private static string Scalar(string node) => $"backward: {{from: {node}}}\n";

    private static string Grad(string node, int rows, int cols) => $"backward: {{from: {node}, grad: {Random(rows, cols, 99)}}}\n";

    private static readonly Dictionary<string, string> Specs = new()
    {
        ["linear"] = $"network: {{z: {{op: linear, x: x, W: W, b: b}}}}\ndata: {{x: {Random(32, 64, 1)}}}\nparameters: {{W: {{init: he_normal, shape: [128, 64], seed: 1}}, b: {{init: zeros, shape: [128]}}}}\n" + Grad("z", 32, 128),
        ["relu"] = $"network: {{h: {{op: relu, x: v}}}}\ndata: {{v: {Random(32, 128, 2)}}}\n" + Grad("h", 32, 128),
        ["l2_regularization"] = "network: {S: {op: l2_regularization, weights: [W1, W2], lambda: 1e-4}}\nparameters: {W1: {init: he_normal, shape: [128, 64], seed: 1}, W2: {init: he_normal, shape: [64, 128], seed: 2}}\n" + Scalar("S"),
        ["sum"] = $"network: {{K: {{op: sum, inputs: [a, b, c]}}}}\ndata: {{a: {Random(32, 128, 3)}, b: {Random(32, 128, 4)}, c: {Random(32, 128, 5)}}}\n" + Grad("K", 32, 128),
        ["l2_loss"] = $"network: {{L: {{op: l2_loss, o: o, y: y}}}}\ndata: {{o: {Random(32, 10, 6)}, y: {Random(32, 10, 7)}}}\n" + Scalar("L"),
        ["softmax"] = $"network: {{o: {{op: softmax, x: x}}}}\ndata: {{x: {Random(32, 10, 8)}}}\n" + Grad("o", 32, 10),
        ["cross_entropy"] = $"network: {{L: {{op: cross_entropy, o: o, y: y}}}}\ndata: {{o: {Random(32, 10, 9, true)}, y: {Random(32, 10, 10, true)}}}\n" + Scalar("L"),
        ["softmax_cross_entropy"] = $"network: {{L: {{op: softmax_cross_entropy, x: x, y: y}}}}\ndata: {{x: {Random(32, 10, 11)}, y: {Random(32, 10, 12, true)}}}\n" + Scalar("L"),
        ["softmax_cross_entropy_rows"] = $"network: {{L: {{op: softmax_cross_entropy_rows, x: x, y: y}}}}\ndata: {{x: {Random(32, 10, 13)}, y: {Random(32, 10, 14, true)}}}\n" + $"backward: {{from: L, grad: {Random(1, 32, 98)[1..^1]}}}\n",
        ["gemm"] = $"network: {{z: {{op: gemm, a: x, b: W, c: b, trans_b: 1}}}}\ndata: {{x: {Random(32, 64, 15)}}}\nparameters: {{W: {{init: he_normal, shape: [128, 64], seed: 3}}, b: {{init: zeros, shape: [128]}}}}\n" + Grad("z", 32, 128),
        ["matmul"] = $"network: {{z: {{op: matmul, a: x, b: W}}}}\ndata: {{x: {Random(32, 64, 16)}}}\nparameters: {{W: {{init: he_normal, shape: [64, 128], seed: 4}}}}\n" + Grad("z", 32, 128),
        ["add"] = $"network: {{z: {{op: add, a: x, b: c}}}}\ndata: {{x: {Random(32, 128, 17)}}}\nparameters: {{c: {{init: zeros, shape: [128]}}}}\n" + Grad("z", 32, 128),
        ["sub"] = $"network: {{z: {{op: sub, a: x, b: c}}}}\ndata: {{x: {Random(32, 128, 18)}}}\nparameters: {{c: {{init: zeros, shape: [128]}}}}\n" + Grad("z", 32, 128),
        ["mul"] = $"network: {{z: {{op: mul, a: x, b: c}}}}\ndata: {{x: {Random(32, 128, 19)}}}\nparameters: {{c: {{init: ones, shape: [128]}}}}\n" + Grad("z", 32, 128),
        ["reduce_sum"] = $"network: {{s: {{op: reduce_sum, x: x}}}}\ndata: {{x: {Random(32, 128, 20)}}}\n" + Scalar("s"),
    };
}
