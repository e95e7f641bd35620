using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Bench;

/// <summary>
/// train: times a training spec the way the peer scripts time theirs: the epochs only (data
/// loading, set-up and the final test evaluation are outside the clock), warm-up runs for at least
/// 2 s (at least one run; the JIT needs that long to reach its steady state), then
/// the median of --repeats runs, each from the spec's initial parameters. Prints one JSON line
/// with samples per second, the processor time of the training (median), the test accuracy, and the garbage collections and bytes allocated
/// during the timed runs (allocation per optimizer step in steady state should be zero).
/// Options: --threads N (default 1), --repeats R (default 5), --trace summaries|none (default
/// none: summaries sends every per-epoch summary event through a JSON-lines trace sink).
/// </summary>
internal static class TrainBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: train <spec> [--threads N] [--repeats R] [--trace summaries|none]");
            return 64;
        }
        string spec = args[0];
        int threads = int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture);
        int repeats = int.Parse(Option(args, "--repeats") ?? "5", CultureInfo.InvariantCulture);
        bool traced = (Option(args, "--trace") ?? "none") == "summaries";
        var loaded = NetSpecEngine.Load(spec, ParserLimits.Default with { AllowOutsidePaths = true });
        if (!loaded.Ok)
        {
            foreach (var d in loaded.Diagnostics.Items) Console.Error.WriteLine(d);
            return 2;
        }
        var graph = loaded.Graph!;
        return graph.Spec.DType == DType.Float32
            ? Measure<float>(graph, spec, threads, repeats, traced)
            : Measure<double>(graph, spec, threads, repeats, traced);
    }

    private static int Measure<T>(NetSpec.Runtime.Graph.NetworkGraph graph, string spec, int threads, int repeats, bool traced)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = graph.Dataset!;
        var t = graph.Spec.Training!;
        using var sinkWriter = new StreamWriter(Stream.Null);
        var sink = traced ? new JsonLinesSink(sinkWriter) : null;
        // Allocation and collections in steady state: from the end of the first epoch to the end of the last.
        long steadyBytes = 0, steadySteps = 0;
        int steadyGc = 0;
        int batches = (data.Train.Rows + t.BatchSize - 1) / t.BatchSize;
        var cpuTimes = new List<double>();
        double Once(out TrainingReport report)
        {
            long bytesAtEpoch1 = 0;
            int gcAtEpoch1 = 0;
            var cpuStart = TimeSpan.Zero;
            var options = new TrainingRunOptions
            {
                Threads = threads,
                OnEpoch = m =>
                {
                    if (m.Epoch == 1)
                    {
                        bytesAtEpoch1 = GC.GetAllocatedBytesForCurrentThread();
                        gcAtEpoch1 = GC.CollectionCount(0);
                    }
                    if (m.Epoch == t.Epochs && m.Epoch > 1)
                    {
                        steadyBytes += GC.GetAllocatedBytesForCurrentThread() - bytesAtEpoch1;
                        steadyGc += GC.CollectionCount(0) - gcAtEpoch1;
                        steadySteps += (long)(t.Epochs - 1) * batches;
                    }
                    if (m.Epoch == t.Epochs) // after the allocation count: reading the processor time allocates
                        cpuTimes.Add((ProcessorTime() - cpuStart).TotalSeconds);
                },
            };
            var trainer = new Trainer<T>(graph, data, options, sink);
            cpuStart = ProcessorTime();
            var (r, fault) = trainer.Train();
            if (fault is not null) throw new InvalidOperationException($"numeric fault at {fault.Node}");
            report = r;
            return r.History.Sum(e => e.Seconds);
        }
        // Warm-up: every kernel and batch size compiled at full optimisation. One run is not enough
        // for a short workload: the JIT promotes hot methods (TensorPrimitives' generic loops among
        // them) from tier 0 in the background, after a delay that restarts whenever new code is
        // compiled; on the digits spec the first second of runs was 2-5x slower than the steady state.
        var warm = Stopwatch.StartNew();
        do Once(out _); while (warm.Elapsed.TotalSeconds < 2);
        (steadyBytes, steadySteps, steadyGc) = (0, 0, 0);
        cpuTimes.Clear();
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        long allocated = GC.GetTotalAllocatedBytes(true);
        var times = new List<double>();
        TrainingReport last = null!;
        for (int i = 0; i < repeats; i++) times.Add(Once(out last));
        allocated = GC.GetTotalAllocatedBytes(true) - allocated;
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        long samples = (long)t.Epochs * data.Train.Rows;
        var o = new Dictionary<string, object?>
        {
            ["bench"] = "netspec_train",
            ["spec"] = spec,
            ["dtype"] = graph.Spec.DType.ToString().ToLowerInvariant(),
            ["threads"] = threads,
            ["traced"] = traced ? "summaries" : "none",
            ["n_train"] = data.Train.Rows,
            ["epochs"] = t.Epochs,
            ["batch"] = t.BatchSize,
            ["repeats"] = repeats,
            ["train_seconds"] = median,
            ["train_seconds_min"] = times[0],
            ["train_seconds_max"] = times[^1],
            ["samples_per_second"] = samples / median,
            // The process's processor time from the start of training to the end of its last epoch
            // (median of the repeats): steadier than the wall time on a loaded machine.
            ["train_cpu_seconds"] = Median(cpuTimes),
            ["test_accuracy"] = last.TestAccuracy,
            ["gc_gen0"] = GC.CollectionCount(0) - gc0,
            ["gc_gen1"] = GC.CollectionCount(1) - gc1,
            ["gc_gen2"] = GC.CollectionCount(2) - gc2,
            ["allocated_bytes_per_run"] = allocated / repeats,
            ["steady_state_allocated_bytes_per_step"] = steadySteps > 0 ? (double)steadyBytes / steadySteps : null,
            ["steady_state_gen0_collections"] = steadyGc,
            ["processors"] = Environment.ProcessorCount,
        };
        Console.WriteLine(JsonSerializer.Serialize(o));
        return 0;
    }

    private static TimeSpan ProcessorTime()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return double.NaN;
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed class JsonLinesSink(TextWriter w) : ITraceSink
    {
        public void Emit(TraceEvent e) => w.WriteLine(TraceJson.Line(e));
    }
}
