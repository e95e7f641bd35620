using BenchmarkDotNet.Running;
using NetSpec.Bench;

// gemm-quick: a fast table without BenchmarkDotNet (see GemmQuick); op-specs: the shapes each op is benchmarked at (see OpBenchSpecs); train: training throughput of a spec (see TrainBench); trace: the cost of tracing one step as text and JSON lines (see TraceBench); graph: the time of each phase of checking and running a spec (see GraphPhases); cnn: convolution against the GEMM, the FMA peak and LeNet training against PyTorch (see CnnBench); curve: the learning curve's PNG, SVG and CSV (see CurveBench). Anything else goes to BenchmarkDotNet,
// e.g. `dotnet run -c Release --project tools/bench/NetSpec.Bench -- --filter '*Gemm*'`.
if (args.Length > 0 && args[0] == "gemm-quick")
{
    return GemmQuick.Run(args[1..]);
}
if (args.Length > 0 && args[0] == "op-specs")
{
    return OpBenchSpecs.Run(OpBenchmarks.Batch);
}
if (args.Length > 0 && args[0] == "trace")
{
    return TraceBench.Run(args[1..]);
}
if (args.Length > 0 && args[0] == "graph")
{
    return GraphPhases.Run(args[1..]);
}
if (args.Length > 0 && args[0] == "cnn")
{
    return CnnBench.Run(args[1..]);
}
if (args.Length > 0 && args[0] == "curve")
{
    return CurveBench.Run(args[1..]);
}
if (args.Length > 0 && args[0] == "scaling")
{
    return ScalingBench.Run(args[1..]); // MLP widths x batch sizes on digits against numpy (see ScalingBench)
}
if (args.Length > 0 && args[0] == "train")
{
    return TrainBench.Run(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);
return 0;
