using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using NetSpec.Parser.Model;
using NetSpec.Parser.Yaml;
using NetSpec.Runtime;
using NetSpec.Runtime.Execution;
using NetSpec.Runtime.Graph;
using NetSpec.Runtime.Trace;
using NetSpec.Runtime.Training;

namespace NetSpec.Bench;

/// <summary>
/// trace: what tracing one optimizer step costs. The spec's first batch of training samples goes
/// through forward, backward and the update (as the trainer runs a step, data gradients off),
/// untraced, traced to a sink that drops every event, then with the full trace written as text (the layout of <c>netspec run</c>,
/// <c>--full-limit</c> as given, default 64) and as JSON lines (numbers formatted on every
/// processor, then on one thread), each to a file on disk (opened,
/// written, flushed and closed inside the clock). Prints one JSON line: the median time of each
/// over --repeats runs (after one warm-up), the ratios to the untraced step, the bytes written and
/// the trace's MB/s (bytes over the time the trace added).
/// Usage: trace &lt;spec&gt; [--dir FOLDER] [--repeats R] [--threads N] [--full-limit N].
/// </summary>
internal static class TraceBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: trace <spec> [--dir FOLDER] [--repeats R] [--threads N] [--full-limit N]");
            return 64;
        }
        var loaded = NetSpecEngine.Load(args[0], ParserLimits.Default with { AllowOutsidePaths = true });
        if (!loaded.Ok)
        {
            foreach (var d in loaded.Diagnostics.Items) Console.Error.WriteLine(d);
            return 2;
        }
        var o = new Settings(
            args[0],
            Option(args, "--dir") ?? Path.GetTempPath(),
            int.Parse(Option(args, "--repeats") ?? "5", CultureInfo.InvariantCulture),
            int.Parse(Option(args, "--threads") ?? "1", CultureInfo.InvariantCulture),
            int.Parse(Option(args, "--full-limit") ?? "64", CultureInfo.InvariantCulture));
        return loaded.Graph!.Spec.DType == DType.Float32 ? Measure<float>(loaded.Graph!, o) : Measure<double>(loaded.Graph!, o);
    }

    private sealed record Settings(string Spec, string Dir, int Repeats, int Threads, int FullLimit);

    private static int Measure<T>(NetworkGraph graph, Settings o) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var interp = new Interpreter<T>(graph, new InterpreterOptions { DataGradients = false, Threads = o.Threads });
        var runner = new StepRunner<T>(interp);
        if (graph.Dataset is { } data && graph.Spec.Dataset is { } ds)
        {
            var x = interp.Value(ds.Inputs.Name).Data;
            var y = interp.Value(ds.Targets.Name).Data;
            for (int i = 0; i < x.Length; i++) x[i] = T.CreateChecked(data.Train.Features[i]);
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateChecked(data.Train.Targets[i]);
        }
        int step = 0;
        void Step(ITraceSink? sink)
        {
            interp.Trace = sink;
            if (!runner.Step(++step)) throw new InvalidOperationException($"numeric fault at {runner.Fault?.Node}");
            interp.Trace = null;
        }
        string textPath = Path.Combine(o.Dir, "netspec-trace-bench.txt"), jsonPath = Path.Combine(o.Dir, "netspec-trace-bench.jsonl");
        double untraced = Median(o.Repeats, () => Step(null));
        double discarded = Median(o.Repeats, () => Step(new Discard()));
        double text = Median(o.Repeats, () =>
        {
            using var w = new StreamWriter(textPath, false, new UTF8Encoding(false), 1 << 16);
            Step(new TraceTextWriter(graph, o.FullLimit, w));
        });
        double json = Median(o.Repeats, () =>
        {
            using var sink = TraceJson.ToFile(jsonPath);
            Step(sink);
        });
        double jsonOneThread = Median(o.Repeats, () =>
        {
            using var sink = TraceJson.ToFile(jsonPath, threads: 1);
            Step(sink);
        });
        long textBytes = new FileInfo(textPath).Length, jsonBytes = new FileInfo(jsonPath).Length;
        File.Delete(textPath);
        File.Delete(jsonPath);
        var result = new Dictionary<string, object?>
        {
            ["bench"] = "netspec_trace",
            ["spec"] = o.Spec,
            ["dtype"] = graph.Spec.DType.ToString().ToLowerInvariant(),
            ["threads"] = o.Threads,
            ["full_limit"] = o.FullLimit,
            ["repeats"] = o.Repeats,
            ["untraced_ms"] = Math.Round(untraced * 1e3, 2),
            ["discarded_ms"] = Math.Round(discarded * 1e3, 2),
            ["text_ms"] = Math.Round(text * 1e3, 2),
            ["json_ms"] = Math.Round(json * 1e3, 2),
            ["text_ratio"] = Math.Round(text / untraced, 3),
            ["json_ratio"] = Math.Round(json / untraced, 3),
            ["json_1_thread_ms"] = Math.Round(jsonOneThread * 1e3, 2),
            ["json_1_thread_ratio"] = Math.Round(jsonOneThread / untraced, 3),
            ["text_bytes"] = textBytes,
            ["json_bytes"] = jsonBytes,
            ["text_mb_per_s"] = Math.Round(textBytes / 1e6 / Math.Max(1e-9, text - untraced), 1),
            ["json_mb_per_s"] = Math.Round(jsonBytes / 1e6 / Math.Max(1e-9, json - untraced), 1),
            ["processors"] = Environment.ProcessorCount,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>A sink that drops every event: what tracing costs the interpreter itself.</summary>
    private sealed class Discard : ITraceSink
    {
        public void Emit(TraceEvent e)
        {
        }
    }

    /// <summary>The median wall time of <paramref name="repeats"/> runs after one warm-up.</summary>
    private static double Median(int repeats, Action run)
    {
        run();
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
