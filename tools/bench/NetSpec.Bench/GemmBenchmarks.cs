using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NetSpec.Runtime.Kernels;

namespace NetSpec.Bench;

/// <summary>Gemm.Multiply on the MLP and square shapes, float32 and float64, 1 and 2 threads.</summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.All[0];

    [Params(1, 2)]
    public int Threads { get; set; }

    private Operands<float> f = null!;
    private Operands<double> d = null!;
    private GemmOptions options;

    [GlobalSetup]
    public void Setup()
    {
        f = new Operands<float>(Shape, 1);
        d = new Operands<double>(Shape, 2);
        options = GemmOptions.WithThreads(Threads);
    }

    [Benchmark(Description = "float32")]
    public void Float32()
    {
        var s = Shape;
        Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, 1f, f.A, f.Lda, f.B, f.Ldb, 0f, f.C, f.Ldc, options);
    }

    [Benchmark(Description = "float64")]
    public void Float64()
    {
        var s = Shape;
        Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, 1.0, d.A, d.Lda, d.B, d.Ldb, 0.0, d.C, d.Ldc, options);
    }
}

public sealed class GemmConfig : BenchmarkDotNet.Configs.ManualConfig
{
    public GemmConfig()
    {
        AddColumn(new GflopsColumn());
    }
}

/// <summary>GFLOP/s = 2*m*n*k / mean time, from the Shape parameter of each case.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => "GFLOPs";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second: 2*m*n*k / mean time, in billions";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var shape = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(GemmBenchmarks.Shape))?.Value as GemmShape;
        if (report?.ResultStatistics is not { } stats || shape is null)
        {
            return "-";
        }
        return (shape.Flops / stats.Mean).ToString("F1");
    }

    public override string ToString() => ColumnName;
}
