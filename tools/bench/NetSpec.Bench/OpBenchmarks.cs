using BenchmarkDotNet.Attributes;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Ops;

namespace NetSpec.Bench;

/// <summary>
/// Each op's forward and backward at batch 32, float32 and float64: one node on random inputs,
/// run through the interpreter as a spec would run it. Every op of the registry takes part; its
/// spec is generated from its gradient-check case at the digits MLP's sizes (see
/// <see cref="OpBenchSpecs"/>; <c>-- op-specs</c> prints them).
/// <c>dotnet run -c Release --project tools/bench/NetSpec.Bench -- --filter '*OpBenchmarks*'</c>
/// </summary>
public class OpBenchmarks
{
    public const int Batch = 32;

    /// <summary>Every op of the registry.</summary>
    public static IEnumerable<string> Ops => OpRegistry.Names;

    [ParamsSource(nameof(Ops))]
    public string Op { get; set; } = "linear";

    [Params("float32", "float64")]
    public string DType { get; set; } = "float32";

    private Interpreter<float>? f;
    private Interpreter<double>? d;

    [GlobalSetup]
    public void Setup()
    {
        var loaded = NetSpecEngine.LoadText($"{Op}.yaml", OpBenchSpecs.For(OpRegistry.Find(Op)!, Batch).Yaml);
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
}
